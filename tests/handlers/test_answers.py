"""Long answers page in place: the "Show the next 10" button, signed and dispatched by Bolt."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from slack_bolt import App

from tests.conftest import button_click, event_request, interaction_request
from tests.fake_slack import FakeSlack


def overdue_on_wakefield(slack_app: App, fake_slack: FakeSlack) -> dict[str, Any]:
    """Ask Wakefield's long overdue list in a DM; return the posted reply."""
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0ALICE01",
        "user": "U0ALICE01",
        "text": "what's overdue on wakefield",
        "ts": "1700000000.000100",
    }
    slack_app.dispatch(event_request(event))
    [post] = fake_slack.wait_for("chat.postMessage")
    return post.args


def click(button: dict[str, Any], response_url: str, value: str | None = None) -> dict[str, Any]:
    pressed = button if value is None else {**button, "value": value}
    return button_click("U0ALICE01", pressed, response_url, channel="D0ALICE01")


def test_a_long_list_is_summed_up_and_pages_in_place(
    slack_app: App, fake_slack: FakeSlack
) -> None:
    first = overdue_on_wakefield(slack_app, fake_slack)
    sections = [b for b in first["blocks"] if b["type"] == "section"]
    assert len(sections) == 11  # the summary and ten actions, not a wall of cards
    assert "By status" in sections[0]["text"]["text"]
    total = int(first["text"].split(" actions overdue")[0])  # the numbers reach the notification
    assert total > 40  # every dated action of the 2011/12 plan is past its date by now
    buttons = [b for b in first["blocks"] if b["type"] == "actions"][-1]["elements"]
    updates = [s["accessory"] for s in sections[1:]]
    assert all(u["accessibility_label"].startswith("Update ") for u in updates)
    assert len({u["accessibility_label"] for u in updates}) == 10  # each names its action

    slack_app.dispatch(interaction_request(click(buttons[0], fake_slack.response_url("p2"))))
    [page] = fake_slack.wait_for("p2")
    assert page.args["replace_original"] is True
    assert f"Showing 11–20 of {total}" in json.dumps(page.args["blocks"], ensure_ascii=False)
    firsts = {s["text"]["text"].split("*")[1] for s in sections[1:]}
    seconds = {
        b["text"]["text"].split("*")[1] for b in page.args["blocks"][1:] if b["type"] == "section"
    }
    assert len(seconds) == 10 and not firsts & seconds


def test_an_unreadable_button_value_gets_a_message(slack_app: App, fake_slack: FakeSlack) -> None:
    first = overdue_on_wakefield(slack_app, fake_slack)
    button = [b for b in first["blocks"] if b["type"] == "actions"][-1]["elements"][0]
    payload = click(button, fake_slack.response_url("bad"), value="")
    slack_app.dispatch(interaction_request(payload))
    [reply] = fake_slack.wait_for("bad")
    assert "ask again" in reply.args["text"]


def test_a_dead_response_url_is_logged_without_the_question(
    slack_app: App, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    first = overdue_on_wakefield(slack_app, fake_slack)
    button = [b for b in first["blocks"] if b["type"] == "actions"][-1]["elements"][0]
    caplog.set_level(logging.DEBUG)
    dead = "http://127.0.0.1:9/response/gone"  # the discard port: nothing listens there
    assert slack_app.dispatch(interaction_request(click(button, dead))).status == 200
    deadline = time.monotonic() + 10  # the listener runs after the ack, on Bolt's thread
    while not any(r.levelno >= logging.ERROR for r in caplog.records):
        assert time.monotonic() < deadline, "the failure was never logged"
        time.sleep(0.05)
    assert "overdue on wakefield" not in caplog.text
