"""The Bolt app factory: settings and engine in, a ready App out. No module-level singletons.

Every listener's failure ends in one place, `on_error`: it logs what failed without any text
the person typed, and tells them in Slack that nothing was saved, handing back what they sent.
"""

from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

import handlers
from bot.guard import check_note
from bot.logsafe import protect_slack_logs
from bot.progress import KEEP_NOTE
from bot.render import escape
from bot.settings import Settings
from handlers import dedupe
from handlers.later import Later

logger = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on my side and nothing was saved. "
    "The board's admins can see what happened in the log; please try again in a minute."
)
SORRY_SLACK = (
    "Sorry, Slack gave me an error (`{error}`) while I was answering, so I may not have "
    "finished. If you were updating an action, check `/progress history <ref>` before "
    "sending it again."
)
NOT_REPEATED = (
    "\nI haven't repeated what you sent: it may identify a child or family, so type it again "
    "without those details."
)
MODAL_FAILED = "Nothing was saved (a problem on my side). Your entries are still here: try again."


@dataclass(frozen=True)
class Deps:
    """What listeners need, passed in rather than imported."""

    settings: Settings
    engine: Engine
    #: Where a listener puts what can wait until Slack has its 200 (see handlers.later).
    later: Later = field(default_factory=lambda: Later(on_error))


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
    later: Later | None = None,
    verify_token: bool = True,
) -> App:
    """Build the Bolt app and register every listener.

    `process_before_response=True` runs listeners before answering Slack (FaaS hosts, and
    benchmarks that time the whole answer). `later` is where listeners put the part of their
    work that may follow the ack (the `web` process passes a pool; by default it runs at once).
    `verify_token=False` leaves Slack's auth.test to the first request (once per process), so a
    `web` process starts while Slack is unreachable.
    """
    # Before the App exists: Bolt copies the base logger's filters to the loggers it makes.
    base_logger = protect_slack_logs()
    app = App(
        client=client or make_client(settings),
        process_before_response=process_before_response,
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=settings.slack_signing_secret is not None,
        token_verification_enabled=verify_token,
        logger=base_logger,
    )
    protect_slack_logs()  # and the loggers Bolt and slack_sdk have made meanwhile
    dedupe.register(app, engine)  # before any listener: Slack's re-deliveries handled once
    handlers.register(app, Deps(settings, engine, later or Later(on_error)))
    app.error(on_error)
    return app


def on_error(
    error: Exception,
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond | None,
    response: BoltResponse | None,
) -> BoltResponse | None:
    """Any listener's failure: log it without text, tell the person, hand back what they sent."""
    kind = request_kind(body)
    logger.error(
        "unhandled error in %s listener (user %s): %s\n%s",
        kind,
        context.user_id,
        describe(error),
        "".join(traceback.format_tb(error.__traceback__)).rstrip(),
    )
    if body.get("type") == "block_suggestion":
        return None  # a failed type-ahead shows as an empty list; a message would be noise
    message = (
        SORRY_SLACK.format(error=escape(slack_error(error)))
        if _slack_side(error)
        else SORRY
    ) + hand_back(typed_text(body))
    tell(message, body, context, client, respond)
    # `response` is only given while Slack still waits for the ack: a form stays open.
    if body.get("type") == "view_submission" and response is not None:
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        block = "note" if "note" in values else next(iter(values), None)
        if block is not None:
            return BoltResponse(
                status=200,
                body={"response_action": "errors", "errors": {block: MODAL_FAILED}},
            )
    return None


def request_kind(body: dict[str, Any]) -> str:
    """What sort of request this was, in words that carry none of its text."""
    if body.get("command"):
        return str(body["command"])
    kind = str(body.get("type") or "request")
    if kind == "event_callback":
        return f"event {(body.get('event') or {}).get('type')}"
    if kind == "view_submission":
        return f"view_submission {(body.get('view') or {}).get('callback_id')}"
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return f"block_actions {actions[0].get('action_id')}"
    return kind


def describe(error: BaseException) -> str:
    """The error's class and a detail that cannot quote a note (no SQL parameters, no rows)."""
    name = type(error).__name__
    if isinstance(error, SlackApiError):
        return f"{name}: {slack_error(error)}"
    if isinstance(error, SQLAlchemyError):
        # The driver's first line says what went wrong ("database is locked"); PostgreSQL's
        # DETAIL line after it can quote the failing row, note included.
        orig = getattr(error, "orig", None)
        first = (str(orig) if orig is not None else "").strip().splitlines()
        return f"{name}: {first[0]}" if first else name
    return name  # other messages can be built from the input: the class and frames will do


def slack_error(error: BaseException) -> str:
    """Slack's error code for a failed call, or the kind of failure."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "unknown")
    return type(error).__name__


def _slack_side(error: BaseException) -> bool:
    """Talking to Slack failed (after the work, which may have been saved)."""
    return isinstance(error, SlackClientError | OSError)


def typed_text(body: dict[str, Any]) -> str:
    """What the person typed that Slack won't show them again: a command's text, a form's
    text fields, or the note carried by a button. Messages stay in Slack, so none for events."""
    if body.get("command"):
        text = str(body.get("text") or "").strip()
        return f"{body['command']} {text}" if text else ""
    if body.get("type") == "view_submission":
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        return "\n".join(
            str(field["value"]).strip()
            for block in values.values()
            for field in (block or {}).values()
            if isinstance(field, dict)
            and field.get("type") == "plain_text_input"
            and str(field.get("value") or "").strip()
        )
    if body.get("type") == "block_actions":
        texts: list[str] = []
        for action in body.get("actions") or []:
            try:
                _collect_notes(json.loads(action.get("value") or "null"), texts)
            except (TypeError, ValueError):
                continue
        return "\n".join(texts)
    return ""


def _collect_notes(value: Any, into: list[str]) -> None:
    """The notes and reasons inside a button's value (see conversation.progress_reply)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("note", "reason") and isinstance(item, str) and item.strip():
                into.append(item.strip())
            else:
                _collect_notes(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect_notes(item, into)


def hand_back(text: str) -> str:
    """The text to copy into the next try, quoted and escaped; never text the guard refuses."""
    if not text:
        return ""
    if check_note(text):
        return NOT_REPEATED
    return KEEP_NOTE.format(note=escape(text).replace("\n", "\n> "))


def tell(
    text: str,
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond | None,
) -> None:
    """Tell the person privately: through response_url, else ephemerally where they wrote in a
    channel, else in a DM. A failure here is logged and goes no further."""
    event = body.get("event") or {}
    user = context.user_id or event.get("user")
    channel = str(event.get("channel") or "")
    # A mention in a channel is answered there; DMs and App Home ("D…" channels) by DM.
    in_channel = bool(channel) and not channel.startswith("D") and event.get("channel_type") != "im"
    try:
        if respond is not None and respond.response_url:
            # Under a message with buttons, add to it: the buttons stay to try again.
            keep = False if body.get("type") == "block_actions" else None
            sent = respond(text=text, response_type="ephemeral", replace_original=keep)
            if sent.status_code != 200:
                logger.error("could not tell %s: response_url answered %s", user, sent.status_code)
        elif user and in_channel:
            thread = event.get("thread_ts") or event.get("ts")
            client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread)
        elif user:
            client.chat_postMessage(channel=user, text=text)
    except (SlackClientError, OSError) as exc:
        logger.error("could not tell %s that their request failed: %s", user, slack_error(exc))
