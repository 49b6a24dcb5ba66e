"""Start-up: migrations only when the database is behind, and a warmed, frozen process."""

from __future__ import annotations

import gc
from pathlib import Path

from sqlalchemy import Engine, text

from bot.health import code_head
from bot.runtime import open_store, schema_is_current, shipped_heads, warm
from bot.settings import Settings
from store.db import make_engine, upgrade
from store.queries import _VIEWS


def test_the_cheap_head_check_agrees_with_alembic() -> None:
    assert shipped_heads() == {code_head()}


def test_a_database_behind_the_code_is_upgraded_on_start_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(url)
    upgrade(old, "0008")
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO board (code, name, short_name, aliases, period, period_start, "
                "period_end, source, shape) VALUES ('OLD', 'Old SCB', 'Old', '[]', '2011/12', "
                "'2011-04-01', '2012-03-31', 'old.txt', 'objectives')"
            )
        )
    assert not schema_is_current(old)
    old.dispose()
    engine = open_store(Settings.from_env({"DATABASE_URL": url}))
    assert schema_is_current(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT code FROM board")).scalars().all() == ["OLD"]
    engine.dispose()


def test_warming_reads_every_board_once_and_freezes_start_up_objects(seeded: Engine) -> None:
    try:
        assert warm(seeded) == 5
        assert len(_VIEWS[seeded]) == 5  # every board's views kept for its first question
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
