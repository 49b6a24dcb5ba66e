"""Work that can wait until Slack has its acknowledgement (the `web` process's answers).

Slack only needs a 200 within 3 seconds for an event; the reply itself may follow. In the `web`
process (Bolt with `process_before_response`, so that an acknowledged `/progress` is a committed
one) a listener hands what can wait to `Later`: the delivery's dedupe record and any update are
already committed, the 200 goes back at once, and a small pool of threads posts the answer.

The pool is bounded. When its backlog is full the work runs in the request's own thread before
the ack, as it did before: a burst longer than the backlog slows acknowledgements down instead
of growing a queue of answers minutes behind. A failure in deferred work goes to the same
handler as any listener's (bot.app.on_error), with no ack left to shape.

Where Bolt already acknowledges before the listener runs (Socket Mode, tests) `Later` is
`at_once`: the work runs where it is called.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

#: on_error(error, body, context, client, respond, response): bot.app.on_error's signature.
ErrorHandler = Callable[..., Any]


class Later:
    """Run work after the ack on `threads` threads, at most `backlog` waiting; else at once."""

    def __init__(self, on_error: ErrorHandler, *, threads: int = 0, backlog: int = 0) -> None:
        self._on_error = on_error
        self._backlog = threading.BoundedSemaphore(backlog) if threads and backlog else None
        self._pool = (
            ThreadPoolExecutor(threads, thread_name_prefix="after-ack") if self._backlog else None
        )

    @property
    def deferred(self) -> bool:
        return self._pool is not None

    def __call__(
        self,
        work: Callable[[], None],
        *,
        body: dict[str, Any],
        context: Any,
        client: Any,
        respond: Any = None,
    ) -> None:
        """Run `work` now or after the ack; its failure is reported as a listener's would be."""

        def guarded() -> None:
            try:
                work()
            except Exception as error:  # every listener failure ends in on_error
                try:
                    self._on_error(error, body, context, client, respond, None)
                except Exception:
                    logger.exception("the error handler failed for deferred work")

        if self._pool is None or self._backlog is None:
            guarded()
            return
        if not self._backlog.acquire(blocking=False):
            guarded()  # backlog full: this request waits for its own work, as before
            return
        backlog = self._backlog

        def queued() -> None:
            try:
                guarded()
            finally:
                backlog.release()

        try:
            self._pool.submit(queued)
        except RuntimeError:  # the pool is shutting down (process exit): do it here
            backlog.release()
            guarded()

    def shutdown(self) -> None:
        """Finish what is queued (a gracefully stopped worker answers what it acknowledged)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def at_once(on_error: ErrorHandler) -> Later:
    """A `Later` that runs work where it is called (Bolt has acknowledged already)."""
    return Later(on_error)
