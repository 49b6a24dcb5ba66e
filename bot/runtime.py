"""Open the store as every entry point needs it: schema upgraded, plans seeded on first start."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from seed.loader import load_all
from store.db import make_engine, upgrade
from store.models import Board

logger = logging.getLogger(__name__)


def open_store(settings: Settings, *, seed_if_empty: bool = True) -> Engine:
    """An engine on an up-to-date schema; an empty database gets the five seed plans.

    With SEED_SAMPLE_PLANS=false an empty database stays empty, for a deployment that
    imports its own plan.
    """
    settings.ensure_sqlite_dir()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    if seed_if_empty and settings.seed_sample_plans:
        with Session(engine) as session:
            empty = session.exec(select(Board.id).limit(1)).first() is None
        if empty:
            results = load_all(engine)
            logger.info("empty database: seeded %d boards", len(results))
    return engine
