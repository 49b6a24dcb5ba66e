"""The schema comes from Alembic migrations, matches the models, and upgrades are repeatable."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import StatementError
from sqlmodel import Session, SQLModel, select

import store.models  # noqa: F401
from store.db import upgrade
from store.models import AuditEvent, Board, Subgroup, utcnow


def test_migrations_build_the_schema_the_models_describe(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []


def test_upgrade_twice_is_harmless_and_keeps_rows(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with Session(empty_engine) as s:
        s.add(
            Board(
                code="X",
                name="X",
                short_name="X",
                period="1",
                period_start=utcnow().date(),
                period_end=utcnow().date(),
                source="x",
                shape="matrix",
            )
        )
        s.commit()
    upgrade(empty_engine)
    with Session(empty_engine) as s:
        assert [b.code for b in s.exec(select(Board))] == ["X"]
    assert "alembic_version" in inspect(empty_engine).get_table_names()


def test_timestamps_come_back_timezone_aware(engine: Engine) -> None:
    moment = utcnow()
    with Session(engine) as s:
        s.add(AuditEvent(actor="t", at=moment, event="e", entity="board"))
        s.commit()
    with Session(engine) as s:
        got = s.exec(select(AuditEvent)).one().at
    assert got.tzinfo is not None
    assert got == moment


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(AuditEvent(actor="t", at=datetime(2026, 1, 1, 9), event="e", entity="b"))  # noqa: DTZ001
        with pytest.raises(StatementError, match="naive datetime"):
            s.commit()


def test_upgrading_from_the_first_schema_keeps_every_row(empty_engine: Engine) -> None:
    """A board seeded under revision 0001 survives every later migration intact."""
    upgrade(empty_engine, "0001")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO board (code, name, short_name, aliases, period, period_start, "
                "period_end, source, shape) VALUES ('OLD', 'Old SCB', 'Old', '[]', '2011/12', "
                "'2011-04-01', '2012-03-31', 'old.txt', 'objectives')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO subgroup (board_id, name, aliases, board_level) "
                "SELECT id, 'MEG', '[\"Monitoring\"]', false FROM board"
            )
        )
    upgrade(empty_engine)
    with Session(empty_engine) as s:
        board = s.exec(select(Board)).one()
        subgroup = s.exec(select(Subgroup)).one()
    assert (board.code, board.period, board.slack_channel_id) == ("OLD", "2011/12", None)
    assert (subgroup.name, subgroup.aliases) == ("MEG", ["Monitoring"])
    assert subgroup.post_updates is False
