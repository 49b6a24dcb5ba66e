"""Read, validate and load plan files (see seed/FORMAT.md) into the store, safely re-runnable."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from store.db import session_scope
from store.models import (
    Action,
    ActionSubgroup,
    AuditEvent,
    Board,
    Priority,
    Subgroup,
    Workstream,
    utcnow,
)

logger = logging.getLogger(__name__)

PLANS_DIR = Path(__file__).parent / "plans"
SEED_ACTOR = "seed"


class SeedError(Exception):
    """A plan file is invalid; the message names the file, the entry and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BoardEntry(_Strict):
    code: str
    name: str
    short_name: str
    aliases: list[str] = []
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
class Plan:
    """A validated plan file and where it came from."""

    path: Path
    data: PlanFile

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

    @property
    def changed(self) -> bool:
        return any(self.changes.values())


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


def load_all(engine: Engine, directory: Path = PLANS_DIR) -> list[LoadResult]:
    """Validate every plan file first, then load each; nothing is written if any file is invalid."""
    plans = [parse_plan(path) for path in plan_files(directory)]
    codes: dict[str, Path] = {}
    for plan in plans:
        code = plan.data.board.code
        if code in codes:
            raise SeedError(f"{plan.path}: board.code {code!r} is also used by {codes[code]}")
        codes[code] = plan.path
    return [load_plan(engine, plan) for plan in plans]


def load_plan(engine: Engine, plan: Plan) -> LoadResult:
    """Insert or update one board's plan in place; archive what the file no longer lists."""
    with session_scope(engine) as session:
        return _Loader(session, plan).run()


class _Loader:
    def __init__(self, session: Session, plan: Plan) -> None:
        self.s = session
        self.plan = plan
        self.changes = {"added": 0, "updated": 0, "archived": 0, "restored": 0}

    def _apply(self, row: Any, values: dict[str, Any]) -> None:
        """Set `values` on `row`, counting a change only when something differs."""
        if row.id is None:
            for key, value in values.items():
                setattr(row, key, value)
            self.s.add(row)
            self.s.flush()
            self.changes["added"] += 1
            return
        changed = False
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
        if getattr(row, "archived_at", None) is not None:
            row.archived_at = None
            self.changes["restored"] += 1
            changed = True
        elif changed:
            self.changes["updated"] += 1
        if changed:
            self.s.add(row)

    def _archive_missing(self, rows: Iterable[Any], keep: set[str], key: str) -> None:
        now = utcnow()
        for row in rows:
            if getattr(row, key) not in keep and row.archived_at is None:
                row.archived_at = now
                self.s.add(row)
                self.changes["archived"] += 1

    def run(self) -> LoadResult:
        d = self.plan.data
        board = self.s.exec(select(Board).where(Board.code == d.board.code)).first() or Board()
        self._apply(board, d.board.model_dump())
        assert board.id is not None
        bid = board.id

        subgroups = {
            sg.name: sg for sg in self.s.exec(select(Subgroup).where(Subgroup.board_id == bid))
        }
        for entry in d.subgroups:
            row = subgroups.get(entry.name) or Subgroup(board_id=bid)
            self._apply(row, entry.model_dump())
            subgroups[entry.name] = row
        self._archive_missing(subgroups.values(), {e.name for e in d.subgroups}, "name")

        priorities = {
            p.ref: p for p in self.s.exec(select(Priority).where(Priority.board_id == bid))
        }
        for pos, entry in enumerate(d.priorities):
            row = priorities.get(entry.ref) or Priority(board_id=bid)
            self._apply(row, entry.model_dump() | {"position": pos})
            priorities[entry.ref] = row
        self._archive_missing(priorities.values(), {e.ref for e in d.priorities}, "ref")

        workstreams = {
            w.ref: w for w in self.s.exec(select(Workstream).where(Workstream.board_id == bid))
        }
        for pos, entry in enumerate(d.workstreams):
            row = workstreams.get(entry.ref) or Workstream(board_id=bid)
            values = entry.model_dump(exclude={"priority", "subgroup"})
            values["priority_id"] = priorities[entry.priority].id if entry.priority else None
            values["subgroup_id"] = (
                subgroups[self.plan.subgroup_name(entry.subgroup)].id if entry.subgroup else None
            )
            self._apply(row, values | {"position": pos})
            workstreams[entry.ref] = row
        self._archive_missing(workstreams.values(), {e.ref for e in d.workstreams}, "ref")

        actions = {a.ref: a for a in self.s.exec(select(Action).where(Action.board_id == bid))}
        links = {
            (link.action_id, link.subgroup_id)
            for link in self.s.exec(
                select(ActionSubgroup).join(Action).where(Action.board_id == bid)
            )
        }
        wanted_links: set[tuple[int, int]] = set()
        for pos, entry in enumerate(d.actions):
            row = actions.get(entry.ref) or Action(board_id=bid)
            values = entry.model_dump(exclude={"workstream", "subgroups"})
            values["workstream_id"] = workstreams[entry.workstream].id
            self._apply(row, values | {"position": pos})
            actions[entry.ref] = row
            assert row.id is not None
            for name in entry.subgroups:
                sg_id = subgroups[self.plan.subgroup_name(name)].id
                assert sg_id is not None
                wanted_links.add((row.id, sg_id))
        self._archive_missing(actions.values(), {e.ref for e in d.actions}, "ref")

        for action_id, subgroup_id in wanted_links - links:
            self.s.add(ActionSubgroup(action_id=action_id, subgroup_id=subgroup_id))
        stale = links - wanted_links
        for action_id, subgroup_id in stale:
            self.s.exec(
                delete(ActionSubgroup).where(
                    col(ActionSubgroup.action_id) == action_id,
                    col(ActionSubgroup.subgroup_id) == subgroup_id,
                )
            )
        if (wanted_links - links or stale) and not any(self.changes.values()):
            self.changes["updated"] += 1

        if any(self.changes.values()):
            self.s.add(
                AuditEvent(
                    board_id=bid,
                    actor=SEED_ACTOR,
                    event="plan.seeded",
                    entity="board",
                    entity_ref=board.code,
                    after={"file": self.plan.path.name, **self.changes},
                )
            )
        logger.info("seeded %s from %s: %s", board.code, self.plan.path.name, self.changes)
        return LoadResult(
            board=board.code,
            priorities=len(d.priorities),
            workstreams=len(d.workstreams),
            actions=len(d.actions),
            changes=dict(self.changes),
        )
