"""Global middleware: a delivery Slack repeats is acknowledged once and handled once.

Keys live in the database (store.deliveries), so a retry that lands on another `web` process,
or on the Socket Mode worker, is caught too. Events are keyed by `event_id`. Interactions carry
a fresh `trigger_id` per click or submission; Slack does not retry them today, but a delivery
marked as a retry whose trigger was already handled is skipped the same way. An unmarked
repeat of an interaction is left to the store's own idempotency (a double-submitted form is
recorded once and the user is told so).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import now_utc
from store import deliveries

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600.0
INTERACTIONS = {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}


def delivery_key(body: dict[str, Any]) -> tuple[str, bool] | None:
    """(key, always_dedupe) for a delivery that Slack may repeat; None for one it never does."""
    kind = body.get("type")
    if kind == "event_callback" and isinstance(body.get("event_id"), str):
        return f"event:{body['event_id']}", True
    if kind in INTERACTIONS and isinstance(body.get("trigger_id"), str):
        return f"{kind}:{body['trigger_id']}", False
    return None


def is_retry(req: BoltRequest) -> bool:
    """Slack marks re-deliveries; Bolt's Socket Mode adapter copies retry_attempt there too."""
    value = (req.headers.get("x-slack-retry-num") or ["0"])[0]
    return value not in ("", "0")


def dedupe_middleware(engine: Engine) -> Callable[..., BoltResponse | None]:
    """The middleware for `app.use`: skip repeated deliveries, prune old keys now and then."""
    last_prune = [0.0]
    recorder = deliveries.Recorder(engine)  # concurrent deliveries share one commit

    def dedupe(
        req: BoltRequest, body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        found = delivery_key(body)
        if found is None:
            return next()
        key, always = found
        now = now_utc()
        try:
            first = recorder.first(key, now)
            if time.monotonic() - last_prune[0] > PRUNE_EVERY_SECONDS:
                last_prune[0] = time.monotonic()
                deliveries.prune(engine, now)
        except SQLAlchemyError:
            # Without the database the listener cannot work either; let it try and log.
            logger.warning("could not check a Slack delivery for repeats", exc_info=True)
            return next()
        if first or not (always or is_retry(req)):
            return next()
        logger.info(
            "acknowledged a repeated Slack delivery without handling it (%s, retry %s)",
            key.split(":", 1)[0],
            (req.headers.get("x-slack-retry-num") or ["-"])[0],
        )
        return BoltResponse(status=200, body="")

    return dedupe


def register(app: App, engine: Engine) -> None:
    """Install the middleware on `app` (ahead of every listener)."""
    app.use(dedupe_middleware(engine))
