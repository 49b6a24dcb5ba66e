"""Open the store as every entry point needs it: schema upgraded, plans seeded on first start.

Also the start-up a long-running process does before serving (`warm`).
"""

from __future__ import annotations

import gc
import logging
import re
import threading
import time
from functools import lru_cache

from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from bot.settings import Settings
from store.db import MIGRATIONS, make_engine
from store.models import Board

logger = logging.getLogger(__name__)

_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*["\']([^"\']+)["\']', re.M)


@lru_cache(maxsize=1)
def shipped_heads() -> frozenset[str]:
    """The newest migration(s) this code ships, read from the files without loading Alembic.

    Alembic's own machinery costs a few hundred milliseconds to import and run; a one-shot
    command on an up-to-date database needs none of it.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
        if "down_revision" in found:
            parents.add(found["down_revision"])
    return frozenset(revisions - parents)


def schema_is_current(engine: Engine) -> bool:
    """True when the database is at this code's newest migration (one cheap read)."""
    heads = shipped_heads()
    if len(heads) != 1:
        return False  # a branched history: let Alembic decide
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    return current == heads


def open_store(settings: Settings, *, seed_if_empty: bool = True) -> Engine:
    """An engine on an up-to-date schema; an empty database gets the five seed plans.

    With SEED_SAMPLE_PLANS=false an empty database stays empty, for a deployment that
    imports its own plan. Alembic runs only when the database is behind the code.
    """
    settings.ensure_sqlite_dir()
    engine = make_engine(settings.database_url)
    if not schema_is_current(engine):
        from store.db import upgrade

        upgrade(engine)
    if seed_if_empty and settings.seed_sample_plans:
        with Session(engine) as session:
            empty = session.exec(select(Board.id).limit(1)).first() is None
        if empty:
            from seed.loader import load_all

            results = load_all(engine)
            logger.info("empty database: seeded %d boards", len(results))
    return engine


def warm(engine: Engine) -> int:
    """Fill this process's per-board caches (views, search index, owners, plan topics) for
    every board, then move what start-up built out of the garbage collector's way; returns the
    boards warmed.

    Without it the first question on each board pays for reading and indexing its plan, and
    every full collection walks the caches again (pauses of 100 ms and more at 1,000 boards).
    """
    from bot.answers import prepare
    from store import queries

    started = time.perf_counter()
    with Session(engine) as session:
        boards = queries.list_boards(session)
        # Room for every board, whatever the default: a deployment's boards all get asked.
        queries.VIEW_CACHE_BOARDS = max(queries.VIEW_CACHE_BOARDS, len(boards) + 64)
        for board in boards:
            prepare(session, board, queries.action_views(session, board))
    gc.collect()
    gc.freeze()  # what start-up built lives as long as the process: never scan it again
    logger.info(
        "warmed %d boards in %.1f s (%d objects frozen)",
        len(boards),
        time.perf_counter() - started,
        gc.get_freeze_count(),
    )
    return len(boards)


def warm_in_background(engine: Engine) -> threading.Thread:
    """`warm` on a thread of its own, so a process serves while it fills its caches."""
    thread = threading.Thread(target=warm, args=(engine,), name="warm-caches", daemon=True)
    thread.start()
    return thread
