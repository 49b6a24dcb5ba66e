"""Is this process fit to serve? The database answers and its schema is the one the code expects."""

from __future__ import annotations

import logging
from functools import lru_cache

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from store.db import MIGRATIONS

logger = logging.getLogger(__name__)

UNREACHABLE = "database unreachable"
BEHIND = "database schema at {current}, code expects {head}: run `python -m bot migrate`"


@lru_cache(maxsize=1)
def code_head() -> str | None:
    """The newest migration the code ships (read once per process)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def schema_revisions(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's Alembic revision, the newest revision the code ships); raises on no DB."""
    head = code_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head


def check(engine: Engine) -> tuple[bool, str]:
    """(healthy, a short reason) for /healthz: never raises, never names a URL or a secret."""
    try:
        current, head = schema_revisions(engine)
    except SQLAlchemyError as exc:
        logger.warning("health check: database unreachable (%s)", type(exc).__name__)
        return False, UNREACHABLE
    if current != head:
        return False, BEHIND.format(current=current or "none", head=head)
    return True, "ok"
