"""The Bolt app factory: settings and engine in, a ready App out. No module-level singletons."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine

import handlers
from bot.settings import Settings

logger = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side. The board's admins can see the details in the log."


@dataclass(frozen=True)
class Deps:
    """What listeners need, passed in rather than imported."""

    settings: Settings
    engine: Engine


def make_client(settings: Settings) -> WebClient:
    """A Web API client at SLACK_API_URL (if set) that waits out HTTP 429s."""
    kwargs: dict[str, Any] = {"token": settings.slack_bot_token}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url
    client = WebClient(**kwargs)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def create_app(
    settings: Settings,
    engine: Engine,
    client: WebClient | None = None,
    *,
    process_before_response: bool = False,
) -> App:
    """Build the Bolt app and register every listener.

    `process_before_response=True` runs listeners before answering Slack (FaaS hosts, and
    benchmarks that time the whole answer).
    """
    app = App(
        client=client or make_client(settings),
        process_before_response=process_before_response,
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=settings.slack_signing_secret is not None,
        logger=logging.getLogger("slack_bolt"),
    )
    handlers.register(app, Deps(settings, engine))

    @app.error
    def on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
        # Payload bodies can hold progress notes: log the kind of request, never its text.
        kind = body.get("type") or body.get("command") or "request"
        logger.error("unhandled error in %s listener", kind, exc_info=error)

    return app
