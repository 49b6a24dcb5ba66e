"""The audit trail: who changed what, with the value before and after.

`record` is the one place an `AuditEvent` row is built. It adds the row to the caller's
session, so the row commits, or rolls back, with the write it describes. `change` is the
audited form of setting one field of a row; `update_effect` is what a progress update sets,
as the trail records it (never the note's text).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel

from store.models import AuditEvent, ProgressUpdate

COMPLETE = "complete"


def record(
    session: Session,
    *,
    actor: str,
    event: str,
    entity: str,
    ref: str | None,
    board_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Add one audit row to the session's transaction."""
    row = AuditEvent(
        board_id=board_id,
        actor=actor,
        event=event,
        entity=entity,
        entity_ref=ref,
        before=before,
        after=after,
    )
    if at is not None:
        row.at = at
    session.add(row)


def change(
    session: Session,
    row: SQLModel,
    *,
    field: str,
    value: Any,
    actor: str,
    entity: str,
    ref: str,
    board_id: int | None,
) -> None:
    """Set `row.field` to `value` and record the change (dates and times as ISO text)."""
    record(
        session,
        actor=actor,
        event=f"{entity}.{field}",
        entity=entity,
        ref=ref,
        board_id=board_id,
        before={field: _plain(getattr(row, field))},
        after={field: _plain(value)},
    )
    setattr(row, field, value)
    session.add(row)


def update_effect(update: ProgressUpdate) -> dict[str, Any]:
    """What `update` sets on its action: status, completion, new target, percent."""
    out: dict[str, Any] = {}
    if update.rag:
        out["status"] = update.rag
    if update.completed_on:
        out["status"], out["completed"] = COMPLETE, update.completed_on.isoformat()
    if update.new_due:
        out["due"], out["retarget_reason"] = update.new_due.isoformat(), update.retarget_reason
    if update.percent is not None:
        out["percent"] = update.percent
    return out


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value
