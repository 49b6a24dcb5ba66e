"""Exactly-once delivery for digests and nudges: a claimed row with a unique key per period.

Whoever inserts the (kind, target, period) row may post. A row left "failed" (Slack said no)
or "claimed" by a worker that died longer ago than the lease is taken over by a conditional
UPDATE, so only one worker ever wins it. The database decides, not hope.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import DigestRun

CLAIMED, POSTED, FAILED = "claimed", "posted", "failed"
#: How long a claim is honoured. A worker claims one target just before posting it, and each
#: Slack call is bounded (bot.digest.lease_is_safe), so two minutes is ample; a worker that
#: dies mid-post holds its target back for at most this long.
LEASE = timedelta(minutes=2)


def claim(
    engine: Engine,
    *,
    board_id: int,
    kind: str,
    target: str,
    period: date,
    worker: str,
    now: datetime,
    lease: timedelta = LEASE,
) -> int:
    """The attempt number when this worker may post (kind, target, period); 0 when it may not.

    More than 1 means the row was taken over from a failed or expired attempt, which may have
    posted: the caller looks before posting again.
    """
    try:
        with Session(engine) as session:
            session.add(
                DigestRun(
                    board_id=board_id,
                    kind=kind,
                    target=target,
                    period=period,
                    status=CLAIMED,
                    claimed_by=worker,
                    claimed_at=now,
                )
            )
            session.commit()
            return 1
    except IntegrityError:
        pass
    # The row exists: take it over only if it failed, or its claimer's lease ran out.
    with engine.begin() as conn:
        result = conn.execute(
            update(DigestRun)
            .where(
                col(DigestRun.kind) == kind,
                col(DigestRun.target) == target,
                col(DigestRun.period) == period,
                (col(DigestRun.status) == FAILED)
                | ((col(DigestRun.status) == CLAIMED) & (col(DigestRun.claimed_at) < now - lease)),
            )
            .values(
                status=CLAIMED,
                claimed_by=worker,
                claimed_at=now,
                attempts=DigestRun.attempts + 1,
                error=None,
            )
            .returning(col(DigestRun.attempts))
        )
        row = result.first()
        return int(row[0]) if row else 0


def finish(
    engine: Engine,
    *,
    kind: str,
    target: str,
    period: date,
    worker: str,
    now: datetime,
    error: str | None = None,
) -> None:
    """Mark this worker's claim posted, or failed with Slack's error code (retried next run)."""
    with engine.begin() as conn:
        conn.execute(
            update(DigestRun)
            .where(
                col(DigestRun.kind) == kind,
                col(DigestRun.target) == target,
                col(DigestRun.period) == period,
                col(DigestRun.claimed_by) == worker,
            )
            .values(
                status=FAILED if error else POSTED, error=error, posted_at=None if error else now
            )
        )


def last_posted_by_target(
    session: Session, *, board_id: int, before: date
) -> dict[tuple[str, str], datetime]:
    """For each (kind, target) of the board, when it was last posted for an earlier period."""
    rows = session.exec(
        select(DigestRun.kind, DigestRun.target, DigestRun.posted_at)
        .where(
            DigestRun.board_id == board_id,
            col(DigestRun.period) < before,
            DigestRun.status == POSTED,
        )
        .order_by(col(DigestRun.period))
    )
    return {(kind, target): at for kind, target, at in rows if at is not None}


def runs(engine: Engine) -> list[DigestRun]:
    """Every digest run row (for reports and tests)."""
    with Session(engine) as session:
        return list(session.exec(select(DigestRun).order_by(col(DigestRun.id))))
