"""The command line as a newcomer uses it: `python -m bot …` in a fresh process and database."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(tmp_path: Path):
    """Run `python -m bot ARGS` with a database of its own and no Slack tokens."""

    def _run(
        *args: str, stdin: str = "", env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        environment.pop("DEFAULT_BOARD", None)
        environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
        environment.update(env or {})
        result = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            input=stdin,
            text=True,
            capture_output=True,
            env=environment,
            timeout=120,
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return _run


def test_help_lists_the_subcommands(run) -> None:
    out = run("--help").stdout
    for sub in ("run", "console", "say", "seed", "export"):
        assert sub in out


def test_seed_prints_counts_and_is_idempotent(run) -> None:
    first = run("seed").stdout
    assert "WSCB" in first and "added" in first
    second = run("seed").stdout
    assert second.count("no changes") == 5
    assert [line.split()[:4] for line in first.splitlines()] == [
        line.split()[:4] for line in second.splitlines()
    ]


def test_export_json_and_csv_carry_the_documented_fields(run) -> None:
    doc = json.loads(run("export", "--board", "wscb", "--format", "json").stdout)
    assert doc["board"]["code"] == "WSCB"
    fields = [
        "board",
        "priority",
        "workstream",
        "ref",
        "text",
        "lead",
        "subgroup",
        "due",
        "completed",
        "status",
        "last_update",
    ]
    for record in doc["actions"]:
        assert set(fields) <= set(record)
    text = run("export", "--board", "Dudley SCB", "--format", "csv").stdout
    assert text.startswith("\ufeff")  # the byte-order mark Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows and all(row["board"] == "DSCB" for row in rows)
    assert set(fields) <= set(rows[0])


def test_unknown_board_lists_the_known_ones(run) -> None:
    result = run("export", "--board", "Narnia", check=False)
    assert result.returncode == 2
    assert "No board called 'Narnia'" in result.stderr
    for code in ("WSCB", "DSCB", "HSCB", "WDSCB", "SSCB"):
        assert code in result.stderr
    assert "Traceback" not in result.stderr


def test_say_json_shape(run) -> None:
    out = json.loads(
        run("say", "--board", "HSCB", "--user", "U0TEST001", "--json", "overview").stdout
    )
    assert set(out) == {"text", "blocks", "actions"}
    assert out["text"].startswith("Herefordshire SCB business plan")
    assert out["actions"] == []


def test_say_plain_text(run) -> None:
    out = run("say", "--board", "wakefield", "--user", "U0TEST001", "overview").stdout
    assert "Wakefield & District SCB business plan 2011/12" in out
    assert "&amp;" not in out


def test_half_configured_slack_is_one_clear_error(run) -> None:
    result = run(env={"SLACK_BOT_TOKEN": "xoxb-123-abc"}, check=False)
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert "xoxb-123-abc" not in result.stderr


def test_no_tokens_starts_the_console_on_the_seeded_database(run) -> None:
    result = run(stdin="dscb\nU0CONSOLE1\nhelp\noverview\n:board nowhere\n:quit\n")
    out = result.stdout
    assert "local console" in out
    assert "Board: Dudley SCB (DSCB)" in out
    assert "Dudley SCB business plan 2015/16" in out
    assert "No board called 'nowhere'" in out


def test_console_survives_end_of_input(run) -> None:
    assert "local console" in run("console", stdin="").stdout


def test_bad_today_is_a_usage_error(run) -> None:
    result = run(
        "say", "--board", "WSCB", "--user", "U1", "--today", "31/12/2018", "help", check=False
    )
    assert result.returncode == 2 and "not a date" in result.stderr


def test_digest_dry_run_prints_a_briefing_and_posting_needs_a_token(run) -> None:
    run(
        "say",
        "--board",
        "WDSCB",
        "--user",
        "U0ADMIN01",
        "--channel",
        "C0TRAIN01",
        "/lscb channel training sub-committee",
        env={"ADMIN_USER_IDS": "U0ADMIN01"},
    )
    out = run("digest", "--board", "WDSCB", "--dry-run", "--as-of", "2011-11-14").stdout
    assert "===== subgroup:Training Sub-Committee:C0TRAIN01 =====" in out
    assert "Training Sub-Committee: weekly digest, 14 Nov 2011" in out
    result = run("digest", "--as-of", "2011-11-14", check=False)
    assert result.returncode == 2 and "SLACK_BOT_TOKEN" in result.stderr
