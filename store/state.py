"""Each action's current progress (ActionState), kept in step with its append-only updates.

The fold, newest update last (by id): the status is the newest RAG given, the target the
newest re-targeted date (each re-target counted), completion, percent and note the newest
given; the time of the newest update is the last update. `apply_update` folds one new update
in, in the caller's transaction, so the two can never disagree; `rebuild` folds a whole
history in one statement (the migration's backfill, and a repair).
"""

from __future__ import annotations

import importlib
import uuid
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, case, func, literal, select, text
from sqlmodel import Session, col

from store.models import Action, ActionState, BoardVersion, ProgressUpdate


def _dialect(session: Session) -> ModuleType:
    """SQLAlchemy's dialect package for the session's database (for its upsert), loaded when
    first written to: importing PostgreSQL's costs a read-only command on SQLite 30 ms."""
    name = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
    return importlib.import_module(f"sqlalchemy.dialects.{name}")


def new_stamp() -> str:
    """A board version no other write has used (random: a restore cannot reuse one)."""
    return uuid.uuid4().hex


#: A stamp's first characters change only when the board's plan does (touch_board); a
#: progress update keeps them and changes the rest (apply_update). A reader whose kept views
#: share the plan's part of the current stamp need only read the actions' states again.
PLAN_PART = 16


def same_plan(kept: str, current: str) -> bool:
    """True when only progress (not the plan) was written between these two stamps."""
    return len(kept) >= PLAN_PART and kept[:PLAN_PART] == current[:PLAN_PART]


def forget_stamps(session: Session) -> None:
    """Drop the board stamps this session read ahead (store.queries.find_person): after a
    write they may be older than the views the session reads next."""
    session.info.pop(STAMPS_READ, None)


#: session.info's key for stamps read ahead (store.queries.stamps_read).
STAMPS_READ = "lscb.stamps_read"


def touch_board(session: Session, board_id: int) -> None:
    """Give the board a new version stamp in the session's transaction (its plan changed).

    Call it before the writes (and, when views may be read between writes, after them too):
    views read in this transaction are then kept under a stamp only this transaction has.
    """
    forget_stamps(session)
    dialect = _dialect(session)
    stmt = dialect.insert(BoardVersion).values(board_id=board_id, stamp=new_stamp())
    session.execute(
        stmt.on_conflict_do_update(index_elements=["board_id"], set_={"stamp": stmt.excluded.stamp})
    )


def apply_update(session: Session, update_row: ProgressUpdate) -> None:
    """Add `update_row` to the session and fold it into its action's state, in one transaction."""
    action_id = update_row.action_id
    forget_stamps(session)
    dialect = _dialect(session)
    # A new stamp for the action's board first: on PostgreSQL that takes the board's row, so
    # concurrent updates of its actions queue here, and the update given the higher id is also
    # the one folded in last (SQLite has one writer at a time anyway).
    stamp = dialect.insert(BoardVersion).from_select(
        ["board_id", "stamp"],
        select(col(Action.board_id), literal(new_stamp())).where(col(Action.id) == action_id),
    )
    current = col(BoardVersion.stamp)
    kept_plan = func.substr(current, 1, PLAN_PART).concat(
        func.substr(stamp.excluded.stamp, PLAN_PART + 1)
    )
    # A stamp too short to have a plan's part (one written by migration 0009) is replaced.
    kept = case((func.length(current) >= PLAN_PART, kept_plan), else_=stamp.excluded.stamp)
    session.execute(
        stamp.on_conflict_do_update(index_elements=["board_id"], set_={"stamp": kept})
    )
    session.add(update_row)
    session.flush()
    given: dict[str, Any] = {
        "last_update": update_row.created_at,
        "last_update_id": update_row.id,
    }
    if update_row.rag:
        given["rag"] = update_row.rag
    if update_row.new_due:
        given["due"] = update_row.new_due
    if update_row.completed_on:
        given["completed"] = update_row.completed_on
    if update_row.percent is not None:
        given["percent"] = update_row.percent
    if update_row.note:
        given["last_note"] = update_row.note
    # The action's first update creates its state row; later ones change what they give.
    changes: dict[str, Any] = dict(given)
    if update_row.new_due:
        changes["retargets"] = col(ActionState.retargets) + 1
    first = dialect.insert(ActionState).values(
        action_id=action_id, retargets=1 if update_row.new_due else 0, **given
    )
    session.execute(first.on_conflict_do_update(index_elements=["action_id"], set_=changes))


#: The fold of every action's history as one statement (SQLite and PostgreSQL alike): for each
#: field, the id of the newest update that gave it, then that update's value.
_REBUILD = """
INSERT INTO actionstate
    (action_id, rag, due, completed, percent, last_update, last_note, retargets, last_update_id)
SELECT f.action_id, r.rag, d.new_due, c.completed_on, p.percent, l.created_at, n.note,
       f.retargets, f.last_id
FROM (
    SELECT action_id,
           MAX(id) AS last_id,
           MAX(CASE WHEN rag IS NOT NULL AND rag <> '' THEN id END) AS rag_id,
           MAX(CASE WHEN new_due IS NOT NULL THEN id END) AS due_id,
           COUNT(new_due) AS retargets,
           MAX(CASE WHEN completed_on IS NOT NULL THEN id END) AS completed_id,
           MAX(CASE WHEN percent IS NOT NULL THEN id END) AS percent_id,
           MAX(CASE WHEN note IS NOT NULL AND note <> '' THEN id END) AS note_id
    FROM progressupdate
    WHERE id NOT IN (SELECT update_id FROM progresswithdrawal)  -- undone or corrected
      AND {only}
    GROUP BY action_id
) AS f
JOIN progressupdate AS l ON l.id = f.last_id
LEFT JOIN progressupdate AS r ON r.id = f.rag_id
LEFT JOIN progressupdate AS d ON d.id = f.due_id
LEFT JOIN progressupdate AS c ON c.id = f.completed_id
LEFT JOIN progressupdate AS p ON p.id = f.percent_id
LEFT JOIN progressupdate AS n ON n.id = f.note_id
"""


def rebuild(conn: Connection, action_id: int | None = None) -> int:
    """Replace every action's state (or one action's) with the fold of its history; returns
    the rows written. The one place, with `apply_update`, that says what an update changes."""
    if action_id is None:
        conn.execute(text("DELETE FROM actionstate"))
        result = conn.execute(text(_REBUILD.format(only="1 = 1")))
    else:
        conn.execute(text("DELETE FROM actionstate WHERE action_id = :a"), {"a": action_id})
        result = conn.execute(text(_REBUILD.format(only="action_id = :a")), {"a": action_id})
    return int(result.rowcount or 0)
