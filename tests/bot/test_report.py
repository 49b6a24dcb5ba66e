"""The quarterly report: exceptions first, chart counts that match, and a locked report that
is re-issued byte for byte whatever happens afterwards."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session

from bot.report import ReportError, make_report, quarter_period, render
from store.queries import find_board
from tests.conftest import add_update

ROOT = Path(__file__).resolve().parents[2]


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)


def a_quarter_of_updates(engine: Engine) -> None:
    """Q2 2020-21 (July to September 2020) on the Testshire plan, with updates either side."""
    add_update(engine, "1.1b", rag="green", note="Before the quarter", created_at=at("2020-05-01"))
    add_update(engine, "1.1a", rag="amber", note="Toolkit drafted", created_at=at("2020-07-15"))
    add_update(
        engine,
        "1.1a",
        new_due=date(2021, 6, 30),
        retarget_reason="consultation extended",
        percent=30,
        created_at=at("2020-08-01"),
    )
    add_update(engine, "A1", rag="red", note="No capacity", created_at=at("2020-09-10"))
    add_update(engine, "A1", rag="green", note="After the quarter", created_at=at("2020-10-05"))


def report(engine: Engine, **kwargs: object):
    with Session(engine) as s:
        return make_report(s, find_board(s, "TSCB"), **kwargs)  # type: ignore[arg-type]


def test_quarters_are_plan_year_quarters() -> None:
    assert quarter_period("2018Q3") == (date(2018, 10, 1), date(2018, 12, 31), "Q3 2018-19")
    assert quarter_period("2018Q4")[:2] == (date(2019, 1, 1), date(2019, 3, 31))
    assert quarter_period("Q1 2020")[:2] == (date(2020, 4, 1), date(2020, 6, 30))
    with pytest.raises(ReportError, match="2018Q3"):
        quarter_period("autumn")


def test_exceptions_and_chart_counts_as_at_the_quarter_end(mini: Engine) -> None:
    a_quarter_of_updates(mini)
    r = report(mini, quarter="2020Q2")
    assert (r.start, r.end, r.label) == ("2020-07-01", "2020-09-30", "Q2 2020-21")
    assert {line.ref: line.exceptions for line in r.exceptions()} == {
        "1.1a": ["amber", "re-targeted to 2021-06-30: consultation extended"],
        "1.1b": ["overdue (due 2020-06-30)", "no update this quarter"],
        "A1": ["red"],  # the green of 5 October came after the quarter
    }
    assert [(p, dict(c)) for p, c in r.summary()] == [
        ("Keeping every child safe", {"amber": 1, "green": 1}),
        ("Outside the priorities", {"red": 1}),
    ]
    toolkit = r.lines[0]
    assert (toolkit.original_due, toolkit.due, toolkit.retargets, toolkit.percent) == (
        "2021-03-31",
        "2021-06-30",
        1,
        30,
    )
    assert toolkit.commentary == ["2020-07-15: Toolkit drafted"]

    md = render(r, "md").decode()
    assert md.index("## Exceptions") < md.index("## Every action")
    assert "| Keeping every child safe | 0 | 1 | 1 | 0 | 0 | `AG` |" in md
    assert "| Outside the priorities | 1 | 0 | 0 | 0 | 0 | `R` |" in md
    assert "Before the quarter" not in md and "After the quarter" not in md

    book = load_workbook(io.BytesIO(render(r, "xlsx")))
    rows = [row for row in book["Summary"].iter_rows(values_only=True) if row and row[0]]
    assert ("Keeping every child safe", 0, 1, 1, 0, 0) in rows
    assert ("Outside the priorities", 1, 0, 0, 0, 0) in rows
    assert [row[0] for row in book["Exceptions"].iter_rows(min_row=2, values_only=True)] == [
        "1.1a",
        "1.1b",
        "A1",
    ]
    with zipfile.ZipFile(io.BytesIO(render(r, "xlsx"))) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert 'grouping val="stacked"' in chart

    pdf = render(r, "pdf")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1500


def test_a_locked_report_is_reissued_byte_identical(mini: Engine) -> None:
    a_quarter_of_updates(mini)
    first = report(mini, quarter="2020Q2", lock=True)
    files = {fmt: render(first, fmt) for fmt in ("md", "xlsx", "pdf")}
    # a late update, back-dated into the quarter, changes an unlocked report but not this one
    add_update(mini, "1.1b", rag="red", note="Late entry", created_at=at("2020-09-20"))
    again = report(mini, quarter="2020Q2")
    assert again.locked_on == first.locked_on is not None
    for fmt, data in files.items():
        assert render(again, fmt) == data, fmt
    assert "Late entry" not in render(again, "md").decode()
    fresh = report(mini, start=date(2020, 7, 1), end=date(2020, 9, 29))
    assert "Late entry" in render(fresh, "md").decode()


def test_unlocked_rendering_is_deterministic(mini: Engine) -> None:
    a_quarter_of_updates(mini)
    for fmt in ("xlsx", "pdf"):
        assert render(report(mini, quarter="2020Q2"), fmt) == render(
            report(mini, quarter="2020Q2"), fmt
        )


def test_cli_report_formats(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "report", "--board", "WSCB", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )

    md = run("--quarter", "2018Q3")
    assert md.returncode == 0 and b"Q3 2018-19: 2018-10-01 to 2018-12-31" in md.stdout
    out = tmp_path / "r.pdf"
    assert run("--quarter", "2018Q3", "--format", "pdf", "--output", str(out)).returncode == 0
    assert out.read_bytes().startswith(b"%PDF")
    bad = run("--quarter", "autumn")
    assert bad.returncode == 2 and b"not a quarter" in bad.stderr
