"""Slack deliveries already handled: insert-or-skip on a unique key, shared by every process.

Slack re-delivers an event it thinks was missed (HTTP `X-Slack-Retry-Num`, Socket Mode
`retry_attempt`), possibly to another process. The first process to insert the event's key
handles it; every other delivery of that key finds the row and is acknowledged without effect.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from store.models import SlackDelivery

#: Slack retries within minutes (at once, after 1 minute, after 5); a day is ample.
RETENTION = timedelta(days=1)


def first_delivery(engine: Engine, key: str, now: datetime) -> bool:
    """True when `key` is new (and is now recorded); False when it was seen before."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(SlackDelivery)
        .values(key=key, received_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(SlackDelivery.key))  # rowcount is not reliable here on every driver
    )
    with engine.begin() as conn:
        return conn.execute(statement).first() is not None


def prune(engine: Engine, now: datetime) -> int:
    """Forget deliveries older than RETENTION; returns how many rows went."""
    with engine.begin() as conn:
        result = conn.execute(
            delete(SlackDelivery).where(col(SlackDelivery.received_at) < now - RETENTION)
        )
        return int(result.rowcount or 0)
