"""The in-process digest scheduler for the Slack worker.

Every few minutes it asks `run_digests` to post whatever is due. The schedule itself (weekday,
time, bank holidays, BST, and how late a run may still post: `LATE_START`) lives in
bot.digest, and exactly-once lives in the database, so it is safe to run this in every worker
beside an external cron job running `python -m bot digest`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.clock import now_utc
from bot.digest import SLACK_TIMEOUT_SECONDS, run_digests
from store.digests import LEASE

logger = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 300.0


class DigestScheduler:
    """A daemon thread that runs due digests every `interval` seconds until stopped."""

    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        admin_ids: frozenset[str],
        interval: float = CHECK_EVERY_SECONDS,
        *,
        lease: timedelta = LEASE,
        timeout: float = SLACK_TIMEOUT_SECONDS,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.lease, self.timeout, self.clock = lease, timeout, clock
        self.engine, self.client, self.admin_ids, self.interval = (
            engine,
            client,
            admin_ids,
            interval,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="digest-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def run_once(self) -> None:
        """One pass: post whatever is due now (a run more than LATE_START late waits a week)."""
        report = run_digests(
            self.engine,
            self.client,
            now=self.clock(),
            admin_ids=self.admin_ids,
            lease=self.lease,
            timeout=self.timeout,
        )
        if report.posted or report.failed:
            logger.info("digests: %d posted, %d failed", len(report.posted), len(report.failed))

    def run_forever(self) -> None:
        """Run passes in this thread until SIGTERM or SIGINT (the HTTP-mode worker process)."""
        import signal

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self._stop.set())
        self._loop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep the worker alive; the next pass retries what failed
                logger.exception("digest pass failed")
            self._stop.wait(self.interval)
