"""`python -m bot import`: a plan from a spreadsheet (CSV or XLSX), checked whole, then loaded.

The rows become a seed `Plan` and go through the same loader as the TOML plans
(seed/loader.py), so an import updates in place, archives what the file dropped and keeps
progress history exactly as seeding does. What only a spreadsheet brings (a status and a
progress note per row, a date moved since the plan was written) becomes progress updates
written in the same transaction and audited as imported.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.clock import today_london
from bot.guard import check_note
from bot.progress import STATUS_WORDS
from seed.loader import (
    ActionEntry,
    BoardEntry,
    LoadResult,
    Plan,
    PlanFile,
    PlanUpdate,
    PriorityEntry,
    SubgroupEntry,
    WorkstreamEntry,
    load_plan,
)
from store.models import Action, Board, Priority, Subgroup, Workstream
from store.queries import COMPLETE, NO_UPDATE, ActionView, action_views

MAX_BYTES = 5 * 1024 * 1024
RETARGET_REASON = "plan revised"
FLAT_WORKSTREAM = ("0", "Actions")  # ref and title of the one work stream of a flat list

# -- wording -----------------------------------------------------------------------------------

TOO_BIG = "{name} is {size:.1f} MB; the limit is 5 MB. Split the plan, or remove pictures."
EMPTY = "{name} has no actions in it. Start from seed/template.csv or seed/template.xlsx."
NOT_A_SPREADSHEET = "{name} is not a .csv or .xlsx file. Save the sheet as CSV or Excel."
UNREADABLE = "{name} could not be read as {kind}: {reason}."
NO_HEADER = (
    "I couldn't find the heading row in {name}: one row must name the columns, with at "
    "least 'Action' (the action's wording) and 'Ref'."
)
MISSING_COLUMN = "there is no {what} column (a heading such as {examples})"
NOT_A_DATE = (
    "{value!r} is not a date (write it as 30/03/2012, March 2012, Q3 2017-18, end of March, "
    "or words such as Ongoing)"
)
BAD_STATUS = "{value!r} is not a status (use red, amber, green or complete)"
BAD_PERCENT = "{value!r} is not a percentage (a whole number from 0 to 100)"
BAD_KIND = "{value!r} is not a kind (use action or assurance)"
EMPTY_REF = "every action needs a ref, such as 1.2a"
EMPTY_TEXT = "the action's wording is empty"
DUPLICATE_REF = "{value!r} is also the ref on row {first}"
LONG_REF = "{value!r} is longer than 16 characters"
TWO_TITLES = "{value!r} is already the {kind} called {title!r} on row {first}"
IDENTIFIABLE = "the note looks like it holds {kinds}; plans must not carry child-identifiable data"
DRY_RUN_HEAD = "Dry run, nothing saved. {board} ({name}) from {file}, {n} actions: "
DONE_HEAD = "Imported {board} ({name}) from {file}, {n} actions: "
WOULD = "would add {}, change {}, archive {}, and record {} progress updates."
DID = "added {}, changed {}, archived {}, recorded {} progress updates."
BAD_CODE = "The board code {code!r} must be letters and digits only (at most 16), e.g. WSCB."


class InvalidFile(Exception):
    """The file cannot be imported; `problems` lists every one, by row and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# -- columns -----------------------------------------------------------------------------------

#: Each field the import reads, and the headings that mean it (compared case-insensitively,
#: ignoring spaces, dashes, underscores and a trailing colon). The first is what export writes.
COLUMNS: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "reference", "ref no", "no", "number", "action ref", "action no", "#", "id"),
    "text": ("text", "action", "actions", "action text", "description", "task", "what"),
    "lead": (
        "lead",
        "lead / responsible",
        "lead/responsible",
        "responsible",
        "responsible person",
        "lead officer",
        "lead person",
        "owner",
        "who",
    ),
    "leads": ("leads",),
    "subgroup": (
        "subgroup",
        "sub-group",
        "sub group",
        "sub-groups",
        "subgroups",
        "lead sub-group",
        "sub-committee",
        "subcommittee",
        "monitoring",
        "monitoring mechanism",
        "group",
    ),
    "due": (
        "due",
        "target date",
        "timescale",
        "timescales",
        "deadline",
        "by when",
        "due date",
        "target",
        "date",
    ),
    "due_text": ("due_text", "target as written", "timescale as written"),
    "original_due": ("original_due", "original due", "original target date", "original target"),
    "completed": ("completed", "completion date", "date completed", "completed on"),
    "completed_text": ("completed_text",),
    "status": ("status", "rag", "rag status", "rag rating", "brag"),
    "progress": (
        "last_note",
        "progress",
        "latest note",
        "note",
        "commentary",
        "progress update",
        "update",
        "quarterly progress",
        "comments",
    ),
    "percent": ("percent", "% complete", "percent complete", "%", "percentage complete"),
    "outcomes": ("outcomes", "outcomes sought", "outcome", "expected outcome", "impact"),
    "kpis": ("kpis", "kpi", "evidence", "how do we evidence progress", "measures"),
    "kind": ("kind", "type"),
    "priority_ref": ("priority_ref", "priority ref", "priority no"),
    "priority": (
        "priority",
        "strategic priority",
        "objective",
        "strategic objective",
        "priority area",
    ),
    "workstream_ref": ("workstream_ref", "workstream ref", "work stream ref"),
    "workstream": ("workstream", "work stream", "sub-objective", "work area", "theme"),
}
#: Columns export writes that the import reads past (derived, not part of the plan).
IGNORED = {"board", "last update", "retargets"}
#: How a heading is written for a message when the file's own is not known.
LABELS = {"text": "Action", "ref": "Ref"}


def _key(heading: str) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", heading).strip().rstrip(":*").casefold().split())


_SYNONYMS = {_key(s): name for name, spellings in COLUMNS.items() for s in spellings}


def match_headings(headings: list[str]) -> dict[str, int]:
    """Field name → column index for the headings this import understands (first one wins)."""
    out: dict[str, int] = {}
    for i, heading in enumerate(headings):
        name = _SYNONYMS.get(_key(heading))
        if name is not None and name not in out:
            out[name] = i
    return out


# -- reading the file --------------------------------------------------------------------------


@dataclass
class Table:
    """A sheet's heading row and its data rows, each with its row number in the sheet."""

    headings: list[str]
    rows: list[tuple[int, list[Any]]]


def read_table(path: Path, data: bytes | None = None) -> Table:
    """The heading row and the non-blank rows below it; raises InvalidFile."""
    name = path.name
    if data is None:
        size = path.stat().st_size
        if size >= MAX_BYTES:
            raise InvalidFile([TOO_BIG.format(name=name, size=size / 1024 / 1024)])
        data = path.read_bytes()
    elif len(data) >= MAX_BYTES:
        raise InvalidFile([TOO_BIG.format(name=name, size=len(data) / 1024 / 1024)])
    if not data.strip():
        raise InvalidFile([EMPTY.format(name=name)])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        grid = _csv_rows(name, data)
    elif suffix in (".xlsx", ".xlsm"):
        grid = _xlsx_rows(name, data)
    else:
        raise InvalidFile([NOT_A_SPREADSHEET.format(name=name)])
    # The heading row is the first of the top ten that names an action column: sheets often
    # carry a title or a date above it.
    for index, (_, cells) in enumerate(grid[:10]):
        found = match_headings([str(c or "") for c in cells])
        if "text" in found or ("ref" in found and len(found) >= 2):
            headings = [str(c or "").strip() for c in cells]
            rows = [(n, r) for n, r in grid[index + 1 :] if any(_text(c) for c in r)]
            if not rows:
                raise InvalidFile([EMPTY.format(name=name)])
            return Table(headings, rows)
    raise InvalidFile([NO_HEADER.format(name=name)])


def _csv_rows(name: str, data: bytes) -> list[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    # Excel writes commas, or semicolons where the decimal mark is a comma; the first line says
    # which. (csv.Sniffer also guesses at quoting, and guesses wrong on doubled quotes.)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InvalidFile([UNREADABLE.format(name=name, kind="CSV", reason=exc)]) from None
    return [(i, row) for i, row in enumerate(rows, start=1)]


def _xlsx_rows(name: str, data: bytes) -> list[tuple[int, list[Any]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InvalidFile(
            [UNREADABLE.format(name=name, kind="an Excel workbook", reason=exc)]
        ) from None
    sheet = book.worksheets[0]
    rows = [(i, list(row)) for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    book.close()
    return rows


def _text(value: Any) -> str:
    """A cell as the text a person sees: whole numbers without '.0', dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


# -- dates -------------------------------------------------------------------------------------

_MONTHS = {
    **{calendar.month_name[m].lower(): m for m in range(1, 13)},
    **{calendar.month_abbr[m].lower(): m for m in range(1, 13)},
    "sept": 9,
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_LEAD_IN = r"(?:(?:by\s+)?(?:the\s+)?end\s+(?:of\s+)?|by\s+)?"
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4}|\d{2})$")
_MONTH_YEAR = re.compile(rf"^{_LEAD_IN}{_MONTH}[\s,./-]*(\d{{4}}|\d{{2}})$", re.I)
_MONTH_ONLY = re.compile(rf"^{_LEAD_IN}{_MONTH}$", re.I)
_QUARTER = re.compile(
    r"^(?:q|quarter\s*)([1-4])\s*(?:of\s+)?(\d{4})(?:\s*[-/]\s*(\d{2}|\d{4}))?$", re.I
)


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def quarter_end(plan_year: int, quarter: int) -> date:
    """The last day of quarter 1-4 of the plan year starting April `plan_year`."""
    month = 3 + 3 * quarter  # Q1 ends June, Q4 ends March of the next year
    return _month_end(plan_year + (month > 12), (month - 1) % 12 + 1)


def parse_date(value: Any, plan_start: date | None = None) -> date | None:
    """A date cell as boards write it; None for wording such as Ongoing. Raises ValueError.

    A month means its last day; a quarter means the last day of that quarter of the plan
    year (April to March); a month without a year is the one inside the plan's first year.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        raise ValueError("a number")
    text = _text(value).strip().rstrip(".")
    if not text:
        return None
    try:
        if m := _ISO.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _UK.match(text):
            return date(_year(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        raise ValueError("no such day") from None
    if m := _MONTH_YEAR.match(text):
        return _month_end(_year(m[2]), _MONTHS[m[1].lower()])
    if m := _QUARTER.match(text):
        return quarter_end(int(m[2]), int(m[1]))
    if m := _MONTH_ONLY.match(text):
        start = plan_start or _plan_year_start(today_london())
        month = _MONTHS[m[1].lower()]
        return _month_end(start.year + (month < start.month), month)
    if any(ch.isdigit() for ch in text):
        raise ValueError("not a date")
    return None  # wording such as Ongoing, TBC, Annually: no date, the words are kept


def parse_percent(value: Any) -> int | None:
    """'40', '40%' or an Excel percentage cell (0.4) as a whole number 0-100; None if not."""
    if isinstance(value, float) and 0 <= value <= 1 and not value.is_integer():
        value = value * 100  # Excel keeps 40% as 0.4
    try:
        number = float(_text(value).rstrip("%").strip())
    except ValueError:
        return None
    if not number.is_integer() and isinstance(value, str):
        return None
    return round(number) if 0 <= number <= 100 else None


def _plan_year_start(day: date) -> date:
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


# -- building the plan -------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    cells: dict[str, Any]


@dataclass
class Preview:
    """What an import did (or, in a dry run, would do)."""

    board: str
    name: str
    file: str
    result: LoadResult
    dry_run: bool
    ignored: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # ref → wording, for the summary
    updates: list[PlanUpdate] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary a person reads: counts, then one line per added, changed, archived row."""
        d = self.result.details
        actions = [
            (kind, label) for kind in ("added", "archived", "restored") for label in d.get(kind, [])
        ]
        added = [lbl for k, lbl in actions if k == "added" and lbl.startswith("action ")]
        archived = [lbl for k, lbl in actions if k == "archived" and lbl.startswith("action ")]
        changed = {k: v for k, v in d.get("changed", {}).items() if k.startswith("action ")}
        counts = (len(added), len(changed), len(archived), self.result.updates)
        template = DRY_RUN_HEAD if self.dry_run else DONE_HEAD
        out = [
            template.format(board=self.board, name=self.name, file=self.file, n=self.result.actions)
            + (WOULD if self.dry_run else DID).format(*counts)
        ]
        out += [f"  add      {_row(lbl, self.texts)}" for lbl in added]
        for lbl, diff in changed.items():
            fields = ", ".join(
                f"{k} {v[0] or '—'} → {v[1] or '—'}" if k in ("due", "completed") else k
                for k, v in diff.items()
            )
            out.append(f"  change   {lbl.removeprefix('action ')}: {fields}")
        retargets = [u for u in self.updates if u.new_due]
        out += [f"  re-target {u.ref} to {u.new_due} ({u.reason})" for u in retargets]
        out += [f"  archive  {_row(lbl, self.texts)}" for lbl in archived]
        if self.ignored:
            out.append("Columns not read: " + ", ".join(self.ignored) + ".")
        return out


def import_file(
    engine: Engine,
    path: Path,
    board_code: str,
    *,
    name: str | None = None,
    dry_run: bool = False,
    replace: bool = False,
    data: bytes | None = None,
) -> Preview:
    """Check the whole file, then load it as the board's plan; raises InvalidFile or SeedError."""
    table = read_table(path, data)
    code = board_code.strip().upper()
    if not code.isalnum() or len(code) > 16:
        raise InvalidFile([BAD_CODE.format(code=board_code)])
    with Session(engine) as session:
        plan, ignored = build_plan(session, table, path, code, name)
    result = load_plan(engine, plan, replace=replace, dry_run=dry_run)
    b = plan.data.board
    with Session(engine) as session:
        texts = {
            a.ref: a.text
            for a in session.exec(select(Action).join(Board).where(Board.code == b.code))
        }
    texts |= {a.ref: a.text for a in plan.data.actions}
    return Preview(b.code, b.short_name, path.name, result, dry_run, ignored, texts, plan.updates)


def _row(label: str, texts: dict[str, str]) -> str:
    ref = label.removeprefix("action ")
    text = texts.get(ref, "")
    return f"{ref}  {text[:69] + '…' if len(text) > 70 else text}"


def build_plan(
    session: Session, table: Table, path: Path, code: str, name: str | None
) -> tuple[Plan, list[str]]:
    """The plan the rows describe, merged onto the board's current plan; raises InvalidFile."""
    columns = match_headings(table.headings)
    heading = {f: table.headings[i] or LABELS.get(f, f) for f, i in columns.items()}
    ignored = [
        h
        for i, h in enumerate(table.headings)
        if h and i not in columns.values() and _key(h) not in IGNORED
    ]
    problems: list[str] = []
    for field_name, what in (("text", "action"), ("ref", "ref")):
        if field_name not in columns:
            examples = " or ".join(repr(s.title()) for s in COLUMNS[field_name][:3])
            message = MISSING_COLUMN.format(what=what, examples=examples)
            problems.append(message[0].upper() + message[1:] + ".")
    if problems:
        raise InvalidFile(problems)
    rows = [
        _Row(n, {f: (cells[i] if i < len(cells) else None) for f, i in columns.items()})
        for n, cells in table.rows
    ]

    board = session.exec(select(Board).where(Board.code == code)).first()
    existing = _Existing(session, board)

    def problem(row: _Row, field_name: str, message: str) -> None:
        problems.append(f"row {row.number}, {heading[field_name]}: {message}")

    # Pass 1: dates the file states in full fix the plan year for dates that leave it out.
    explicit: list[date] = []
    for row in rows:
        for f in ("due", "original_due", "completed"):
            try:
                day = parse_date(row.cells.get(f), date(1900, 4, 1))
            except ValueError:
                continue
            if day is not None and not _MONTH_ONLY.match(_text(row.cells.get(f))):
                explicit.append(day)
    if board is not None:
        period_start, period_end = board.period_start, board.period_end
    elif explicit:
        period_start = _plan_year_start(min(explicit))
        period_end = date(_plan_year_start(max(explicit)).year + 1, 3, 31)
    else:
        period_start = _plan_year_start(today_london())
        period_end = date(period_start.year + 1, 3, 31)

    subgroups = existing.subgroups()
    sg_index = {s.casefold(): e.name for e in subgroups for s in (e.name, *e.aliases)}
    priorities: dict[str, PriorityEntry] = {}
    priority_titles: dict[str, tuple[str, int]] = {}
    workstreams: dict[str, WorkstreamEntry] = {}
    workstream_titles: dict[tuple[str | None, str], tuple[str, int]] = {}
    actions: list[ActionEntry] = []
    updates: list[PlanUpdate] = []
    seen_refs: dict[str, int] = {}

    for row in rows:
        c = row.cells
        ref = _text(c.get("ref"))
        text = _text(c.get("text"))
        if not ref:
            problem(row, "ref", EMPTY_REF)
        elif len(ref) > 16:
            problem(row, "ref", LONG_REF.format(value=ref))
        elif ref.casefold() in seen_refs:
            problem(row, "ref", DUPLICATE_REF.format(value=ref, first=seen_refs[ref.casefold()]))
        else:
            seen_refs[ref.casefold()] = row.number
        if not text:
            problem(row, "text", EMPTY_TEXT)

        # Priority and work stream: optional; refs are made up in plan order when absent.
        pr_ref = _text(c.get("priority_ref")) or None
        pr_title = _text(c.get("priority")) or None
        if pr_title and not pr_ref:
            known = priority_titles.get(pr_title.casefold())
            pr_ref = known[0] if known else str(len(priorities) + 1)
        if pr_ref and pr_ref not in priorities:
            priorities[pr_ref] = PriorityEntry(
                ref=pr_ref,
                title=pr_title or existing.priority_title(pr_ref) or f"Priority {pr_ref}",
                description=existing.priority_description(pr_ref),  # no column for it: kept
            )
            if pr_title:
                priority_titles[pr_title.casefold()] = (pr_ref, row.number)
        ws_ref = _text(c.get("workstream_ref")) or None
        ws_title = _text(c.get("workstream")) or None
        if ws_title and not ws_ref:
            known_ws = workstream_titles.get((pr_ref, ws_title.casefold()))
            count = sum(1 for w in workstreams.values() if w.priority == pr_ref) + 1
            ws_ref = known_ws[0] if known_ws else (f"{pr_ref}.{count}" if pr_ref else f"W{count}")
        if not ws_ref:
            ws_ref, ws_title = (pr_ref, priorities[pr_ref].title) if pr_ref else FLAT_WORKSTREAM
        if ws_ref not in workstreams:
            before = existing.workstream(ws_ref)
            workstreams[ws_ref] = WorkstreamEntry(
                ref=ws_ref,
                priority=pr_ref,
                title=ws_title or existing.workstream_title(ws_ref) or f"Work stream {ws_ref}",
                # A spreadsheet has no columns for a work stream's own outcomes and KPIs:
                # re-importing keeps them.
                subgroup=existing.subgroup_name(before.subgroup_id) if before else None,
                outcomes=before.outcomes if before else None,
                kpis=before.kpis if before else None,
            )
            if ws_title:
                workstream_titles[(pr_ref, ws_title.casefold())] = (ws_ref, row.number)

        # Sub-groups: known names or aliases, else a new sub-group of that name.
        names: list[str] = []
        for part in _split_subgroups(_text(c.get("subgroup")), sg_index):
            canonical = sg_index.get(part.casefold())
            if canonical is None:
                subgroups.append(SubgroupEntry(name=part))
                canonical = sg_index[part.casefold()] = part
            if canonical not in names:
                names.append(canonical)

        dates: dict[str, date | None] = {}
        for f in ("due", "original_due", "completed"):
            if f not in c:
                continue
            try:
                dates[f] = parse_date(c[f], period_start)
            except ValueError:
                problem(row, f, NOT_A_DATE.format(value=_text(c[f])))

        rag, completed_on = None, None
        status = _text(c.get("status")).casefold()
        if status and status != NO_UPDATE:
            word = "complete" if status in ("blue", "c", "closed") else STATUS_WORDS.get(status)
            if word is None:
                problem(row, "status", BAD_STATUS.format(value=_text(c.get("status"))))
            elif word == COMPLETE and not dates.get("completed"):
                completed_on = today_london()
            elif word == COMPLETE:
                pass  # the completion date column records it in the plan
            else:
                rag = word
        percent: int | None = None
        if _text(c.get("percent")):
            percent = parse_percent(c.get("percent"))
            if percent is None:
                problem(row, "percent", BAD_PERCENT.format(value=_text(c.get("percent"))))
        note = str(c.get("progress") or "").strip() or None
        if note and (findings := check_note(note)):
            kinds = ", ".join(sorted({f.kind for f in findings}))
            problem(row, "progress", IDENTIFIABLE.format(kinds=kinds))
        kind = _text(c.get("kind")).casefold() or "action"
        if kind not in ("action", "assurance"):
            problem(row, "kind", BAD_KIND.format(value=_text(c.get("kind"))))
            kind = "action"
        if problems or not ref or not text:
            continue

        current = existing.view(ref)
        row_action = existing.action(ref)
        if "lead" in c:
            lead = _text(c.get("lead")) or None
        else:
            lead = row_action.lead if row_action else None
        if "leads" in c:
            leads = [p.strip() for p in _text(c.get("leads")).split(";") if p.strip()]
        elif row_action is not None and row_action.lead == lead:
            leads = list(row_action.leads)
        else:
            leads = split_leads(lead)

        plan_due, new_due = _due_dates(dates, row_action, current)
        if new_due is not None and row_action is not None:
            due_text = row_action.due_text  # the plan's wording stays; the move is a re-target
        elif "due_text" in c:
            due_text = _text(c.get("due_text")) or None
        elif "due" in c:
            due_text = _written(c.get("due"))
        else:
            due_text = row_action.due_text if row_action else None
        if "completed" in c:
            completed = dates.get("completed")
        else:
            completed = row_action.completed if row_action else None
        if row_action is not None and current is not None and completed == current.completed:
            completed = row_action.completed  # an update completed it; the plan is unchanged

        def keep(f: str, fallback: str | None, c: dict[str, Any] = c) -> str | None:
            return (_text(c.get(f)) or None) if f in c else fallback

        actions.append(
            ActionEntry(
                ref=ref,
                workstream=ws_ref,
                text=text,
                lead=lead,
                leads=leads,
                subgroups=names if "subgroup" in c else existing.subgroup_names(ref),
                due=plan_due,
                due_text=due_text,
                completed=completed,
                completed_text=keep(
                    "completed_text", row_action.completed_text if row_action else None
                ),
                outcomes=_own(
                    keep("outcomes", row_action.outcomes if row_action else None),
                    workstreams[ws_ref].outcomes,
                    row_action.outcomes if row_action else None,
                ),
                kpis=_own(
                    keep("kpis", row_action.kpis if row_action else None),
                    workstreams[ws_ref].kpis,
                    row_action.kpis if row_action else None,
                ),
                kind="assurance" if kind == "assurance" else "action",
                note=row_action.note if row_action else None,
            )
        )
        update = _update(ref, current, rag, completed_on, note, percent)
        if new_due is not None:
            update = update or PlanUpdate(ref=ref)
            update.new_due, update.reason = new_due, RETARGET_REASON
        if update is not None:
            updates.append(update)

    if problems:
        raise InvalidFile(problems)
    if board is not None:
        board_entry = BoardEntry(
            code=board.code,
            name=name or board.name,
            short_name=name or board.short_name,
            aliases=list(board.aliases),
            period=board.period,
            period_start=board.period_start,
            period_end=board.period_end,
            source=path.name,
            shape=board.shape,  # type: ignore[arg-type]
        )
    else:
        first, last = period_start.year, period_end.year
        period = f"{first}/{str(last)[2:]}" if last == first + 1 else f"{first}-{str(last)[2:]}"
        board_entry = BoardEntry(
            code=code,
            name=name or code,
            short_name=name or code,
            period=period,
            period_start=period_start,
            period_end=period_end,
            source=path.name,
            shape="objectives",
        )
    try:
        data = PlanFile(
            board=board_entry,
            subgroups=subgroups,
            priorities=list(priorities.values()),
            workstreams=list(workstreams.values()),
            actions=actions,
        )
    except ValidationError as exc:  # a guard: the rows were checked above
        raise InvalidFile([str(e["msg"]) for e in exc.errors()]) from None
    return Plan(path, data, origin="import", updates=updates), ignored


def _due_dates(
    dates: dict[str, date | None], action: Action | None, current: ActionView | None
) -> tuple[date | None, date | None]:
    """(the plan's date, a re-target to record) for one row.

    The plan's own date changes only through an `original_due` column (or for a new action);
    a `due` the file moves away from the action's current date is a re-target, as if the
    lead had moved it with /progress, so the history and the re-target count stay honest.
    """
    due = dates.get("due")
    if action is None or current is None:
        plan_due = dates.get("original_due", due)
        if action is not None and "original_due" not in dates and "due" not in dates:
            plan_due = action.due  # an archived action coming back, without dates in the file
        retarget = due if due is not None and plan_due is not None and due != plan_due else None
        return plan_due, retarget
    plan_due = dates.get("original_due", action.due)
    retarget = due if "due" in dates and due is not None and due != current.due else None
    return plan_due, retarget


def _written(value: Any) -> str | None:
    """A date cell's wording, kept as the plan wrote it (not for real dates or ISO text)."""
    if value is None or isinstance(value, date | datetime):
        return None
    text = _text(value)
    return None if not text or _ISO.match(text) else text


def _split_subgroups(text: str, known: dict[str, str]) -> Iterable[str]:
    """Sub-group names in a cell: split on ";" and " / ", and on "/" between known names."""
    for part in re.split(r"\s*;\s*|\s+/\s+", text):
        part = part.strip()
        if not part:
            continue
        pieces = [p.strip() for p in part.split("/") if p.strip()]
        if part.casefold() in known or not all(p.casefold() in known for p in pieces):
            yield part  # "Voice of the child/family" is one name; "IFPG/MEG" is two known ones
        else:
            yield from pieces


def split_leads(lead: str | None) -> list[str]:
    """The lead column split into roles: on '/', ';', ',', '&' and 'and' outside brackets."""
    if not lead:
        return []
    parts, depth, current = [], 0, ""
    for token in re.split(r"(\(|\)|/|;|,|&|\band\b)", lead):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        if depth == 0 and token in ("/", ";", ",", "&", "and"):
            parts.append(current)
            current = ""
        else:
            current += token
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _update(
    ref: str,
    current: ActionView | None,
    rag: str | None,
    completed_on: date | None,
    note: str | None,
    percent: int | None,
) -> PlanUpdate | None:
    """The progress the row states that the action does not already show, if any."""
    if current is not None:
        rag = rag if rag != current.status else None
        completed_on = completed_on if current.status != COMPLETE else None
        note = note if note != current.last_note else None
        percent = percent if percent != current.percent else None
    if rag is None and completed_on is None and note is None and percent is None:
        return None
    return PlanUpdate(ref=ref, rag=rag, note=note, percent=percent, completed_on=completed_on)


def _own(value: str | None, workstream_value: str | None, before: str | None) -> str | None:
    """An action's own outcomes (or KPIs) from a cell. The export fills an empty one from its
    work stream, so that text coming back is the work stream's, not a change to the action;
    and a cell that only lost the plan's line breaks to the spreadsheet keeps them."""

    def same(a: str | None, b: str | None) -> bool:
        return a is not None and b is not None and a.split() == b.split()

    if same(value, before):
        return before
    if before is None and same(value, workstream_value):
        return None
    return value


class _Existing:
    """The board's current plan, for merging a file onto it (empty for a new board)."""

    def __init__(self, session: Session, board: Board | None) -> None:
        self.board = board
        self._views: dict[str, ActionView] = {}
        self._actions: dict[str, Action] = {}
        self._priorities: dict[str, Priority] = {}
        self._workstreams: dict[str, Workstream] = {}
        self._subgroups: list[Subgroup] = []
        if board is None or board.id is None:
            return
        self._views = {v.ref: v for v in action_views(session, board)}
        self._actions = {
            a.ref: a for a in session.exec(select(Action).where(Action.board_id == board.id))
        }
        self._priorities = {
            p.ref: p for p in session.exec(select(Priority).where(Priority.board_id == board.id))
        }
        self._workstreams = {
            w.ref: w
            for w in session.exec(select(Workstream).where(Workstream.board_id == board.id))
        }
        self._subgroups = list(
            session.exec(
                select(Subgroup)
                .where(Subgroup.board_id == board.id, col(Subgroup.archived_at).is_(None))
                .order_by(col(Subgroup.id))
            )
        )

    def view(self, ref: str) -> ActionView | None:
        return self._views.get(ref)

    def action(self, ref: str) -> Action | None:
        return self._actions.get(ref)

    def priority_title(self, ref: str) -> str | None:
        found = self._priorities.get(ref)
        return found.title if found else None

    def priority_description(self, ref: str) -> str | None:
        found = self._priorities.get(ref)
        return found.description if found else None

    def subgroup_name(self, subgroup_id: int | None) -> str | None:
        return next((s.name for s in self._subgroups if s.id == subgroup_id), None)

    def workstream_title(self, ref: str) -> str | None:
        found = self._workstreams.get(ref)
        return found.title if found else None

    def workstream(self, ref: str) -> Workstream | None:
        return self._workstreams.get(ref)

    def subgroup_names(self, ref: str) -> list[str]:
        view = self._views.get(ref)
        return list(view.subgroups) if view else []

    def subgroups(self) -> list[SubgroupEntry]:
        return [
            SubgroupEntry(
                name=s.name,
                aliases=list(s.aliases),
                description=s.description,
                board_level=s.board_level,
            )
            for s in self._subgroups
        ]
