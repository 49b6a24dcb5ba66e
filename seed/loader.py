"""Read, validate and load plan files (see seed/FORMAT.md) into the store, safely re-runnable."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from store import audit
from store.db import session_scope
from store.models import (
    Action,
    ActionSubgroup,
    AuditEvent,
    Board,
    Priority,
    ProgressUpdate,
    Subgroup,
    Workstream,
    utcnow,
)
from store.state import apply_update, touch_board

logger = logging.getLogger(__name__)

PLANS_DIR = Path(__file__).parent / "plans"
SEED_ACTOR = "seed"
IMPORT_ACTOR = "import"
#: Audit events that record where a board's plan came from (the newest one owns the board).
LOAD_EVENTS = ("plan.seeded", "plan.imported")

CODE_OWNED = (
    "Board {code} ({name}) is already defined by {owner}; {source} also uses the code {code}. "
    "Give this plan another code, or pass --replace to make {source} the board's source."
)
NAME_CLASHES = (
    "{source} calls its board {spelling!r}, but that name already belongs to board {code} "
    "({name}, defined by {owner}). Give the board another name or alias."
)


class SeedError(Exception):
    """A plan file is invalid; the message names the file, the entry and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BoardEntry(_Strict):
    code: str
    name: str
    short_name: str
    aliases: list[str] = []
    # Spellings of one lead role the plan uses that bot.roles cannot tell are the same.
    role_aliases: list[list[str]] = []
    period: str
    period_start: date
    period_end: date
    source: str
    shape: Literal["objectives", "matrix"]

    @field_validator("code")
    @classmethod
    def _code_upper(cls, v: str) -> str:
        if not v.isalnum():
            raise ValueError("a board code is letters and digits only, e.g. WSCB")
        return v.upper()


class SubgroupEntry(_Strict):
    name: str
    aliases: list[str] = []
    description: str | None = None
    board_level: bool = False


class PriorityEntry(_Strict):
    ref: str
    title: str
    description: str | None = None


class WorkstreamEntry(_Strict):
    ref: str
    priority: str | None = None
    title: str
    subgroup: str | None = None
    outcomes: str | None = None
    kpis: str | None = None


class ActionEntry(_Strict):
    ref: str
    workstream: str
    text: str
    lead: str | None = None
    leads: list[str] = []
    subgroups: list[str] = []
    due: date | None = None
    due_text: str | None = None
    completed: date | None = None
    completed_text: str | None = None
    outcomes: str | None = None
    kpis: str | None = None
    kind: Literal["action", "assurance"] = "action"
    note: str | None = None

    @field_validator("due", "completed", mode="before")
    @classmethod
    def _real_date(cls, v: Any) -> Any:
        if isinstance(v, str):
            raise ValueError(
                "write the date as a TOML date such as 2012-03-30 (keep the wording in due_text)"
            )
        return v


class PlanFile(_Strict):
    board: BoardEntry
    subgroups: list[SubgroupEntry] = []
    priorities: list[PriorityEntry]
    workstreams: list[WorkstreamEntry]
    actions: list[ActionEntry]


@dataclass
class PlanUpdate:
    """A progress update a loaded file brings with it (an import's status or a moved date)."""

    ref: str
    rag: str | None = None
    note: str | None = None
    percent: int | None = None
    completed_on: date | None = None
    new_due: date | None = None
    reason: str | None = None


@dataclass
class Plan:
    """A validated plan and where it came from: a seed file, or an imported spreadsheet."""

    path: Path
    data: PlanFile
    origin: Literal["seed", "import"] = "seed"
    updates: list[PlanUpdate] = field(default_factory=list)

    @property
    def source(self) -> str:
        """Who defines the board, in words: 'seed file x.toml' or 'an import'."""
        return f"seed file {self.path.name}" if self.origin == "seed" else "an import"

    @property
    def label(self) -> str:
        """This load, in words, for messages: 'seed file x.toml' or 'the import of x.csv'."""
        return self.source if self.origin == "seed" else f"the import of {self.path.name}"

    def subgroup_name(self, name: str) -> str:
        """The canonical sub-group name for a name or alias (validated to exist)."""
        return self._subgroup_index()[name.casefold()]

    def _subgroup_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for sg in self.data.subgroups:
            for spelling in (sg.name, *sg.aliases):
                index[spelling.casefold()] = sg.name
        return index


@dataclass
class LoadResult:
    board: str
    priorities: int
    workstreams: int
    actions: int
    changes: dict[str, int] = field(default_factory=dict)
    #: What changed, row by row: {"added": [...], "changed": {...}, "archived": [...], ...}
    details: dict[str, Any] = field(default_factory=dict)
    updates: int = 0

    @property
    def changed(self) -> bool:
        return any(self.changes.values())


def _plain(value: Any) -> Any:
    """A value as it can sit in the audit log's JSON."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def _entry_label(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """'actions[12] (ref 1.2a), field 'due'' from a pydantic error location."""
    parts: list[str] = []
    node: Any = data
    for i, key in enumerate(loc):
        if isinstance(key, int):
            parts[-1] = f"{parts[-1]}[{key}]"
            try:
                node = node[key]
            except (IndexError, KeyError, TypeError):
                node = None
            if isinstance(node, dict) and "ref" in node and i + 1 < len(loc):
                parts[-1] += f" (ref {node['ref']})"
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    if len(parts) > 1:
        return f"{'.'.join(parts[:-1])}, field '{parts[-1]}'"
    return f"field '{parts[0]}'" if parts else "the file"


def parse_plan(path: Path) -> Plan:
    """Read and validate one plan file; raise SeedError naming file, entry and field."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SeedError(f"{path}: not valid TOML: {exc}") from exc
    try:
        plan = Plan(path, PlanFile.model_validate(raw))
    except ValidationError as exc:
        problems = [
            f"{_entry_label(raw, tuple(e['loc']))}: {_message(e)}" for e in exc.errors()[:5]
        ]
        more = f"; and {exc.error_count() - 5} more" if exc.error_count() > 5 else ""
        raise SeedError(f"{path}: " + "; ".join(problems) + more) from None
    _check_references(plan)
    return plan


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field (see seed/FORMAT.md for the fields an entry may have)"
    return str(error["msg"]).removeprefix("Value error, ")


def _check_references(plan: Plan) -> None:
    d = plan.data
    where = plan.path

    def fail(entry: str, message: str) -> None:
        raise SeedError(f"{where}: {entry}: {message}")

    names = plan._subgroup_index()
    seen_names: set[str] = set()
    for i, sg in enumerate(d.subgroups):
        for spelling in (sg.name, *sg.aliases):
            if spelling.casefold() in seen_names:
                fail(f"subgroups[{i}] ({sg.name})", f"the name or alias {spelling!r} is used twice")
            seen_names.add(spelling.casefold())

    def unique(kind: str, refs: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        for i, ref in enumerate(refs):
            if ref in seen:
                fail(f"{kind}[{i}] (ref {ref})", "field 'ref': this ref is used twice")
            seen.add(ref)
        return seen

    priority_refs = unique("priorities", (p.ref for p in d.priorities))
    workstream_refs = unique("workstreams", (w.ref for w in d.workstreams))
    unique("actions", (a.ref for a in d.actions))

    for i, w in enumerate(d.workstreams):
        label = f"workstreams[{i}] (ref {w.ref})"
        if w.priority is not None and w.priority not in priority_refs:
            fail(label, f"field 'priority': no priority has ref {w.priority!r}")
        if w.subgroup is not None and w.subgroup.casefold() not in names:
            fail(label, f"field 'subgroup': {w.subgroup!r} is not in [[subgroups]]")
    for i, a in enumerate(d.actions):
        label = f"actions[{i}] (ref {a.ref})"
        if a.workstream not in workstream_refs:
            fail(label, f"field 'workstream': no work stream has ref {a.workstream!r}")
        for sg_name in a.subgroups:
            if sg_name.casefold() not in names:
                fail(label, f"field 'subgroups': {sg_name!r} is not in [[subgroups]]")
    if d.board.period_end < d.board.period_start:
        fail("board", "field 'period_end': the plan period ends before it starts")


def plan_files(directory: Path = PLANS_DIR) -> list[Path]:
    """The plan files in `directory`, in name order."""
    return sorted(directory.glob("*.toml"))


def load_all(
    engine: Engine, directory: Path = PLANS_DIR, *, replace: bool = False
) -> list[LoadResult]:
    """Validate every plan file first, then load each; nothing is written if any file is invalid.

    A file whose board code or name belongs to a board another source defines is refused
    (before anything is written) unless `replace`.
    """
    plans = [parse_plan(path) for path in plan_files(directory)]
    codes: dict[str, Path] = {}
    for plan in plans:
        code = plan.data.board.code
        if code in codes:
            raise SeedError(f"{plan.path}: board.code {code!r} is also used by {codes[code]}")
        codes[code] = plan.path
    spellings: dict[str, Plan] = {}
    for plan in plans:
        b = plan.data.board
        for key, spelling in _names(b.code, b.name, b.short_name, b.aliases).items():
            other = spellings.setdefault(key, plan)
            if other is not plan:
                raise SeedError(
                    f"{plan.path}: the board name {spelling!r} is also used by {other.path}"
                )
    with Session(engine) as session:
        for plan in plans:
            check_ownership(session, plan, replace=replace)
    return [load_plan(engine, plan, replace=replace) for plan in plans]


def load_plan(
    engine: Engine, plan: Plan, *, replace: bool = False, dry_run: bool = False
) -> LoadResult:
    """Insert or update one board's plan in place; archive what the file no longer lists.

    With `dry_run` the changes are worked out and rolled back: the result says what a real
    load would do.
    """
    if dry_run:
        with Session(engine) as session:
            try:
                check_ownership(session, plan, replace=replace)
                return _Loader(session, plan).run()
            finally:
                session.rollback()
    with session_scope(engine) as session:
        check_ownership(session, plan, replace=replace)
        return _Loader(session, plan).run()


def board_owner(session: Session, board_id: int) -> str | None:
    """Who defines a board's plan, from the newest load in its audit log ('seed file x.toml')."""
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.board_id == board_id, col(AuditEvent.event).in_(LOAD_EVENTS))
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if event is None or not event.after:
        return None
    if "source" in event.after:
        return str(event.after["source"])
    return f"seed file {event.after.get('file')}"  # written before sources were recorded


def _names(code: str, name: str, short_name: str, aliases: Iterable[str]) -> dict[str, str]:
    return {n.casefold(): n for n in (code, name, short_name, *aliases) if n}


def check_ownership(session: Session, plan: Plan, *, replace: bool = False) -> None:
    """Refuse a plan whose code, name or alias belongs to a board another source defines."""
    b = plan.data.board
    mine = _names(b.code, b.name, b.short_name, b.aliases)
    for other in session.exec(select(Board)):
        assert other.id is not None
        owner = board_owner(session, other.id) or "an earlier load"
        if other.code == b.code:
            if owner != plan.source and not replace:
                raise SeedError(
                    CODE_OWNED.format(
                        code=b.code, name=other.short_name, owner=owner, source=plan.label
                    )
                )
            continue
        theirs = _names(other.code, other.name, other.short_name, other.aliases)
        clash = next((mine[n] for n in mine if n in theirs), None)
        if clash is not None:
            raise SeedError(
                NAME_CLASHES.format(
                    source=plan.label,
                    spelling=clash,
                    code=other.code,
                    name=other.short_name,
                    owner=owner,
                )
            )


Row = TypeVar("Row", Board, Subgroup, Priority, Workstream, Action)


class _Loader:
    def __init__(self, session: Session, plan: Plan) -> None:
        self.s = session
        self.plan = plan
        self.changes = {"added": 0, "updated": 0, "archived": 0, "restored": 0}
        # Row by row, for the audit log and a dry run: labels such as "action 1.2a".
        self.details: dict[str, Any] = {"added": [], "changed": {}, "archived": [], "restored": []}

    def _sync(
        self, model: type[Row], existing: Iterable[Row], key: str, wanted: list[dict[str, Any]]
    ) -> dict[str, Row]:
        """Make the rows of `model` match `wanted` (matched on `key`); archive the rest."""
        rows: dict[str, Row] = {getattr(row, key): row for row in existing}
        kind = model.__name__.lower()
        for values in wanted:
            row = rows.get(values[key])
            label = f"{kind} {values[key]}"
            if row is None:
                row = model(**values)
                self.s.add(row)
                self.changes["added"] += 1
                self.details["added"].append(label)
                rows[values[key]] = row
                continue
            diff: dict[str, list[Any]] = {}
            for field_name, value in values.items():
                before = getattr(row, field_name)
                if before != value:
                    setattr(row, field_name, value)
                    if field_name != "position":  # a moved row is not worth a line
                        diff[field_name] = [_plain(before), _plain(value)]
            if getattr(row, "archived_at", None) is not None:
                row.archived_at = None  # type: ignore[union-attr]
                self.changes["restored"] += 1
                self.details["restored"].append(label)
            elif diff:
                self.changes["updated"] += 1
                self.details["changed"][label] = diff
            self.s.add(row)
        keep = {values[key] for values in wanted}
        now = utcnow()
        for name, row in rows.items():
            if name not in keep and getattr(row, "archived_at", None) is None:
                row.archived_at = now  # type: ignore[union-attr]
                self.s.add(row)
                self.changes["archived"] += 1
                self.details["archived"].append(f"{kind} {name}")
        self.s.flush()
        return rows

    def _live(self, model: type[Row], board_id: int) -> list[Row]:
        return list(self.s.exec(select(model).where(model.board_id == board_id)))  # type: ignore[attr-defined]

    def run(self) -> LoadResult:
        d = self.plan.data
        existing = self.s.exec(select(Board).where(Board.code == d.board.code)).all()
        board = self._sync(Board, existing, "code", [d.board.model_dump()])[d.board.code]
        assert board.id is not None
        bid = board.id
        touch_board(self.s, bid)  # before and after the writes: see store.state.touch_board

        subgroups = self._sync(
            Subgroup,
            self._live(Subgroup, bid),
            "name",
            [e.model_dump() | {"board_id": bid} for e in d.subgroups],
        )
        priorities = self._sync(
            Priority,
            self._live(Priority, bid),
            "ref",
            [e.model_dump() | {"board_id": bid, "position": i} for i, e in enumerate(d.priorities)],
        )

        def subgroup_id(name: str) -> int | None:
            return subgroups[self.plan.subgroup_name(name)].id

        workstreams = self._sync(
            Workstream,
            self._live(Workstream, bid),
            "ref",
            [
                e.model_dump(exclude={"priority", "subgroup"})
                | {
                    "board_id": bid,
                    "position": i,
                    "priority_id": priorities[e.priority].id if e.priority else None,
                    "subgroup_id": subgroup_id(e.subgroup) if e.subgroup else None,
                }
                for i, e in enumerate(d.workstreams)
            ],
        )
        actions = self._sync(
            Action,
            self._live(Action, bid),
            "ref",
            [
                e.model_dump(exclude={"workstream", "subgroups"})
                | {"board_id": bid, "position": i, "workstream_id": workstreams[e.workstream].id}
                for i, e in enumerate(d.actions)
            ],
        )
        self._sync_links(
            bid, {(actions[e.ref].id, subgroup_id(name)) for e in d.actions for name in e.subgroups}
        )
        written = self._write_updates(board, actions)
        touch_board(self.s, bid)

        actor = SEED_ACTOR if self.plan.origin == "seed" else IMPORT_ACTOR
        first_load = board_owner(self.s, bid) is None
        if any(self.changes.values()) or written or first_load:
            details = {k: v for k, v in self.details.items() if v}
            audit.record(
                self.s,
                actor=actor,
                event="plan.seeded" if self.plan.origin == "seed" else "plan.imported",
                entity="board",
                ref=board.code,
                board_id=bid,
                after={
                    "file": self.plan.path.name,
                    "source": self.plan.source,
                    **self.changes,
                    "updates": written,
                    **details,
                },
            )
        logger.info("loaded %s from %s: %s", board.code, self.plan.path.name, self.changes)
        return LoadResult(
            board=board.code,
            priorities=len(d.priorities),
            workstreams=len(d.workstreams),
            actions=len(d.actions),
            changes=dict(self.changes),
            details={k: v for k, v in self.details.items() if v},
            updates=written,
        )

    def _write_updates(self, board: Board, actions: dict[str, Action]) -> int:
        """Append the plan's progress updates (each audited); returns how many were written."""
        now = utcnow()
        actor = SEED_ACTOR if self.plan.origin == "seed" else IMPORT_ACTOR
        for u in self.plan.updates:
            action = actions[u.ref]
            assert action.id is not None
            row = ProgressUpdate(
                action_id=action.id,
                author_slack_user_id=actor,
                created_at=now,
                rag=u.rag,
                note=u.note,
                percent=u.percent,
                completed_on=u.completed_on,
                new_due=u.new_due,
                retarget_reason=u.reason if u.new_due else None,
            )
            apply_update(self.s, row)  # the row, and the action's current state with it
            after: dict[str, Any] = {"imported": True} | audit.update_effect(row)
            if u.note:
                after["note"] = True  # that a note came in, never its text
            audit.record(
                self.s,
                actor=actor,
                event="action.progress",
                entity="action",
                ref=u.ref,
                board_id=board.id,
                after=after,
                at=now,
            )
        self.s.flush()
        return len(self.plan.updates)

    def _sync_links(self, board_id: int, wanted: set[tuple[int | None, int | None]]) -> None:
        """Make the action ↔ sub-group links match the file (links carry no history)."""
        links = {
            (link.action_id, link.subgroup_id)
            for link in self.s.exec(
                select(ActionSubgroup).join(Action).where(Action.board_id == board_id)
            )
        }
        added, removed = wanted - links, links - wanted
        for action_id, subgroup_id in added:
            assert action_id is not None and subgroup_id is not None
            self.s.add(ActionSubgroup(action_id=action_id, subgroup_id=subgroup_id))
        for action_id, subgroup_id in removed:
            self.s.exec(
                delete(ActionSubgroup).where(
                    col(ActionSubgroup.action_id) == action_id,
                    col(ActionSubgroup.subgroup_id) == subgroup_id,
                )
            )
        if (added or removed) and not any(self.changes.values()):
            self.changes["updated"] += 1
