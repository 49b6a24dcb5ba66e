"""Files without Slack: `say` and the console write what Slack would upload into the current
directory and say where; the report's default quarter is the plan's last complete one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.console import run_console
from bot.conversation import respond
from bot.export import export_board
from bot.report import make_report, render
from bot.settings import Settings
from store.queries import find_board
from tests.conftest import ADMIN_ID, SUBPROCESS_URLS

ROOT = Path(__file__).resolve().parents[2]


def say(*args: str, cwd: Path, database: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    environment["DATABASE_URL"] = database
    return subprocess.run(
        [sys.executable, "-m", "bot", "say", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        env=environment | {"PYTHONPATH": str(ROOT)},
        timeout=120,
        check=True,
    )


def test_say_json_writes_the_export_and_lists_its_path(mini: Engine, tmp_path: Path) -> None:
    out = say(
        "--board", "TSCB", "--user", "U0SAY0001", "--json", "/lscb export",
        cwd=tmp_path, database=SUBPROCESS_URLS[mini],
    )
    doc = json.loads(out.stdout)
    [file] = doc["files"]
    path = Path(file["path"])
    assert path.parent == tmp_path and file["filename"] == path.name
    with Session(mini) as s:
        assert path.read_bytes() == export_board(s, "TSCB", "csv").encode("utf-8")
    # A second export never overwrites the first.
    again = json.loads(
        say("--board", "TSCB", "--user", "U0SAY0001", "--json", "/lscb export",
            cwd=tmp_path, database=SUBPROCESS_URLS[mini]).stdout
    )
    assert Path(again["files"][0]["path"]) != path and path.exists()


def test_say_writes_the_report_and_prints_where(mini: Engine, tmp_path: Path) -> None:
    out = say(
        "--board", "TSCB", "--user", "U0SAY0001", "/lscb report 2020Q3 xlsx",
        cwd=tmp_path, database=SUBPROCESS_URLS[mini],
    ).stdout
    saved = next(line for line in out.splitlines() if line.startswith("Saved "))
    path = Path(saved.rsplit(": ", 1)[1])
    with Session(mini) as s:
        expected = render(make_report(s, find_board(s, "TSCB"), quarter="2020Q3"), "xlsx")
    assert path.read_bytes() == expected


def test_the_console_saves_files_in_the_current_directory(
    mini: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    typed = iter(["TSCB", "", "/lscb export", ":quit"])
    shown: list[str] = []
    run_console(
        Settings.from_env({}),
        mini,
        board="TSCB",
        read=lambda prompt: next(typed),
        write=lambda text: shown.append(str(text)),
    )
    [saved] = [line for line in shown if line.startswith("Saved ")]
    path = Path(saved.rsplit(": ", 1)[1])
    assert path.parent == tmp_path and path.suffix == ".csv"


@pytest.mark.parametrize(
    ("today", "label"),
    [
        (date(2026, 11, 23), "Q4 2020-21"),  # long after the plan: its last quarter
        (date(2020, 11, 15), "Q2 2020-21"),  # during the plan: the last one that has ended
        (date(2020, 5, 1), "Q1 2020-21"),  # before any has ended: the first
    ],
)
def test_report_defaults_to_the_last_complete_quarter(
    mini: Engine, today: date, label: str
) -> None:
    reply, _ = respond(
        mini, user_id=ADMIN_ID, text="/lscb report", board_name="TSCB", today=today
    )
    assert reply.text.startswith(f"{label} progress report for Testshire SCB")
    assert reply.files[0].filename.endswith(".pdf")


def test_the_report_comes_with_its_chart_as_a_picture(mini: Engine) -> None:
    """Slack shows an uploaded PNG in the message: the RAG chart beside the report file."""
    from io import BytesIO

    from PIL import Image

    from tests.conftest import add_update

    add_update(mini, "1.1a", rag="red", note="no analyst")
    reply, _ = respond(
        mini,
        user_id=ADMIN_ID,
        text="/lscb report 2020Q3",
        board_name="TSCB",
        today=date(2021, 1, 5),
    )
    report, chart = reply.files
    assert report.filename.endswith(".pdf") and chart.filename.endswith("-chart.png")
    picture = Image.open(BytesIO(chart.content))
    assert picture.format == "PNG" and picture.width > 600
    red = (192, 0, 0)  # the report's colour for red, drawn for the one red action
    assert red in {colour for _, colour in picture.getcolors(maxcolors=100_000) or []}
