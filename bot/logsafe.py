"""Keep progress notes, reasons and questions out of the logs, whoever writes the log line.

Our own modules log kinds, refs and error codes, never text. Slack's libraries are not so
careful: slack_bolt logs a request's whole body when its signature is wrong (at INFO), and at
DEBUG slack_bolt and slack_sdk log every payload they send or receive (chat.postMessage text,
response_url bodies, Socket Mode envelopes, the bot's own messages coming back as events).
`PayloadFilter` cuts those payloads out of the records before any handler sees them.
"""

from __future__ import annotations

import logging
import re
import traceback

#: Loggers whose records may carry Slack payloads. A logging.Filter on a logger only sees
#: records logged on that very logger, so the module loggers are named one by one (and any
#: other existing logger under these prefixes is found by `protect_slack_logs`).
SLACK_PREFIXES = ("slack_bolt", "slack_sdk")
SLACK_LOGGERS = (
    "slack_bolt",
    "slack_sdk",
    "slack_sdk.web.base_client",
    "slack_sdk.web.legacy_base_client",
    "slack_sdk.webhook.client",
    "slack_sdk.webhook.internal_utils",
    "slack_sdk.web.internal_utils",
    "slack_sdk.socket_mode.client",
    "slack_sdk.socket_mode.builtin.client",
    "slack_sdk.socket_mode.builtin.connection",
    "slack_sdk.socket_mode.builtin.internals",
    "slack_bolt.adapter.socket_mode.base_handler",
    "slack_bolt.adapter.socket_mode.internals",
)
WITHHELD = "[payload withheld]"

# Where a payload starts in a library's log line: a dict or list repr, JSON, a form-encoded
# body or raw bytes, usually after a label such as "body:" or "message:".
_PAYLOAD = re.compile(
    r"[{\[]|\bb['\"]|(?P<label>\b(?:body|body_params|json_body|query_params|message|payload|"
    r"data|bytes|event|text)\s*[:=])",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` up to where a payload starts (keeping a label such as "body:"), then a marker."""
    match = _PAYLOAD.search(text)
    if match is None:
        return text
    end = match.end() if match.group("label") else match.start()
    return f"{text[:end].rstrip()} {WITHHELD}"


class PayloadFilter(logging.Filter):
    """Rewrite each record from a Slack library so that it carries no payload text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(SLACK_PREFIXES):
            return True  # our own lines never carry text; leave them (and tracebacks) whole
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep its template, drop its arguments
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            # The traceback's frames are kept; the exception's message may quote a payload.
            kind, error, tb = record.exc_info
            frames = "".join(traceback.format_tb(tb))
            name = kind.__name__ if kind else "Exception"
            record.exc_text = f"Traceback (most recent call last):\n{frames}{name}: " + redact(
                str(error)
            )
            record.exc_info = None
        if record.stack_info:
            record.stack_info = None
        return True


PAYLOAD_FILTER = PayloadFilter()


def protect_slack_logs() -> logging.Logger:
    """Put the payload filter on every Slack library logger; return the base logger for Bolt.

    Safe to call again: a logger gets the filter once. Bolt copies its base logger's filters
    to the loggers it makes for its middleware, so the base logger goes first.
    """
    manager = logging.Logger.manager
    existing = [n for n in manager.loggerDict if n.startswith(SLACK_PREFIXES)]
    for name in dict.fromkeys([*SLACK_LOGGERS, *existing]):
        target = logging.getLogger(name)
        if PAYLOAD_FILTER not in target.filters:
            target.addFilter(PAYLOAD_FILTER)
    return logging.getLogger("slack_bolt")


def protect_handlers(root: logging.Logger | None = None) -> None:
    """Also filter at the root's handlers: catches Slack loggers created after start-up."""
    for handler in (root or logging.getLogger()).handlers:
        if PAYLOAD_FILTER not in handler.filters:
            handler.addFilter(PAYLOAD_FILTER)
