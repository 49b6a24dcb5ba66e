"""Read-side queries: boards by name, and actions as flat views with their current status."""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, and_, bindparam, case, func, literal, null, union_all
from sqlalchemy import select as sa_select  # untyped: a 20-column select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.models import (
    Action,
    ActionState,
    ActionSubgroup,
    Board,
    BoardVersion,
    Person,
    PersonSubgroup,
    Priority,
    ProgressUpdate,
    Subgroup,
    UTCDateTime,
    Workstream,
)
from store.state import STAMPS_READ, same_plan
from store.withdrawals import live

logger = logging.getLogger(__name__)

NO_UPDATE = "no update"
COMPLETE = "complete"


class UnknownBoard(LookupError):
    """No board matches the name given; the message lists the known boards."""


@dataclass(frozen=True)
class ActionView:
    """One action with everything a reply, an export or a digest shows about it."""

    board: str
    ref: str
    text: str
    lead: str | None
    leads: tuple[str, ...]
    subgroups: tuple[str, ...]
    due: date | None
    due_text: str | None
    completed: date | None
    status: str
    last_update: datetime | None
    priority_ref: str | None
    priority: str | None
    workstream_ref: str
    workstream: str
    kind: str
    outcomes: str | None = None
    kpis: str | None = None
    position: tuple[int, int, int] = field(default=(0, 0, 0), compare=False)
    retargets: int = 0
    percent: int | None = None
    action_id: int = 0
    last_note: str | None = field(default=None, repr=False)  # never in logs or reprs
    original_due: date | None = None  # the plan's date, before any re-target

    @property
    def subgroup(self) -> str | None:
        """The owning sub-group(s) as one string, e.g. "IFPG / MEG"."""
        return " / ".join(self.subgroups) or None

    def is_overdue(self, today: date) -> bool:
        """Past its target date and not complete."""
        return self.status != COMPLETE and self.due is not None and self.due < today

    def record(self, today: date | None = None) -> dict[str, Any]:
        """The stable, documented record used by `say --json` and `export`."""
        out: dict[str, Any] = {  # keys in RECORD_FIELDS order
            "board": self.board,
            "priority_ref": self.priority_ref,
            "priority": self.priority,
            "workstream_ref": self.workstream_ref,
            "workstream": self.workstream,
            "ref": self.ref,
            "text": self.text,
            "lead": self.lead,
            "subgroup": self.subgroup,
            "due": self.due.isoformat() if self.due else None,
            "completed": self.completed.isoformat() if self.completed else None,
            "status": self.status,
            "last_update": self.last_update.isoformat() if self.last_update else None,
            "kind": self.kind,
            "due_text": self.due_text,
            "outcomes": self.outcomes,
            "kpis": self.kpis,
        }
        if today is not None:
            out["overdue"] = self.is_overdue(today)
        return out


#: Field names of ActionView.record(), in order (the export's columns).
RECORD_FIELDS = (
    "board",
    "priority_ref",
    "priority",
    "workstream_ref",
    "workstream",
    "ref",
    "text",
    "lead",
    "subgroup",
    "due",
    "completed",
    "status",
    "last_update",
    "kind",
    "due_text",
    "outcomes",
    "kpis",
)


def list_boards(session: Session) -> list[Board]:
    """All boards, by code."""
    return list(session.exec(select(Board).order_by(col(Board.code))))


def find_board(session: Session, name: str) -> Board:
    """The board whose code, name, short name or alias is `name` (case-insensitive)."""
    wanted = " ".join(name.split()).casefold()
    by_code = session.exec(select(Board).where(func.upper(Board.code) == wanted.upper())).first()
    if by_code is not None:
        return by_code
    boards = list_boards(session)
    for board in boards:
        if wanted in {s.casefold() for s in board_names(board)}:
            return board
    known = (
        ", ".join(f"{b.code} ({b.short_name})" for b in boards) or "none: run `python -m bot seed`"
    )
    raise UnknownBoard(f"No board called {name!r}. Known boards: {known}.")


def find_person(session: Session, slack_user_id: str) -> tuple[Person | None, Board | None]:
    """The person with this Slack id, if known, and their board, read with its version stamp
    in one statement: while the caller holds the board, `asker_board` finds it in the session,
    and the board's first `action_views` uses the stamp, neither with a statement of its own."""
    row = session.execute(_FIND_PERSON, {"user": slack_user_id}).first()
    if row is None:
        return None, None
    person, board, stamp = row
    if board is not None and board.id is not None:
        stamps_read(session)[board.id] = stamp
    return person, board


#: Built once (each request asks it): a statement built per call costs more than running it.
_FIND_PERSON = (
    sa_select(Person, Board, col(BoardVersion.stamp))
    .outerjoin(Board, col(Board.id) == col(Person.board_id))
    .outerjoin(BoardVersion, col(BoardVersion.board_id) == col(Person.board_id))
    .where(col(Person.slack_user_id) == bindparam("user"))
)


def stamps_read(session: Session) -> dict[int, str | None]:
    """Board stamps this session has read and not used yet (see `board_stamp`); store.state
    empties it whenever the session writes a stamp."""
    found: dict[int, str | None] = session.info.setdefault(STAMPS_READ, {})
    return found


def asker_board(
    session: Session, person: Person | None, board_name: str | None, default_board: str | None
) -> Board | None:
    """The board a request is about: the one named, else the person's own, else the default.

    Raises UnknownBoard when `board_name` names no board; a bad default is treated as none.
    """
    if board_name:
        return find_board(session, board_name)
    if person is not None and person.board_id is not None:
        return session.get(Board, person.board_id)
    if default_board:
        try:
            return find_board(session, default_board)
        except UnknownBoard:
            logger.warning("DEFAULT_BOARD names no known board")
    return None


def board_names(board: Board) -> set[str]:
    """Every name a person may use for the board: code, names, aliases, the place name and
    its usual shortenings (Herefordshire: Hereford, Herefs; Worcs; Shrops)."""
    place = board.short_name.split()[0]
    names = {board.code, board.name, board.short_name, *board.aliases, place}
    # "Wakefield & District" for Wakefield & District SCB: the name without its kind of body,
    # with "&" and "and" either way.
    bare = {_BODY_SUFFIX.sub("", n) for n in (board.name, board.short_name)} - {""}
    bare |= {n.replace(" & ", " and ") for n in bare} | {n.replace(" and ", " & ") for n in bare}
    return names | bare | set(county_forms(place))


_BODY_SUFFIX = re.compile(
    r"\s+(?:local\s+)?(?:safeguarding\s+children(?:'s)?\s+(?:board|partnership)|l?scb|scp)$",
    re.I,
)


def county_forms(name: str) -> list[str]:
    """How people shorten a county's name: Herefordshire → Hereford, Herefs; Worcs; Shrops."""
    if " " in name or not name.lower().endswith("shire") or len(name) < 9:
        return []
    return [name[:-5], name[:4] + "s", name[:5] + "s"]


def board_name_index(session: Session) -> dict[str, int]:
    """Lower-cased board names → board id, for spotting a board named inside a question."""
    rows = session.exec(select(Board)).all()
    return {n.casefold(): b.id for b in rows for n in board_names(b) if b.id is not None}


def board_subgroups(session: Session, board_id: int) -> list[Subgroup]:
    """The board's live sub-groups, by name."""
    return list(
        session.exec(
            select(Subgroup)
            .where(Subgroup.board_id == board_id, col(Subgroup.archived_at).is_(None))
            .order_by(col(Subgroup.name))
        )
    )


def board_priorities(session: Session, board_id: int) -> list[Priority]:
    """The board's live priorities in plan order."""
    return list(
        session.exec(
            select(Priority)
            .where(Priority.board_id == board_id, col(Priority.archived_at).is_(None))
            .order_by(col(Priority.position))
        )
    )


#: A board's live sub-groups as (name, aliases), by name.
SubgroupNames = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class _Kept:
    """A board's views as read under `stamp`, with each action's completion in the plan and
    the board's live sub-groups (both the plan's, so kept while only progress changes)."""

    stamp: str
    views: tuple[ActionView, ...]
    plan_done: dict[int, date | None]
    subgroups: SubgroupNames = ()
    #: The newest update folded into the states read (ids grow in each board's commit order:
    #: store.state.apply_update takes the board's row first), so a refresh reads only the
    #: states changed since.
    last_id: int = 0


_STATE_COLUMNS: list[Any] = [
    ActionState.action_id,
    ActionState.rag,
    ActionState.due,
    ActionState.completed,
    ActionState.percent,
    ActionState.last_update,
    ActionState.last_note,
    ActionState.retargets,
]

#: Per engine (one per process in production), each board's action views with the stamp they
#: were read under (store/state.py changes the stamp with every write to the board, in the
#: write's transaction). A hit costs one primary-key read instead of the board's rows.
_VIEWS: WeakKeyDictionary[Engine, OrderedDict[int, _Kept]] = WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()
#: Boards whose views a process keeps (least recently asked about go first); the runtime sets
#: it from VIEW_CACHE_BOARDS. About 150 kB a board of 100 actions.
VIEW_CACHE_BOARDS = 2048


def board_stamp(session: Session, board_id: int) -> str | None:
    """The board's current version stamp (None for a board no write has stamped yet).

    A stamp `find_person` read earlier in this session serves once, instead of a statement:
    it is no newer than the rows read after it, which is all a cached view needs (a write in
    this session forgets it first, store.state)."""
    read = stamps_read(session)
    if board_id in read:
        return read.pop(board_id)
    return session.execute(_STAMP, {"board": board_id}).scalar()


_STAMP = sa_select(col(BoardVersion.stamp)).where(col(BoardVersion.board_id) == bindparam("board"))


def action_views(session: Session, board: Board) -> list[ActionView]:
    """Every live action of `board` in plan order, with sub-groups and current status."""
    assert board.id is not None
    # The stamp first: rows read after it are at least as new, never older.
    stamp = board_stamp(session, board.id)
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _VIEWS_LOCK:
        cache = _VIEWS.get(engine)
        if cache is None:
            cache = _VIEWS[engine] = OrderedDict()
        hit = cache.get(board.id)
        if hit is not None and hit.stamp == stamp:
            cache.move_to_end(board.id)
            return list(hit.views)
    if hit is not None and stamp is not None and same_plan(hit.stamp, stamp):
        # Only progress was written since (store.state.apply_update keeps the plan's part of
        # the stamp): read the states again, not the plan.
        views, last_id = _refresh_progress(session, board, hit)
        plan_done, groups = hit.plan_done, hit.subgroups
    else:
        views, plan_done, last_id = _read_views(session, board)
        groups = _subgroup_names(session, board.id)
    if stamp is not None:
        with _VIEWS_LOCK:
            cache[board.id] = _Kept(stamp, tuple(views), plan_done, groups, last_id)
            cache.move_to_end(board.id)
            while len(cache) > VIEW_CACHE_BOARDS:
                cache.popitem(last=False)
    return views


def subgroup_names(session: Session, board: Board, views: list[ActionView]) -> SubgroupNames:
    """The board's live sub-groups as (name, aliases), by name: as read with `views` when
    they are the board's cached ones (no statement), else read now."""
    assert board.id is not None
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _VIEWS_LOCK:
        cache = _VIEWS.get(engine)
        kept = cache.get(board.id) if cache is not None else None
    if (
        kept is not None
        and len(kept.views) == len(views)
        and all(a is b for a, b in zip(kept.views, views, strict=True))
    ):
        return kept.subgroups
    return _subgroup_names(session, board.id)


def _subgroup_names(session: Session, board_id: int) -> SubgroupNames:
    return tuple((sg.name, tuple(sg.aliases)) for sg in board_subgroups(session, board_id))


def _read_views(
    session: Session, board: Board
) -> tuple[list[ActionView], dict[int, date | None], int]:
    """The board's views from its rows, each action's completion date in the plan, and the
    newest update folded into their states."""
    assert board.id is not None
    plan_done: dict[int, date | None] = {}
    # Plain columns, not ORM entities: this runs for every question and digest, and building
    # three mapped objects per action costs more than the query itself.
    columns: list[Any] = [
        Action.id,
        Action.ref,
        Action.text,
        Action.lead,
        Action.leads,
        Action.due,
        Action.due_text,
        Action.completed,
        Action.kind,
        Action.outcomes,
        Action.kpis,
        Action.position,
        Workstream.ref,
        Workstream.title,
        Workstream.outcomes,
        Workstream.kpis,
        Workstream.position,
        Priority.ref,
        Priority.title,
        Priority.position,
        *_STATE_COLUMNS[1:],  # the state's fields, after its action id
        ActionState.last_update_id,
    ]
    # The current state is one row per action (store/state.py): the history is not read here.
    rows = session.execute(
        sa_select(*columns)
        .join(Workstream, col(Action.workstream_id) == col(Workstream.id))
        .join(Priority, col(Workstream.priority_id) == col(Priority.id), isouter=True)
        .join(ActionState, col(ActionState.action_id) == col(Action.id), isouter=True)
        .where(col(Action.board_id) == board.id, col(Action.archived_at).is_(None))
    ).all()

    names: dict[int, list[str]] = defaultdict(list)
    for action_id, sg_name in session.exec(
        select(ActionSubgroup.action_id, Subgroup.name)
        .join(Subgroup, col(ActionSubgroup.subgroup_id) == col(Subgroup.id))
        .where(Subgroup.board_id == board.id)
        .order_by(col(Subgroup.name))
    ):
        names[action_id].append(sg_name)

    views = []
    last_id = 0
    for (
        action_id,
        ref,
        text,
        lead,
        leads,
        due,
        due_text,
        action_completed,
        kind,
        outcomes,
        kpis,
        position,
        ws_ref,
        ws_title,
        ws_outcomes,
        ws_kpis,
        ws_position,
        pr_ref,
        pr_title,
        pr_position,
        rag,
        new_due,
        completed_on,
        percent,
        last_update,
        last_note,
        retargets,
        last_update_id,
    ) in rows:
        last_id = max(last_id, last_update_id or 0)
        views.append(
            ActionView(
                board=board.code,
                ref=ref,
                text=text,
                lead=lead,
                leads=tuple(leads),
                subgroups=tuple(names.get(action_id, ())),
                due_text=due_text,
                priority_ref=pr_ref,
                priority=pr_title,
                workstream_ref=ws_ref,
                workstream=ws_title,
                kind=kind,
                outcomes=outcomes or ws_outcomes,
                kpis=kpis or ws_kpis,
                position=(10_000 if pr_position is None else pr_position, ws_position, position),
                action_id=action_id,
                original_due=due,
                **_progress_fields(
                    due,
                    action_completed,
                    (rag, new_due, completed_on, percent, last_update, last_note, retargets),
                ),
            )
        )
        plan_done[action_id] = action_completed
    views.sort(key=lambda v: v.position)
    return views, plan_done, last_id


def _progress_fields(
    plan_due: date | None, plan_completed: date | None, state: tuple[Any, ...] | None
) -> dict[str, Any]:
    """The fields of a view that its state row decides (the plan's dates where it has none)."""
    rag, new_due, completed_on, percent, last_update, last_note, retargets = state or (None,) * 7
    completed = plan_completed or completed_on
    return {
        "due": new_due or plan_due,
        "completed": completed,
        "status": COMPLETE if completed is not None else (rag or NO_UPDATE),
        "last_update": last_update,
        "retargets": retargets or 0,
        "percent": percent,
        "last_note": last_note,
    }


def _refresh_progress(
    session: Session, board: Board, kept: _Kept
) -> tuple[list[ActionView], int]:
    """The kept views with the states changed since they were read (an update newer than
    the newest they hold) read again: one narrow read, for a board whose progress changed and
    plan did not. Returns them and the newest update they now hold."""
    rows = session.execute(_STATES, {"board": board.id, "after": kept.last_id}).all()
    states = {row[0]: tuple(row[1:-1]) for row in rows}
    last_id = max([kept.last_id, *(row[-1] or 0 for row in rows)])
    out = []
    for view in kept.views:
        state = states.get(view.action_id)
        if state is not None:
            fields = _progress_fields(
                view.original_due, kept.plan_done.get(view.action_id), state
            )
            if any(getattr(view, name) != value for name, value in fields.items()):
                view = replace(view, **fields)
        out.append(view)
    return out, last_id


_STATES = (
    sa_select(*_STATE_COLUMNS, col(ActionState.last_update_id))
    .join(Action, col(Action.id) == col(ActionState.action_id))
    .where(
        col(Action.board_id) == bindparam("board"),
        col(ActionState.last_update_id) > bindparam("after"),
    )
)


@dataclass
class _Progress:
    """What an action's updates add up to: newest RAG, target, completion; re-target count."""

    rag: str | None = None
    due: date | None = None
    completed: date | None = None
    last_update: datetime | None = None
    percent: int | None = None
    retargets: int = 0
    note: str | None = None


def plan_counts(session: Session, board_id: int) -> tuple[int, int, int]:
    """(priorities, work streams, actions) that are live for the board."""

    def count(model: Any) -> int:
        return session.exec(
            select(func.count())
            .select_from(model)
            .where(model.board_id == board_id, col(model.archived_at).is_(None))
        ).one()

    return count(Priority), count(Workstream), count(Action)


def person_subgroup_ids(session: Session, person_id: int) -> list[int]:
    """Ids of the sub-groups a person belongs to."""
    return list(
        session.exec(
            select(PersonSubgroup.subgroup_id).where(PersonSubgroup.person_id == person_id)
        )
    )


def person_subgroup_names(session: Session, person: Person) -> list[str]:
    """Names of the sub-groups the person belongs to."""
    assert person.id is not None
    return list(
        session.exec(
            select(Subgroup.name)
            .join(PersonSubgroup, col(PersonSubgroup.subgroup_id) == col(Subgroup.id))
            .where(PersonSubgroup.person_id == person.id, col(Subgroup.archived_at).is_(None))
            .order_by(col(Subgroup.name))
        )
    )


@dataclass(frozen=True)
class UpdateView:
    """A progress update with what a reader needs beside it."""

    ref: str
    action_text: str
    author: str
    created_at: datetime
    rag: str | None
    previous_rag: str | None
    note: str | None
    # The rest of the update, and the action's state just before it, for describing the change.
    percent: int | None = None
    completed_on: date | None = None
    new_due: date | None = None
    reason: str | None = field(default=None, repr=False)
    previous_status: str = NO_UPDATE
    previous_due: date | None = None
    previous_percent: int | None = None


def updates_since(session: Session, board_id: int, since: datetime) -> list[UpdateView]:
    """The board's progress updates at or after `since`, oldest first, each with the action's
    state (status, target, percent) just before it."""
    # One statement (_WINDOW): the actions updated since then, found through the index on
    # (action_id, created_at); their updates from the first such one on; and what each action
    # was before that, folded by the database, not read row by row. An undone or corrected
    # update is skipped throughout (live()).
    rows = session.execute(_WINDOW, {"board": board_id, "since": since}).all()
    before: dict[int, _Progress] = {}
    out: list[UpdateView] = []
    for (
        kind,
        action_id,
        author,
        created_at,
        rag,
        note,
        percent,
        completed_on,
        new_due,
        reason,
        ref,
        text,
        plan_due,
        plan_completed,
    ) in rows:
        if kind == _BEFORE:
            before[action_id] = _Progress(
                rag=rag, due=new_due, completed=completed_on, percent=percent
            )
            continue
        state = before.setdefault(action_id, _Progress())
        if state.due is None:
            state.due = plan_due
        if created_at >= since:
            status = COMPLETE if (plan_completed or state.completed) else (state.rag or NO_UPDATE)
            out.append(
                UpdateView(
                    ref,
                    text,
                    author,
                    created_at,
                    rag,
                    state.rag,
                    note,
                    percent=percent,
                    completed_on=completed_on,
                    new_due=new_due,
                    reason=reason,
                    previous_status=status,
                    previous_due=state.due,
                    previous_percent=state.percent,
                )
            )
        state.rag = rag or state.rag
        state.due = new_due or state.due
        state.completed = completed_on or state.completed
        state.percent = percent if percent is not None else state.percent
    out.sort(key=lambda u: u.created_at)
    return out


_BEFORE, _UPDATE = 0, 1


def _window_statement() -> Any:
    """updates_since's statement, built once. Rows of two kinds, ordered by kind, action, id:
    (_BEFORE, action, each field's newest value before the window's first update) and
    (_UPDATE, action, the update's fields, the action's ref, text and plan dates)."""
    pu = ProgressUpdate
    # Each of the board's actions with the id of its first live update in the window (NULL
    # when it has none, which joins nothing below): one short range of the (action_id,
    # created_at) index per action, however many boards and updates there are. (A join would
    # let PostgreSQL read every board's window; `id + 0` keeps SQLite from walking the
    # action's whole history in id order for the minimum.)
    first_id = (
        sa_select(func.min(col(pu.id) + 0))
        .where(
            col(pu.action_id) == col(Action.id),
            col(pu.created_at) >= bindparam("since", type_=UTCDateTime()),
            live(),
        )
        .scalar_subquery()
    )
    first = (
        sa_select(col(Action.id).label("action_id"), first_id.label("first_id"))
        .where(col(Action.board_id) == bindparam("board"))
        .cte("window_first")
    )
    # For each, the id of the newest live update before the window giving each field.
    newest = (
        sa_select(
            col(pu.action_id).label("action_id"),
            func.max(case((and_(col(pu.rag).is_not(None), col(pu.rag) != ""), col(pu.id))))
            .label("rag_id"),
            func.max(case((col(pu.new_due).is_not(None), col(pu.id)))).label("due_id"),
            func.max(case((col(pu.completed_on).is_not(None), col(pu.id)))).label("done_id"),
            func.max(case((col(pu.percent).is_not(None), col(pu.id)))).label("percent_id"),
        )
        .join(first, first.c.action_id == col(pu.action_id))
        .where(first.c.first_id.is_not(None), col(pu.id) < first.c.first_id, live())
        .group_by(col(pu.action_id))
        .subquery("window_before")
    )
    r, d, c, p = (aliased(pu) for _ in range(4))
    updates = (
        sa_select(
            literal(_UPDATE).label("kind"),
            col(pu.action_id),
            col(pu.author_slack_user_id),
            col(pu.created_at),
            col(pu.rag),
            col(pu.note),
            col(pu.percent),
            col(pu.completed_on),
            col(pu.new_due),
            col(pu.retarget_reason),
            col(Action.ref),
            col(Action.text),
            col(Action.due),
            col(Action.completed),
            col(pu.id).label("update_id"),
        )
        .join(first, first.c.action_id == col(pu.action_id))
        .join(Action, col(pu.action_id) == col(Action.id))
        .where(first.c.first_id.is_not(None), col(pu.id) >= first.c.first_id, live())
    )
    folded = (
        sa_select(
            literal(_BEFORE),
            newest.c.action_id,
            null(),
            null(),
            col(r.rag),
            null(),
            col(p.percent),
            col(c.completed_on),
            col(d.new_due),
            null(),
            null(),
            null(),
            null(),
            null(),
            null(),
        )
        .select_from(newest)
        .join(r, col(r.id) == newest.c.rag_id, isouter=True)
        .join(d, col(d.id) == newest.c.due_id, isouter=True)
        .join(c, col(c.id) == newest.c.done_id, isouter=True)
        .join(p, col(p.id) == newest.c.percent_id, isouter=True)
    )
    # The updates first: PostgreSQL types the union's columns from them, not from the NULLs.
    both = union_all(updates, folded).subquery("window_rows")
    return sa_select(*[c for c in both.c if c.name != "update_id"]).order_by(
        both.c.kind, both.c.action_id, both.c.update_id
    )


_WINDOW = _window_statement()


def chaired_subgroup_ids(session: Session, person_id: int) -> set[int]:
    """Ids of the sub-groups a person chairs."""
    return set(
        session.exec(
            select(PersonSubgroup.subgroup_id).where(
                PersonSubgroup.person_id == person_id, col(PersonSubgroup.is_chair).is_(True)
            )
        )
    )
