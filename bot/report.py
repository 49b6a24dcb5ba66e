"""`python -m bot report`: the board's quarterly progress report as Markdown, XLSX or PDF.

The report is worked out as at the end of its period (updates made later do not count), so
the same period gives the same report; `--lock` keeps it as the quarter's record, and a
locked report is re-issued from that record byte for byte.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.clock import LONDON, today_london
from bot.importer import quarter_end
from store.models import Action, Board, LockedReport, ProgressUpdate
from store.queries import COMPLETE, NO_UPDATE, action_views
from store.withdrawals import live

STATUSES = ("red", "amber", "green", COMPLETE, NO_UPDATE)
COLOURS = {  # RGB, as boards colour a RAG table
    "red": (192, 0, 0),
    "amber": (255, 192, 0),
    "green": (0, 150, 80),
    COMPLETE: (0, 112, 192),
    NO_UPDATE: (191, 191, 191),
}
NO_PRIORITY = "Outside the priorities"

TITLE = "{board} business plan {period}: progress report"
PERIOD = "{label}: {start} to {end}"
LOCKED_NOTE = "Locked on {day} as the record of {label}; later updates do not change it."
BAD_QUARTER = "{text!r} is not a quarter: write it like 2018Q3 (Q3 of the 2018-19 plan year)."


class ReportError(ValueError):
    """The period asked for is not one the report can cover; the message says why."""


# -- the period --------------------------------------------------------------------------------


def quarter_period(text: str) -> tuple[date, date, str]:
    """'2018Q3' → (2018-10-01, 2018-12-31, 'Q3 2018-19'): quarters of the April-March year."""
    m = re.fullmatch(r"\s*(\d{4})\s*-?\s*Q([1-4])\s*", text, re.I) or re.fullmatch(
        r"\s*Q([1-4])\s*(\d{4})\s*", text, re.I
    )
    if not m:
        raise ReportError(BAD_QUARTER.format(text=text))
    year, quarter = (int(m[1]), int(m[2])) if len(m[1]) == 4 else (int(m[2]), int(m[1]))
    end = quarter_end(year, quarter)
    first_month = end.month - 2
    start = date(end.year - (first_month < 1), (first_month - 1) % 12 + 1, 1)
    return start, end, f"Q{quarter} {year}-{str(year + 1)[2:]}"


def current_quarter(today: date) -> str:
    """The plan-year quarter holding `today`, as '2018Q3'."""
    year = today.year if today.month >= 4 else today.year - 1
    quarter = ((today.month - 4) % 12) // 3 + 1
    return f"{year}Q{quarter}"


def period_key(start: date, end: date) -> str:
    """How a locked report's period is stored: '2018-10-01..2018-12-31'."""
    return f"{start.isoformat()}..{end.isoformat()}"


# -- the report's contents ---------------------------------------------------------------------


@dataclass
class Line:
    """One action as the report shows it, as at the end of the period."""

    ref: str
    text: str
    lead: str | None
    subgroup: str | None
    priority: str
    workstream: str
    original_due: str | None
    due: str | None
    status: str
    percent: int | None
    retargets: int
    commentary: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


@dataclass
class Report:
    """Everything a rendering needs; JSON-safe, so a locked report is kept as it is."""

    board: str
    board_name: str
    plan_period: str
    label: str
    start: str
    end: str
    lines: list[Line]
    locked_on: str | None = None

    def summary(self) -> list[tuple[str, Counter[str]]]:
        """Per priority (in plan order), how many actions stand at each status."""
        out: dict[str, Counter[str]] = {}
        for line in self.lines:
            out.setdefault(line.priority, Counter())[line.status] += 1
        return list(out.items())

    def exceptions(self) -> list[Line]:
        """The actions a board looks at first: red, amber, overdue, silent, re-targeted."""
        return [line for line in self.lines if line.exceptions]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Report:
        return cls(**(doc | {"lines": [Line(**line) for line in doc["lines"]]}))


def build_report(session: Session, board: Board, start: date, end: date) -> Report:
    """The report for `board` over `start`..`end`, counting only what was known by `end`."""
    assert board.id is not None
    views = action_views(session, board)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
    since = datetime.combine(start, time(0), tzinfo=LONDON).astimezone(UTC)
    planned_completion = {
        a.id: a.completed for a in session.exec(select(Action).where(Action.board_id == board.id))
    }
    updates: dict[int, list[ProgressUpdate]] = {}
    for update in session.exec(
        select(ProgressUpdate)
        .join(Action, col(ProgressUpdate.action_id) == col(Action.id))
        .where(Action.board_id == board.id, col(ProgressUpdate.created_at) < until)
        .where(live())  # an update undone or corrected is not part of the record
        .order_by(col(ProgressUpdate.id))
    ):
        updates.setdefault(update.action_id, []).append(update)

    lines = []
    for view in views:
        history = updates.get(view.action_id, [])
        rag = next((u.rag for u in reversed(history) if u.rag), None)
        completed = planned_completion.get(view.action_id)
        completed = completed if completed and completed <= end else None
        completed = completed or next(
            (u.completed_on for u in reversed(history) if u.completed_on), None
        )
        moves = [u for u in history if u.new_due]
        due = moves[-1].new_due if moves else view.original_due
        percent = next((u.percent for u in reversed(history) if u.percent is not None), None)
        in_period = [u for u in history if u.created_at >= since]
        status = COMPLETE if completed else (rag or NO_UPDATE)
        exceptions = []
        if status in ("red", "amber"):
            exceptions.append(status)
        if status != COMPLETE and due is not None and due < end:
            exceptions.append(f"overdue (due {due.isoformat()})")
        if status != COMPLETE and not in_period:
            exceptions.append("no update this quarter")
        exceptions += [
            f"re-targeted to {u.new_due.isoformat()}: {u.retarget_reason or 'no reason given'}"
            for u in in_period
            if u.new_due
        ]
        lines.append(
            Line(
                ref=view.ref,
                text=view.text,
                lead=view.lead,
                subgroup=view.subgroup,
                priority=view.priority or NO_PRIORITY,
                workstream=view.workstream,
                original_due=view.original_due.isoformat() if view.original_due else None,
                due=due.isoformat() if due else None,
                status=status,
                percent=percent,
                retargets=len(moves),
                commentary=[
                    f"{u.created_at.astimezone(LONDON).date().isoformat()}: {u.note}"
                    for u in in_period
                    if u.note
                ],
                exceptions=exceptions,
            )
        )
    return Report(
        board=board.code,
        board_name=board.short_name,
        plan_period=board.period,
        label="",
        start=start.isoformat(),
        end=end.isoformat(),
        lines=lines,
    )


def make_report(
    session: Session,
    board: Board,
    *,
    quarter: str | None = None,
    start: date | None = None,
    end: date | None = None,
    lock: bool = False,
    actor: str = "cli",
) -> Report:
    """The report for a quarter (default: the current one) or a date range.

    A locked report for the same period is returned as it was locked; `lock` keeps a new one.
    """
    assert board.id is not None
    if start is not None or end is not None:
        if start is None or end is None or end < start:
            raise ReportError("Give both --from and --to, the first on or before the second.")
        label = f"{start.isoformat()} to {end.isoformat()}"
    else:
        start, end, label = quarter_period(quarter or current_quarter(today_london()))
    key = period_key(start, end)
    kept = session.exec(
        select(LockedReport).where(LockedReport.board_id == board.id, LockedReport.period == key)
    ).first()
    if kept is not None:
        return Report.from_json(kept.content)
    report = build_report(session, board, start, end)
    report.label = label
    if lock:
        report.locked_on = today_london().isoformat()
        session.add(
            LockedReport(board_id=board.id, period=key, created_by=actor, content=report.to_json())
        )
        session.commit()
    return report


def locked_periods(session: Session, board: Board) -> list[str]:
    """The periods of the board's locked reports, newest first ('2018-10-01..2018-12-31')."""
    return list(
        session.exec(
            select(LockedReport.period)
            .where(LockedReport.board_id == board.id)
            .order_by(col(LockedReport.period).desc())
        )
    )


# -- rendering ---------------------------------------------------------------------------------


def _fixed_moment(report: Report) -> datetime:
    """The instant written into file metadata: the period's end, so re-issues match."""
    return datetime.combine(date.fromisoformat(report.end), time(12), tzinfo=UTC)


def _title(report: Report) -> str:
    return TITLE.format(board=report.board_name, period=report.plan_period)


def _period(report: Report) -> str:
    return PERIOD.format(label=report.label, start=report.start, end=report.end)


def render(report: Report, fmt: str) -> bytes:
    """The report as 'md', 'xlsx' or 'pdf' bytes."""
    if fmt == "md":
        return render_markdown(report).encode("utf-8")
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt == "pdf":
        return render_pdf(report)
    raise ReportError(f"unknown report format {fmt!r}: use md, xlsx or pdf")


def render_chart_png(report: Report) -> bytes:
    """The RAG summary as a picture for the Slack message: one bar per priority, the counts
    written on it and a legend in words, so it reads without colour too."""
    from PIL import Image, ImageDraw, ImageFont  # Pillow comes with fpdf2; only charts need it

    rows = report.summary()
    font = ImageFont.load_default()
    label_w, bar_w, row_h, top = 330, 420, 26, 40
    width = label_w + bar_w + 110
    height = top + row_h * max(len(rows), 1) + 40
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 12), _title(report)[:110], fill="black", font=font)
    most = max((sum(c.values()) for _, c in rows), default=1) or 1
    for i, (priority, counts) in enumerate(rows):
        y = top + i * row_h
        draw.text((10, y + 6), priority[:52], fill="black", font=font)
        x = float(label_w)
        for status in STATUSES:
            n = counts[status]
            if not n:
                continue
            w = bar_w * n / most
            draw.rectangle([x, y + 3, x + w - 1, y + row_h - 5], fill=COLOURS[status])
            if w > 14:
                ink = "black" if status in ("amber", NO_UPDATE) else "white"
                draw.text((x + w / 2 - 4, y + 7), str(n), fill=ink, font=font)
            x += w
        draw.text((x + 6, y + 7), f"{sum(counts.values())} actions", fill="black", font=font)
    x, y = 10, height - 28
    for status in STATUSES:
        draw.rectangle([x, y, x + 12, y + 12], fill=COLOURS[status])
        draw.text((x + 16, y + 1), status, fill="black", font=font)
        x += 24 + 7 * len(status) + 20
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """The report as Markdown: summary with text bars, exceptions, then every action."""
    out = [f"# {_title(report)}", "", f"**{_period(report)}**", ""]
    if report.locked_on:
        out += [f"_{LOCKED_NOTE.format(day=report.locked_on, label=report.label)}_", ""]
    out += ["## Summary by priority", ""]
    out += ["| priority | " + " | ".join(STATUSES) + " | chart |", "|---" * 7 + "|"]
    for priority, counts in report.summary():
        bar = "".join(s[0].upper() * counts[s] for s in STATUSES if s != NO_UPDATE)
        bar += "·" * counts[NO_UPDATE]
        numbers = " | ".join(str(counts[s]) for s in STATUSES)
        out.append(f"| {_md(priority)} | {numbers} | `{bar}` |")
    out += ["", "Chart: R red, A amber, G green, C complete, · no update.", ""]
    out += ["## Exceptions", ""]
    exceptions = report.exceptions()
    if not exceptions:
        out.append("None.")
    for line in exceptions:
        out.append(f"- **{_md(line.ref)}** {_md(line.text)}: {'; '.join(line.exceptions)}")
    out += ["", "## Every action", ""]
    out.append(
        "| ref | action | lead | sub-group | original date | target date | status | % | "
        "commentary this quarter |"
    )
    out.append("|---" * 9 + "|")
    for line in report.lines:
        cells: list[str | None] = [
            line.ref,
            line.text,
            line.lead,
            line.subgroup,
            line.original_due,
            line.due + (f" (re-targeted {line.retargets}×)" if line.retargets else "")
            if line.due
            else None,
            line.status,
            "" if line.percent is None else str(line.percent),
            "; ".join(line.commentary),
        ]
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(out) + "\n"


def render_xlsx(report: Report) -> bytes:
    """The report as a workbook: a summary with a native stacked bar chart, exceptions, actions."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    summary.append([_title(report)])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([_period(report)])
    if report.locked_on:
        summary.append([LOCKED_NOTE.format(day=report.locked_on, label=report.label)])
    summary.append([])
    header_row = summary.max_row + 1
    summary.append(["Priority", *STATUSES])
    for cell in summary[header_row]:
        cell.font = Font(bold=True)
    for i, status in enumerate(STATUSES, start=2):
        rgb = "{:02X}{:02X}{:02X}".format(*COLOURS[status])
        summary.cell(header_row, i).fill = PatternFill("solid", fgColor=rgb)
    rows = report.summary()
    for priority, counts in rows:
        summary.append([priority, *(counts[s] for s in STATUSES)])
    summary.column_dimensions["A"].width = 50
    if rows:
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = "Actions by status"
        data = Reference(
            summary,
            min_col=2,
            max_col=1 + len(STATUSES),
            min_row=header_row,
            max_row=header_row + len(rows),
        )
        cats = Reference(summary, min_col=1, min_row=header_row + 1, max_row=header_row + len(rows))
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        for series, status in zip(chart.series, STATUSES, strict=True):
            series.graphicalProperties.solidFill = "{:02X}{:02X}{:02X}".format(*COLOURS[status])
        chart.width, chart.height = 22, 4 + 1.5 * len(rows)
        summary.add_chart(chart, f"A{header_row + len(rows) + 2}")

    exceptions = book.create_sheet("Exceptions")
    exceptions.append(["Ref", "Action", "Lead", "Status", "Why it is here"])
    for line in report.exceptions():
        exceptions.append([line.ref, line.text, line.lead, line.status, "; ".join(line.exceptions)])
    actions = book.create_sheet("Actions")
    actions.append(
        [
            "Ref",
            "Priority",
            "Work stream",
            "Action",
            "Lead",
            "Sub-group",
            "Original date",
            "Target date",
            "Re-targets",
            "Status",
            "% complete",
            "Commentary this quarter",
        ]
    )
    for line in report.lines:
        actions.append(
            [
                line.ref,
                line.priority,
                line.workstream,
                line.text,
                line.lead,
                line.subgroup,
                date.fromisoformat(line.original_due) if line.original_due else None,
                date.fromisoformat(line.due) if line.due else None,
                line.retargets,
                line.status,
                line.percent,
                "\n".join(line.commentary),
            ]
        )
    for sheet in (exceptions, actions):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    for column in ("G", "H"):
        for cell in actions[column][1:]:
            cell.number_format = "DD/MM/YYYY"
    moment = _fixed_moment(report).replace(tzinfo=None)  # openpyxl writes naive UTC
    book.properties.creator = "LSCB plan bot"
    book.properties.created = moment
    buf = io.BytesIO()
    book.save(buf)
    return _steady_zip(buf.getvalue(), moment)


def _steady_zip(data: bytes, moment: datetime) -> bytes:
    """The same workbook with fixed timestamps, so a re-issue is byte-identical."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, content)
    return out.getvalue()


_PDF_TEXT = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "•": "-",
        "→": "->",
        "×": "x",
    }
)


def _pdf(text: str | None) -> str:
    """Text the PDF's built-in font can draw (Latin-1); anything else becomes '?'."""
    return (text or "").translate(_PDF_TEXT).encode("latin-1", "replace").decode("latin-1")


def render_pdf(report: Report) -> bytes:
    """The report as a PDF: a stacked bar chart per priority, exceptions, then every action."""
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_creation_date(_fixed_moment(report))
    pdf.set_title(_pdf(_title(report)))
    pdf.set_author("LSCB plan bot")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: int = 13) -> None:
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(width, 7, _pdf(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def body(text: str, size: int = 9, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, 5, _pdf(text), new_x="LMARGIN", new_y="NEXT")

    heading(_title(report), 15)
    body(_period(report), 11, "B")
    if report.locked_on:
        body(LOCKED_NOTE.format(day=report.locked_on, label=report.label), 9, "I")
    pdf.ln(3)
    heading("Summary by priority")
    rows = report.summary()
    most = max((sum(c.values()) for _, c in rows), default=1)
    label_w, bar_w = 90.0, width - 90.0 - 30
    for priority, counts in rows:
        y = pdf.get_y()
        pdf.set_font("Helvetica", "", 8)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w, 6, _pdf(priority[:60]))
        x = pdf.l_margin + label_w
        for status in STATUSES:
            n = counts[status]
            if not n:
                continue
            w = bar_w * n / most
            pdf.set_fill_color(*COLOURS[status])
            pdf.rect(x, y + 0.5, w, 5, style="F")
            if w > 5:
                pdf.set_xy(x, y)
                pdf.set_text_color(255, 255, 255) if status != "amber" else pdf.set_text_color(0)
                pdf.cell(w, 6, str(n), align="C")
                pdf.set_text_color(0)
            x += w
        pdf.set_xy(x + 2, y)
        pdf.cell(28, 6, f"{sum(counts.values())} actions")
        pdf.set_xy(pdf.l_margin, y + 7)
    x = pdf.l_margin + label_w
    pdf.set_font("Helvetica", "", 8)
    for status in STATUSES:
        pdf.set_fill_color(*COLOURS[status])
        pdf.rect(x, pdf.get_y() + 1.5, 3, 3, style="F")
        pdf.set_xy(x + 4, pdf.get_y())
        pdf.cell(22, 6, status)
        x += 26
    pdf.ln(10)

    heading("Exceptions")
    exceptions = report.exceptions()
    if not exceptions:
        body("None.")
    for line in exceptions:
        body(f"{line.ref}  {line.text}", 9, "B")
        body("    " + "; ".join(line.exceptions))
    pdf.ln(3)
    heading("Every action")
    for line in report.lines:
        body(f"{line.ref}  {line.text}", 9, "B")
        due = line.due or "none"
        if line.retargets:
            due += f" (re-targeted {line.retargets} times)"
        details = (
            f"Lead: {line.lead or '-'}   Sub-group: {line.subgroup or '-'}   "
            f"Original date: {line.original_due or 'none'}   Target date: {due}   "
            f"Status: {line.status}   Complete: "
            f"{'-' if line.percent is None else str(line.percent) + '%'}"
        )
        body(details, 8)
        for note in line.commentary:
            body("    " + note, 8, "I")
        pdf.ln(1)
    return bytes(pdf.output())
