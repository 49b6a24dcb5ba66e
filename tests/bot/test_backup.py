"""backup → restore → export gives the same plans, on SQLite and (with the `backend` fixture)
PostgreSQL; a restore never lands on top of data without --force."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from bot import backup
from bot.export import export_board
from seed.loader import load_all
from store.db import upgrade
from store.models import AuditEvent, Person, ProgressUpdate
from store.queries import list_boards
from tests.conftest import _new_engine, add_update

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def second(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """Another empty database of the same backend, upgraded to the newest schema."""
    (tmp_path / "second").mkdir()
    engine, dispose = _new_engine(backend, tmp_path / "second")
    upgrade(engine)
    yield engine
    dispose()


def exports(engine: Engine) -> dict[str, str]:
    with Session(engine) as s:
        return {b.code: export_board(s, b.code, "json") for b in list_boards(s)}


def busy(engine: Engine) -> None:
    """A board's worth of life on top of the plans: people, updates, audit."""
    add_update(engine, "1.1a", rag="amber", note="Toolkit drafted “in full”", percent=40)
    add_update(
        engine,
        "1.1a",
        new_due=date(2021, 6, 30),
        retarget_reason="pathway delayed",
        created_at=datetime(2020, 11, 2, 9, 30, tzinfo=UTC),
    )
    with Session(engine) as s:
        s.add(Person(slack_user_id="U0LEAD01", roles=["MEG"], is_admin=True, board_id=1))
        s.add(AuditEvent(actor="U0LEAD01", event="role.assigned", entity="person", after={"r": 1}))
        s.commit()


def test_backup_then_restore_gives_identical_exports_and_rows(
    mini: Engine, second: Engine, tmp_path: Path
) -> None:
    busy(mini)
    doc = json.loads(backup.dumps(backup.backup(mini)))
    assert set(doc["tables"]) == {t.name for t in SQLModel.metadata.sorted_tables}
    backup.restore(second, doc, name="b.json")
    assert exports(second) == exports(mini)
    assert backup.row_counts(second) == backup.row_counts(mini)
    assert backup.backup(second)["tables"] == doc["tables"]
    # ids carry on after the restored ones (PostgreSQL sequences are moved on)
    add_update(second, "1.1b", rag="green")
    with Session(second) as s:
        ids = [u.id for u in s.exec(select(ProgressUpdate))]
        assert len(ids) == len(set(ids)) == 3


def test_a_database_with_data_is_refused_unless_force(mini: Engine, second: Engine) -> None:
    doc = backup.backup(mini)
    load_all(second)
    before = exports(second)
    with pytest.raises(backup.RestoreRefused, match=r"already holds data \(5 board,.*--force"):
        backup.restore(second, doc, name="b.json")
    assert exports(second) == before
    backup.restore(second, doc, name="b.json", force=True)
    assert exports(second) == exports(mini)


def test_not_a_backup_and_another_schema_are_refused(mini: Engine, second: Engine) -> None:
    with pytest.raises(backup.RestoreRefused, match="not a backup"):
        backup.restore(second, {"tables": {}}, name="x.json")
    doc = backup.backup(mini) | {"schema": "0001"}
    with pytest.raises(backup.RestoreRefused, match="schema revision 0001"):
        backup.restore(second, doc, name="x.json")
    assert backup.row_counts(second) == {}


def test_cli_backup_and_restore(tmp_path: Path) -> None:
    def run(db: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / db}"
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env=env,
            text=True,
            capture_output=True,
            timeout=120,
        )

    assert run("a.db", "seed").returncode == 0
    file = tmp_path / "backup.json"
    out = run("a.db", "backup", str(file))
    assert out.returncode == 0 and "wrote" in out.stdout
    restored = run("b.db", "restore", str(file))
    assert restored.returncode == 0, restored.stderr
    for code in ("WSCB", "SSCB"):
        assert (
            run("b.db", "export", "--board", code).stdout
            == run("a.db", "export", "--board", code).stdout
        )
    again = run("b.db", "restore", str(file))
    assert again.returncode == 2 and "--force" in again.stderr
    assert run("b.db", "restore", str(file), "--force").returncode == 0
