"""`python -m bot backup FILE` / `restore FILE`: every table as one JSON document, and back.

The tables come from SQLModel.metadata, so a table added later is backed up without a
change here. Rows keep their ids, so links between them survive a restore unchanged.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, Table, TypeDecorator, delete, func, insert, inspect, select, text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.clock import now_utc

logger = logging.getLogger(__name__)

FORMAT = "lscb-plan-bot backup"
VERSION = 1

NOT_EMPTY = (
    "The database already holds data ({counts}). Restoring would replace all of it: "
    "pass --force to do that, or restore into an empty database."
)
NOT_A_BACKUP = "{name} is not a backup written by `python -m bot backup`."
OTHER_SCHEMA = (
    "{name} was written at schema revision {theirs}, but this database is at {ours}. "
    "Restore it with the version of the bot that wrote it, then upgrade."
)
UNKNOWN_TABLE = "{name} holds a table this version does not have: {table}."


class RestoreRefused(Exception):
    """The backup cannot be restored here; the message says why and what to do."""


def tables() -> list[Table]:
    """Every table of the schema, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def backup(engine: Engine) -> dict[str, Any]:
    """Every row of every table, keyed by table name, rows in primary-key order."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "schema": schema_revision(engine),
        "written_at": now_utc().isoformat(),
        "tables": {},
    }
    with engine.connect() as conn:
        for table in tables():
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*order)).mappings()
            doc["tables"][table.name] = [
                {key: _plain(value) for key, value in row.items()} for row in rows
            ]
    return doc


def dumps(doc: dict[str, Any]) -> str:
    """The backup as JSON text."""
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table (tables with none left out)."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for table in tables():
            n = conn.execute(select(func.count()).select_from(table)).scalar_one()
            if n:
                out[table.name] = n
    return out


def _python_type(column: Any) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # UTCDateTime: what it stores is what it is
        kind = kind.impl_instance
    try:
        return kind.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def _revive(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A backed-up row with its dates and times as Python objects again."""
    out = dict(row)
    for column in table.columns:
        value = out.get(column.name)
        if not isinstance(value, str):
            continue
        kind = _python_type(column)
        if kind is datetime:
            out[column.name] = datetime.fromisoformat(value)
        elif kind is date:
            out[column.name] = date.fromisoformat(value)
    return out


def restore(
    engine: Engine, doc: dict[str, Any], *, name: str, force: bool = False
) -> dict[str, int]:
    """Load a backup; refuses a non-empty database unless `force` (then replaces everything)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise RestoreRefused(NOT_A_BACKUP.format(name=name))
    ours = schema_revision(engine)
    if doc.get("schema") != ours:
        raise RestoreRefused(OTHER_SCHEMA.format(name=name, theirs=doc.get("schema"), ours=ours))
    known = {t.name: t for t in tables()}
    for table_name in doc["tables"]:
        if table_name not in known:
            raise RestoreRefused(UNKNOWN_TABLE.format(name=name, table=table_name))
    existing = row_counts(engine)
    if existing and not force:
        counts = ", ".join(f"{n} {t}" for t, n in existing.items())
        raise RestoreRefused(NOT_EMPTY.format(counts=counts))
    with engine.begin() as conn:
        for table in reversed(tables()):
            conn.execute(delete(table))
        for table in tables():
            rows = [_revive(table, row) for row in doc["tables"].get(table.name, [])]
            if rows:
                conn.execute(insert(table), rows)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    logger.info("restored a backup: %d tables", len(doc["tables"]))
    return row_counts(engine)


def _reset_sequences(conn: Any) -> None:
    """Point each id sequence past the restored rows, so the next insert gets a fresh id."""
    for table in tables():
        if "id" not in table.columns or not table.columns["id"].autoincrement:
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar()
        if sequence:
            highest = f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table.name}"'
            conn.execute(text(f"SELECT setval(:s, ({highest}), false)"), {"s": sequence})
