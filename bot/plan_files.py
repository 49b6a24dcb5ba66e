"""Plans as files in Slack: `/lscb export`, `/lscb report [quarter]` and `/lscb import`.

Each function decides and returns a Reply; a file travels as a Reply attachment, which Slack
uploads to the asker and the console and `say` write to disk. Downloading a shared file is
Slack's business (handlers/files.py); here the bytes arrive already read.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ConfirmObject
from sqlalchemy import Engine
from sqlmodel import Session

from bot.export import export_board
from bot.identity import PICK_BOARD, is_board_admin, person_for
from bot.importer import MAX_BYTES, NOT_A_SPREADSHEET, TOO_BIG, InvalidFile, import_file
from bot.render import (
    MAX_SECTION,
    Attachment,
    BlockBuilder,
    Reply,
    escape,
    fmt_date,
    join_counts,
    plural,
)
from bot.report import (
    STATUSES,
    ReportError,
    current_quarter,
    make_report,
    quarter_period,
    render,
    render_chart_png,
)
from bot.report import locked_periods as kept_periods
from seed.loader import SeedError, board_owner
from store.db import session_scope
from store.models import Board, Person
from store.queries import UnknownBoard, action_views, asker_board, find_board

# -- wording -----------------------------------------------------------------------------------

EXPORTED = (
    "*{board}*'s plan as a spreadsheet: {n} ({statuses}), in {file}. Open it in Excel; "
    "a board admin can send an edited copy back to me with `import`."
)
REPORT_USAGE = (
    "Usage: `/lscb report [quarter] [pdf|xlsx]`, e.g. `/lscb report 2018Q3` or "
    "`/lscb report 2018Q3 xlsx` (quarters of the April to March plan year; "
    "the default is the last complete quarter of the plan)."
)
OUTSIDE_PLAN = (
    "{label} is outside {board}'s plan ({period}). Try `/lscb report {suggest}`, "
    "the plan's last complete quarter."
)
REPORT_HEAD = "*{label}* progress report for *{board}* ({start} to {end}), as {fmt}: {exceptions}."
EXCEPTIONS = "{n} to look at first (red, amber, overdue, no update this quarter or re-targeted)"
REPORT_LOCKED = (
    "This is the locked record of {label}, kept on {day}: later updates don't change it."
)
REPORT_LIVE = "Worked out from the updates made by {end}; nobody has locked this quarter yet."
OTHER_LOCKED = "Locked reports kept for {board}: {quarters}."
IMPORT_HOW = (
    "To load {board}'s plan from a spreadsheet, send me the CSV or Excel file in a direct "
    "message with the message `import`. I'll check every row and show what would change; "
    "nothing is saved until you press Apply. Start from `/lscb export` for the current plan "
    "in the right columns. (From a terminal: `python -m bot import FILE --board {code} "
    "--dry-run`.)"
)
IMPORT_NOT_ADMIN = "Only {board}'s admins can import its plan. `/lscb whoami` shows your rights."
IMPORT_INVALID = "Nothing was imported: {file} has {n} to fix."
IMPORT_REFUSED = "Nothing was imported: {reason}"
IMPORT_TAKEOVER = (
    "{board}'s plan comes from {owner} today; applying makes this import its source "
    "(loading that file again will then need `seed --replace`)."
)
IMPORT_APPLY_HINT = "Nothing is saved yet: Apply imports it as shown, Cancel leaves the plan alone."
IMPORT_CHANGED = (
    "{file} has changed since I checked it, so I haven't imported it. Send it to me again "
    "with `import` to see what it would do now."
)
IMPORT_GONE = "I can't read that file any more (deleted?). Send it to me again with `import`."
IMPORT_CANCELLED = "Cancelled: nothing was imported from {file}."
IMPORT_STALE = "That button is out of date. Send the file to me again with `import`."
MORE_LINES = "…and {n} more in the attached {file}."

APPLY_ACTION = "plan_import_apply"
CANCEL_ACTION = "plan_import_cancel"
REPORT_FORMATS = {"pdf": "pdf", "xlsx": "xlsx", "excel": "xlsx", "md": "md", "markdown": "md"}
FORMAT_WORDS = {"pdf": "PDF", "xlsx": "an Excel workbook", "md": "Markdown"}
SPREADSHEET_SUFFIXES = (".csv", ".xlsx", ".xlsm")


# -- export ------------------------------------------------------------------------------------


def export_reply(session: Session, board: Board | None, today: date) -> Reply:
    """`/lscb export`: the board's plan as the CSV `python -m bot export --format csv` writes."""
    if board is None:
        return Reply(text=PICK_BOARD)
    views = action_views(session, board)
    content = export_board(session, board.code, "csv").encode("utf-8")
    filename = f"{board.code.lower()}-plan-{today.isoformat()}.csv"
    counts = join_counts((status, sum(v.status == status for v in views)) for status in STATUSES)
    text = EXPORTED.format(
        board=escape(board.short_name),
        n=plural(len(views), "action"),
        statuses=counts,
        file=filename,
    )
    title = f"{board.short_name} business plan {board.period}"
    return Reply(text=text, files=[Attachment(filename, content, title)])


# -- report ------------------------------------------------------------------------------------


def _previous(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year}Q{q - 1}" if q > 1 else f"{year - 1}Q4"


def default_quarter(board: Board, today: date) -> str:
    """The plan's last complete quarter as at `today` (its first quarter, before one ends)."""
    moment = min(today, board.period_end + timedelta(days=1))
    quarter = _previous(current_quarter(moment))
    if quarter_period(quarter)[1] < board.period_start:
        return current_quarter(board.period_start)
    return quarter


def _quarter_name(key: str) -> str:
    """A locked report's period key as people say it: 'Q3 2018-19 (`2018Q3`)'."""
    start, _, end = key.partition("..")
    try:
        quarter = current_quarter(date.fromisoformat(start))
    except ValueError:
        return key
    begin, finish, label = quarter_period(quarter)
    if (begin.isoformat(), finish.isoformat()) == (start, end):
        return f"{label} (`/lscb report {quarter}`)"
    return key.replace("..", " to ")


def report_reply(session: Session, board: Board | None, args: str, today: date) -> Reply:
    """`/lscb report [quarter] [pdf|xlsx]`: the report as a file, its summary in the message."""
    if board is None:
        return Reply(text=PICK_BOARD)
    quarter, fmt = None, "pdf"
    for word in re.findall(r"\d{4}\s*-?\s*q[1-4]|q[1-4]\s*\d{4}|\S+", args.lower()):
        if word in REPORT_FORMATS:
            fmt = REPORT_FORMATS[word]
        elif re.search(r"q[1-4]", word) and quarter is None:
            quarter = word
        else:
            return Reply(text=REPORT_USAGE)
    quarter = quarter or default_quarter(board, today)
    try:
        start, end, label = quarter_period(quarter)
    except ReportError as exc:
        return Reply(text=escape(str(exc)) + "\n" + REPORT_USAGE)
    if end < board.period_start or start > board.period_end:
        return Reply(
            text=OUTSIDE_PLAN.format(
                label=label,
                board=escape(board.short_name),
                period=escape(board.period),
                suggest=default_quarter(board, today),
            )
        )
    report = make_report(session, board, quarter=quarter)
    exceptions = len(report.exceptions())
    head = REPORT_HEAD.format(
        label=label,
        board=escape(board.short_name),
        start=fmt_date(start),
        end=fmt_date(end),
        fmt=FORMAT_WORDS[fmt],
        exceptions=EXCEPTIONS.format(n=exceptions) if exceptions else "no exceptions",
    )
    b = BlockBuilder()
    b.section(head)
    lines = [
        f"• *{escape(priority)}*: "
        + join_counts((status, counts[status]) for status in STATUSES)
        for priority, counts in report.summary()
    ]
    if lines:
        b.section("\n".join(lines))
    if report.locked_on:
        kept_on = fmt_date(date.fromisoformat(report.locked_on))
        b.context(REPORT_LOCKED.format(label=label, day=kept_on))
    else:
        b.context(REPORT_LIVE.format(end=fmt_date(end)))
    others = [k for k in kept_periods(session, board) if k != f"{start}..{end}"]
    if others:
        quarters = ", ".join(_quarter_name(k) for k in others[:6])
        b.context(OTHER_LOCKED.format(board=escape(board.short_name), quarters=quarters))
    filename = f"{board.code.lower()}-report-{current_quarter(start)}.{fmt}"
    title = f"{board.short_name} progress report, {label}"
    text = f"{label} progress report for {board.short_name}: " + (
        f"{exceptions} exceptions" if exceptions else "no exceptions"
    )
    chart = Attachment(filename.rsplit(".", 1)[0] + "-chart.png", render_chart_png(report), title)
    return Reply(
        text=text,
        blocks=b.blocks,
        files=[Attachment(filename, render(report, fmt), title), chart],
    )


# -- import ------------------------------------------------------------------------------------


def import_help(session: Session, person: Person, board: Board | None) -> Reply:
    """`/lscb import` without a file: how to send one (board admins only)."""
    if board is None:
        return Reply(text=PICK_BOARD)
    if not is_board_admin(session, person, board):
        return Reply(text=IMPORT_NOT_ADMIN.format(board=escape(board.short_name)))
    return Reply(text=IMPORT_HOW.format(board=escape(board.short_name), code=board.code))


def is_import_request(text: str, filename: str) -> bool:
    """Whether a file shared with the bot asks for an import: 'import' with it, or a spreadsheet
    sent with no words at all."""
    words = " ".join(text.lower().split())
    if words in ("import", "/lscb import", "lscb import"):
        return True
    return not words and filename.lower().endswith(SPREADSHEET_SUFFIXES)


@dataclass(frozen=True)
class ImportRequest:
    """What an Apply button carries: the board, the Slack file and the bytes' fingerprint."""

    board: str
    file_id: str
    filename: str
    digest: str

    def to_value(self) -> str:
        return json.dumps(
            {"b": self.board, "f": self.file_id, "n": self.filename, "h": self.digest}
        )

    @classmethod
    def from_value(cls, value: str | None) -> ImportRequest | None:
        """The request a button carries, or None when the value is not one of ours."""
        try:
            doc = json.loads(value or "")
            return cls(str(doc["b"]), str(doc["f"]), str(doc["n"]), str(doc["h"]))
        except (ValueError, KeyError, TypeError):
            return None


def fingerprint(data: bytes) -> str:
    """What 'the file is unchanged' compares."""
    return hashlib.sha256(data).hexdigest()


def refuse_unread(filename: str, size: int) -> Reply | None:
    """A refusal for a file no import can take (not a spreadsheet, or over the size limit),
    decided from its name and size before anyone downloads it."""
    if not filename.lower().endswith(SPREADSHEET_SUFFIXES):
        return problems_reply(filename, [NOT_A_SPREADSHEET.format(name=filename)])
    if size >= MAX_BYTES:
        return problems_reply(filename, [TOO_BIG.format(name=filename, size=size / 1024 / 1024)])
    return None


def _refusal(
    session: Session, user_id: str, admin_ids: frozenset[str], board: Board | None
) -> Reply | None:
    """Why this person may not import into `board`, or None when they may (its admins)."""
    if board is None:
        return Reply(text=PICK_BOARD)
    person = person_for(session, user_id, admin_ids)
    if not is_board_admin(session, person, board):
        return Reply(text=IMPORT_NOT_ADMIN.format(board=escape(board.short_name)))
    return None


def import_refusal(
    engine: Engine,
    *,
    user_id: str,
    admin_ids: frozenset[str],
    board_name: str | None,
    default_board: str | None,
) -> Reply | None:
    """Why this person may not import into the board (named, else their own), before any
    download; None when they may."""
    with session_scope(engine) as session:
        person = person_for(session, user_id, admin_ids)
        try:
            board = asker_board(session, person, board_name, default_board)
        except UnknownBoard:
            return Reply(text=IMPORT_STALE)
        return _refusal(session, user_id, admin_ids, board)


def _takeover(session: Session, board: Board) -> str | None:
    """Who defines the board when it is not an earlier import (a seed file): the import will
    replace them as its source, which the person is told before applying."""
    assert board.id is not None
    owner = board_owner(session, board.id)
    return owner if owner and owner != "an import" else None


def preview_import(
    engine: Engine,
    *,
    user_id: str,
    admin_ids: frozenset[str],
    default_board: str | None,
    filename: str,
    data: bytes,
    file_id: str,
) -> Reply:
    """A dry run of the shared file on the asker's board: the summary, Apply and Cancel."""
    with session_scope(engine) as session:
        person = person_for(session, user_id, admin_ids)
        board = asker_board(session, person, None, default_board)
        refusal = _refusal(session, user_id, admin_ids, board)
        if refusal is not None or board is None:
            return refusal or Reply(text=PICK_BOARD)
        code, owner = board.code, _takeover(session, board)
    try:
        preview = import_file(
            engine, Path(filename), code, dry_run=True, replace=owner is not None, data=data
        )
    except InvalidFile as exc:
        return problems_reply(filename, exc.problems)
    except SeedError as exc:
        return Reply(text=IMPORT_REFUSED.format(reason=escape(str(exc))))
    request = ImportRequest(code, file_id, filename, fingerprint(data))
    reply = _listing(preview.lines(), Path(filename).stem + "-preview.txt")
    b = BlockBuilder()
    b.blocks = reply.blocks
    if owner is not None:
        b.context(IMPORT_TAKEOVER.format(board=escape(preview.name), owner=escape(owner)))
    b.context(IMPORT_APPLY_HINT)
    b.blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Apply",
                    action_id=APPLY_ACTION,
                    value=request.to_value(),
                    style="primary",
                    confirm=ConfirmObject(
                        title="Import this plan?",
                        text=f"Load {escape(filename)} as {escape(preview.name)}'s plan.",
                        confirm="Import",
                        deny="Not yet",
                    ),
                ),
                ButtonElement(text="Cancel", action_id=CANCEL_ACTION, value=request.to_value()),
            ]
        )
    )
    return Reply(text=reply.text, blocks=b.blocks, files=reply.files)


def apply_import(
    engine: Engine,
    *,
    user_id: str,
    admin_ids: frozenset[str],
    request: ImportRequest,
    data: bytes | None,
) -> Reply:
    """Apply a previewed import, re-checking the person's rights and that the file is the same."""
    with session_scope(engine) as session:
        try:
            board = find_board(session, request.board)
        except UnknownBoard:
            return Reply(text=IMPORT_STALE)
        refusal = _refusal(session, user_id, admin_ids, board)
        if refusal is not None:
            return refusal
        owner = _takeover(session, board)
    if data is None:
        return Reply(text=IMPORT_GONE)
    if fingerprint(data) != request.digest:
        return Reply(text=IMPORT_CHANGED.format(file=escape(request.filename)))
    try:
        preview = import_file(
            engine, Path(request.filename), request.board, replace=owner is not None, data=data
        )
    except InvalidFile as exc:
        return problems_reply(request.filename, exc.problems)
    except SeedError as exc:
        return Reply(text=IMPORT_REFUSED.format(reason=escape(str(exc))))
    return _listing(preview.lines(), Path(request.filename).stem + "-import.txt")


def cancel_import(request: ImportRequest | None) -> Reply:
    """Cancel: say so; nothing was written by the dry run."""
    if request is None:
        return Reply(text=IMPORT_STALE)
    return Reply(text=IMPORT_CANCELLED.format(file=escape(request.filename)))


def problems_reply(filename: str, problems: list[str]) -> Reply:
    """Every problem in the file, by row and column; the whole list as a file if it is long."""
    head = IMPORT_INVALID.format(file=escape(filename), n=plural(len(problems), "problem"))
    return _listing([head] + [f"• {p}" for p in problems], Path(filename).stem + "-problems.txt")


def _listing(lines: list[str], filename: str) -> Reply:
    """The first line as the message, the rest in sections while they fit in one message; what
    does not fit goes in a text file with every line."""
    head, rest = lines[0], lines[1:]
    b = BlockBuilder()
    b.section(escape(head))
    chunk: list[str] = []
    shown = 0
    room = 6  # sections of detail: the summary stays readable, the file has the rest
    for line in rest:
        text = escape(line.strip())
        if sum(len(c) + 1 for c in chunk) + len(text) > MAX_SECTION - 100:
            if room <= 1:
                break
            b.section("\n".join(chunk))
            room -= 1
            chunk = []
        chunk.append(text)
        shown += 1
    files = []
    if shown < len(rest):
        chunk.append(MORE_LINES.format(n=len(rest) - shown, file=filename))
        content = ("\n".join(lines) + "\n").encode("utf-8")
        files.append(Attachment(filename, content, filename))
    if chunk:
        b.section("\n".join(chunk))
    return Reply(text=head, blocks=b.blocks, files=files)
