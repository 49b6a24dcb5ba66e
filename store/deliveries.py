"""Slack deliveries already handled: insert-or-skip on a unique key, shared by every process.

Slack re-delivers an event it thinks was missed (HTTP `X-Slack-Retry-Num`, Socket Mode
`retry_attempt`), possibly to another process. The first process to insert the event's key
handles it; every other delivery of that key finds the row and is acknowledged without effect.
"""

from __future__ import annotations

import itertools
import threading
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


def first_deliveries(engine: Engine, keys: list[str], now: datetime) -> set[str]:
    """The keys among `keys` (all different) that are new, recorded in one transaction."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(SlackDelivery)
        .values([{"key": key, "received_at": now} for key in keys])
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(SlackDelivery.key))
    )
    with engine.begin() as conn:
        return {str(key) for key in conn.execute(statement).scalars()}


class Recorder:
    """first_delivery for many threads at once: keys that arrive while a transaction is being
    written go together in the next one (group commit), so a burst of events costs a few
    commits, not one each. Each caller still returns only once its key is committed."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._cond = threading.Condition()
        self._waiting: list[tuple[int, str]] = []
        self._writing = False
        self._done: dict[int, bool | Exception] = {}
        self._tickets = itertools.count()

    def first(self, key: str, now: datetime) -> bool:
        """True when `key` is new (and is now recorded); False when it was seen before."""
        with self._cond:
            ticket = next(self._tickets)
            self._waiting.append((ticket, key))
            while ticket not in self._done:
                if self._writing:  # another thread is writing: ours goes in the next batch
                    self._cond.wait()
                    continue
                batch, self._waiting, self._writing = self._waiting, [], True
                results: dict[int, bool | Exception] = {}
                self._cond.release()
                try:
                    results = self._write(batch, now)
                finally:
                    self._cond.acquire()
                    self._writing = False
                    failed = RuntimeError("delivery check interrupted")
                    self._done.update({t: results.get(t, failed) for t, _ in batch})
                    self._cond.notify_all()
            outcome = self._done.pop(ticket)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _write(self, batch: list[tuple[int, str]], now: datetime) -> dict[int, bool | Exception]:
        try:
            new = first_deliveries(self._engine, list(dict.fromkeys(k for _, k in batch)), now)
        except Exception as error:  # every caller in the batch sees the failure
            return {ticket: error for ticket, _ in batch}
        results: dict[int, bool | Exception] = {}
        for ticket, key in batch:  # a key twice in one batch: only its first is new
            results[ticket] = key in new
            new.discard(key)
        return results


def prune(engine: Engine, now: datetime) -> int:
    """Forget deliveries older than RETENTION; returns how many rows went."""
    with engine.begin() as conn:
        result = conn.execute(
            delete(SlackDelivery).where(col(SlackDelivery.received_at) < now - RETENTION)
        )
        return int(result.rowcount or 0)
