"""No note, reason or question text reaches the logs, at any level, on any surface.

A unique canary string is sent through every Slack surface of the real Bolt app (signed
requests, the loopback fake Slack), including the failure paths, with every logger at DEBUG;
no captured record may contain it: not its message, its args, its exception or any attribute.
"""

from __future__ import annotations

import io
import json
import logging
import traceback
import uuid
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.logsafe import protect_handlers
from store.db import make_engine
from store.models import ProgressUpdate
from tests.conftest import (
    ADMIN_ID,
    SUBPROCESS_URLS,
    add_update,
    event_request,
    interaction_request,
    lscb,
    submission,
)
from tests.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack
from tests.faults import failing, slash

MEG_CHANNEL = "C0MEG0001"


def _record_text(record: logging.LogRecord) -> str:
    """Everything a handler or formatter could write out for `record`."""
    parts = [repr(record.__dict__), str(record.msg), repr(record.args)]
    try:
        parts.append(record.getMessage())
    except Exception as exc:  # a record that cannot format is still checked field by field
        parts.append(repr(exc))
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    parts += [record.exc_text or "", record.stack_info or ""]
    return "\n".join(parts)


def _modal(user: str, note: str, reason: str, view_id: str) -> dict[str, Any]:
    values = {
        "action": "TSCB|1.1a",
        "note": {"type": "plain_text_input", "value": note},
        "new_due": {"type": "datepicker", "selected_date": "2021-09-30"},
        "reason": {"type": "plain_text_input", "value": reason},
    }
    return submission(user, values, view_id)


def test_a_canary_note_reaches_no_log_record_on_any_surface(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    canary = f"canary-{uuid.uuid4().hex[:12]}"
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    # Updates on MEG's actions are announced in MEG's channel, note included.
    assert "is now *MEG*'s" in lscb(mini, ADMIN_ID, "channel MEG", MEG_CHANNEL)
    assert "will now be posted" in lscb(mini, ADMIN_ID, "updates on", MEG_CHANNEL)

    def progress(text: str, name: str) -> str:
        url = fake_slack.response_url(name)
        mini_app.dispatch(slash("/progress", text, user_id=ADMIN_ID, response_url=url))
        return str(fake_slack.wait_for(name)[0].args["text"])

    # The quick form: recorded and announced; handed back; too long; refused by the guard.
    assert progress(f"1.1a amber {canary} pilot running", "quick").startswith("Recorded")
    fake_slack.wait_for("chat.postMessage", 1)
    assert canary in progress(f"9.9z amber {canary} nothing matches", "nomatch")
    progress(f"1.1a amber {canary} " + "and more " * 200, "toolong")
    assert canary not in progress(f"1.1a red {canary} seen with mum, DOB 01/02/2015", "guard")

    # Candidate buttons, then a click.
    progress(f"1.1 green {canary} both moving", "candidates")
    [offer] = fake_slack.calls_to("candidates")
    button = offer.args["blocks"][-1]["elements"][0]
    click = {
        "type": "block_actions",
        "user": {"id": ADMIN_ID},
        "team": {"id": TEAM_ID},
        "trigger_id": "123.456",
        "container": {"type": "message", "message_ts": "1700000000.000300"},
        "response_url": fake_slack.response_url("pick"),
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "value": button["value"],
                "block_id": "b",
                "action_ts": "1700000001.0",
            }
        ],
    }
    mini_app.dispatch(interaction_request(click))
    fake_slack.wait_for("pick")

    # The modal: recorded (a DM to the author and an announcement).
    mini_app.dispatch(interaction_request(_modal(ADMIN_ID, canary, f"{canary} delay", "V1")))
    fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.postMessage")) >= 4)

    # App Home (shows the latest notes), a DM question, a mention, /lscb away.
    home = {"type": "app_home_opened", "user": ADMIN_ID, "tab": "home", "channel": "D0ADMIN01"}
    mini_app.dispatch(event_request(home))
    fake_slack.wait_for("views.publish")
    dm = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0ADMIN01",
        "user": ADMIN_ID,
        "text": f"what is the status of {canary}",
        "ts": "1700000000.000100",
    }
    mini_app.dispatch(event_request(dm))
    mention = {
        "type": "app_mention",
        "channel": MEG_CHANNEL,
        "user": ADMIN_ID,
        "text": f"<@{BOT_USER_ID}> who leads {canary}",
        "ts": "1700000000.000200",
    }
    mini_app.dispatch(event_request(mention))
    fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.postMessage")) >= 6)
    url = fake_slack.response_url("away")
    mini_app.dispatch(slash("/lscb", f"away {canary}", user_id=ADMIN_ID, response_url=url))
    fake_slack.wait_for("away")

    # The bot's own announcement coming back as an event, and a forged request.
    echo = {
        "type": "message",
        "channel": MEG_CHANNEL,
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "text": f"updated 1.1a\n> {canary}",
        "ts": "1700000000.000400",
    }
    mini_app.dispatch(event_request(echo))
    forged = event_request({**dm, "text": f"DOB 01/02/2015 {canary}"}, secret="f" * 32)
    assert mini_app.dispatch(forged).status == 401

    # Failures after the acknowledgement: a refused insert on the quick form and the modal.
    with failing(mini, "INSERT INTO progressupdate"):
        progress(f"1.1a green {canary} after the failure", "failed")  # told, text handed back
        posts = len(fake_slack.calls_to("chat.postMessage"))
        mini_app.dispatch(interaction_request(_modal(ADMIN_ID, canary, f"{canary} x", "V2")))
        fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.postMessage")) > posts)
    # Let every listener finish (and log what it logs) before reading the records.
    mini_app.listener_runner.listener_executor.shutdown(wait=True)

    assert any(canary in json.dumps(c.args) for c in fake_slack.calls)  # Slack did see it
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(r.name.startswith("slack_sdk") for r in debug)  # payload logging was on
    assert any("nvalid request signature" in r.getMessage() for r in caplog.records)
    leaks = [
        f"{r.name} {r.levelname}: {r.getMessage()[:100]}"
        for r in caplog.records
        if canary in _record_text(r)
    ]
    assert not leaks, f"{len(leaks)} records carry the canary:\n" + "\n".join(leaks)


def test_a_forged_request_is_logged_with_its_timestamp_not_its_body(
    slack_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    dm = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": "1.2"}
    forged = event_request({**dm, "text": "DOB 01/02/2015 for Amy"}, secret="f" * 32)
    with caplog.at_level(logging.INFO):
        assert slack_app.dispatch(forged).status == 401
    [line] = [r.getMessage() for r in caplog.records if "request signature" in r.getMessage()]
    assert line.startswith("Invalid request signature detected (signature: v0=")
    assert "timestamp: " in line and line.endswith("body: [payload withheld]")
    assert "Amy" not in caplog.text and "01/02/2015" not in caplog.text


def test_loggers_made_after_start_up_are_filtered_at_the_handlers() -> None:
    """The entry point also filters at the root's handlers, for Slack loggers made later."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        protect_handlers(root)
        late = logging.getLogger(f"slack_sdk.made_later_{uuid.uuid4().hex[:6]}")
        payload = {"text": "seen with mum " + "canary"}  # not in a traceback's source line
        try:
            raise ValueError(f"bad payload {payload}")
        except ValueError:
            late.warning("Sending a message: %s", payload, exc_info=True)
        logging.getLogger("bot.progress").warning("progress update recorded on %s", "TSCB")
    finally:
        root.removeHandler(handler)
    written = stream.getvalue()
    assert "Sending a message: [payload withheld]" in written
    assert "ValueError: bad payload [payload withheld]" in written  # frames kept, text not
    assert "canary" not in written
    assert "bot.progress progress update recorded on TSCB" in written  # our lines untouched


def test_database_rows_are_not_logged_even_with_sql_logging_on(
    mini: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    add_update(mini, "1.1a", note="canary row text")
    engine = make_engine(SUBPROCESS_URLS[mini])
    with caplog.at_level(logging.DEBUG, logger="sqlalchemy.engine"), Session(engine) as s:
        notes = s.exec(select(ProgressUpdate.note)).all()
    engine.dispose()
    assert notes == ["canary row text"]  # it was read, with SQL logging on
    assert "SELECT progressupdate.note" in caplog.text
    assert "canary" not in caplog.text
