"""Taking an update back without deleting it: undo (its author, within minutes) and an admin's
correction. A ProgressWithdrawal row marks the update; readers of progress skip marked updates
(`live`), and the action's current state is folded again from its live updates (`refold`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import Action, ProgressUpdate, ProgressWithdrawal
from store.state import rebuild, touch_board

UNDO, CORRECTION = "undo", "correction"


def live() -> ColumnElement[bool]:
    """A filter for ProgressUpdate queries: updates not withdrawn."""
    return col(ProgressUpdate.id).not_in(select(ProgressWithdrawal.update_id))


def withdrawals(session: Session, action_id: int) -> dict[int, ProgressWithdrawal]:
    """The action's withdrawn updates, by update id."""
    rows = session.exec(
        select(ProgressWithdrawal)
        .join(ProgressUpdate, col(ProgressUpdate.id) == col(ProgressWithdrawal.update_id))
        .where(ProgressUpdate.action_id == action_id)
    )
    return {w.update_id: w for w in rows}


def latest_live(
    session: Session,
    *,
    action_id: int | None = None,
    author: str | None = None,
    board_id: int | None = None,
) -> ProgressUpdate | None:
    """The newest update not withdrawn, on one action and/or by one author on one board."""
    query = select(ProgressUpdate).where(live())
    if action_id is not None:
        query = query.where(ProgressUpdate.action_id == action_id)
    if author is not None:
        query = query.where(ProgressUpdate.author_slack_user_id == author)
    if board_id is not None:
        query = query.join(Action, col(Action.id) == col(ProgressUpdate.action_id)).where(
            Action.board_id == board_id
        )
    return session.exec(query.order_by(col(ProgressUpdate.id).desc())).first()


def withdraw(
    session: Session,
    *,
    update: ProgressUpdate,
    kind: str,
    by: str,
    at: datetime,
    replaced_by_id: int | None = None,
) -> bool:
    """Mark `update` withdrawn and fold its action's state again; False if it already was."""
    assert update.id is not None
    try:
        with session.begin_nested():
            session.add(
                ProgressWithdrawal(
                    update_id=update.id,
                    kind=kind,
                    withdrawn_by=by,
                    withdrawn_at=at,
                    replaced_by_id=replaced_by_id,
                )
            )
            session.flush()
    except IntegrityError:  # withdrawn a moment ago (a double click, or another process)
        return False
    refold(session, update.action_id)
    return True


def refold(session: Session, action_id: int) -> None:
    """The action's state folded again from its live updates (store.state's own fold)."""
    action = session.get(Action, action_id)
    assert action is not None
    touch_board(session, action.board_id)
    session.flush()
    rebuild(session.connection(), action_id)
