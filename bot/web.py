"""The `web` process: Bolt behind Flask, served by gunicorn (see Procfile and bot/gunicorn_conf.py).

`/slack/events` takes every HTTP delivery from Slack (events, slash commands, interactivity and
options loads); `/healthz` says whether the database answers and its schema is current.

Everything a stranger can send is checked before Bolt parses it: the body's size, the signature
headers' shape and the signature itself, then the payload's syntax. Each refusal is a short
plain-text answer and one log line, never a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import time

from flask import Flask, Response, request
from slack_bolt.adapter.flask.handler import to_flask_response
from slack_bolt.request import BoltRequest
from sqlalchemy import Engine
from werkzeug.exceptions import HTTPException

from bot import health
from bot.app import create_app, on_error
from bot.settings import ConfigError, Settings
from handlers.later import Later
from store.db import make_engine

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's own payloads are far smaller; anything bigger is not Slack
MAX_CLOCK_SKEW_SECONDS = 300  # Slack's rule: older requests may be replays
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
#: Threads per process that post answers after the ack, and how many answers may wait for one.
AFTER_ACK_THREADS = int(os.environ.get("WEB_AFTER_ACK_THREADS", "4"))
AFTER_ACK_BACKLOG = int(os.environ.get("WEB_AFTER_ACK_BACKLOG", "200"))

NEEDS_HTTP_SETTINGS = (
    "the web process needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode); "
    "Socket Mode runs in the worker instead"
)
TOO_LARGE = "request body too large"
NOT_SIGNED = "invalid or missing Slack signature"
MALFORMED = "malformed Slack payload"
FAILED = "internal error"


def create_web_app(settings: Settings | None = None, engine: Engine | None = None) -> Flask:
    """The WSGI app: the same Bolt app as Socket Mode (bot.app.create_app), behind Flask."""
    if settings is None:
        from dotenv import load_dotenv

        load_dotenv()
        settings = Settings.from_env()
        if not logging.getLogger().handlers:  # gunicorn imports us: we are the entry point
            logging.basicConfig(
                level=settings.log_level,
                format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s",
            )
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        raise ConfigError(NEEDS_HTTP_SETTINGS)
    settings.ensure_sqlite_dir()
    # No migrations here: `release` (python -m bot migrate) runs them once per deploy, and
    # /healthz reports a schema that is behind instead of every web process racing to upgrade.
    deployed = engine is None
    engine = engine or make_engine(settings.database_url)
    # The answer to Slack goes back once the listener has finished, so an acknowledged update
    # is a committed one: a web process killed a moment later loses nothing it said yes to.
    # What may follow the ack (an event's answer, /progress's reply and channel posts) goes
    # to a small pool (handlers.later); the delivery's dedupe record is committed before.
    later = Later(on_error, threads=AFTER_ACK_THREADS, backlog=AFTER_ACK_BACKLOG)
    # No auth.test at start (Bolt calls it on the first request and keeps the answer): a Slack
    # outage during a deploy must not stop web processes from booting.
    bolt = create_app(
        settings, engine, process_before_response=True, later=later, verify_token=False
    )
    secret = settings.slack_signing_secret.encode()

    web = Flask(__name__)
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES  # also bounds chunked bodies while read

    @web.post("/slack/events")
    def slack_events() -> Response:
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            logger.warning("refused a %d-byte request before reading it", length)
            return _plain(TOO_LARGE, 413, close=True)
        raw = request.get_data(cache=False)
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not _signed(secret, raw, timestamp, signature):
            logger.warning("refused a request with a missing, malformed or wrong signature")
            return _plain(NOT_SIGNED, 401)
        try:
            bolt_request = BoltRequest(
                body=raw.decode("utf-8"),
                query=request.query_string.decode("latin-1"),
                headers={k.lower(): [v] for k, v in request.headers.items()},
            )
            if not isinstance(bolt_request.body, dict):
                raise ValueError("payload is not an object")
        except Exception as exc:  # parsing only: bad UTF-8, bad JSON, a payload of the wrong shape
            # Log the shape of the problem only: the body may hold a progress note.
            logger.warning(
                "refused a malformed Slack payload (%s, %s, %d bytes)",
                type(exc).__name__,
                request.mimetype or "no content type",
                len(raw),
            )
            return _plain(MALFORMED, 400)
        return to_flask_response(bolt.dispatch(bolt_request))

    @web.get("/healthz")
    def healthz() -> Response:
        ok, reason = health.check(engine)
        return _plain(reason, 200 if ok else 503)

    @web.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        if code == 413:
            logger.warning("refused a request body over %d bytes", MAX_BODY_BYTES)
            return _plain(TOO_LARGE, 413, close=True)
        return _plain(exc.name.lower(), code)

    @web.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        logger.error("unhandled error serving %s", request.path, exc_info=exc)
        return _plain(FAILED, 500)

    web.extensions["bolt"] = bolt  # for tests and benchmarks that look inside
    if deployed:  # every board's views and search index, then gc.freeze(), as the worker does
        from bot.runtime import warm_in_background

        warm_in_background(engine)
    logger.info("web process %d ready", os.getpid())
    return web


def _signed(secret: bytes, raw: bytes, timestamp: str, signature: str) -> bool:
    """Slack's v0 signature over the raw bytes, within five minutes (before any decoding)."""
    if not (_TIMESTAMP.fullmatch(timestamp) and signature.isascii()):
        return False
    if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return False
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return hmac.compare_digest("v0=" + expected.hexdigest(), signature)


def _plain(text: str, status: int, *, close: bool = False) -> Response:
    response = Response(text + "\n", status=status, mimetype="text/plain")
    if close:  # the unread body must not be parsed as the next request on this connection
        response.headers["Connection"] = "close"
    return response
