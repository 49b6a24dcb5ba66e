"""DMs and mentions: signed events dispatched through the Bolt app reach the shared answer code."""

from __future__ import annotations

import logging

import pytest
from slack_bolt import App

from tests.conftest import event_request
from tests.fake_slack import BOT_ID, FakeSlack


def dm(text: str, user: str = "U0ALICE01", **extra: object) -> dict[str, object]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D0ALICE01",
        "user": user,
        "text": text,
        "ts": "1700000000.000100",
        **extra,
    }


def test_dm_overview_answers_in_the_dm(slack_app: App, fake_slack: FakeSlack) -> None:
    response = slack_app.dispatch(event_request(dm("overview")))
    assert response.status == 200
    [post] = fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "D0ALICE01"
    assert "thread_ts" not in post.args
    assert post.args["text"].startswith("Worcestershire SCB business plan 2018-19")
    assert post.args["blocks"][0]["type"] == "header"
    sections = " ".join(b["text"]["text"] for b in post.args["blocks"] if b["type"] == "section")
    assert "Keeping every child safe" in sections
    assert "Implementation of Neglect Strategy" in sections


def test_mention_answers_in_a_thread(slack_app: App, fake_slack: FakeSlack) -> None:
    event = {
        "type": "app_mention",
        "channel": "C0MEG0001",
        "user": "U0ALICE01",
        "text": "<@UBOTUSER1> help",
        "ts": "1700000000.000200",
    }
    assert slack_app.dispatch(event_request(event)).status == 200
    [post] = fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0MEG0001"
    assert post.args["thread_ts"] == "1700000000.000200"
    assert "Worcestershire SCB" in post.args["text"]


def test_empty_dm_gets_a_prompt_not_silence(slack_app: App, fake_slack: FakeSlack) -> None:
    slack_app.dispatch(event_request(dm("   ")))
    [post] = fake_slack.wait_for("chat.postMessage")
    assert "help" in post.args["text"]


def test_bot_messages_and_edits_are_not_answered(slack_app: App, fake_slack: FakeSlack) -> None:
    slack_app.dispatch(event_request(dm("overview", bot_id=BOT_ID)))
    slack_app.dispatch(event_request(dm("overview", subtype="message_changed")))
    slack_app.dispatch(event_request(dm("help")))
    [post] = fake_slack.wait_for("chat.postMessage")  # only the real question is answered
    assert "Try:" in post.args["blocks"][0]["text"]["text"]
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_unsigned_or_forged_events_are_rejected(slack_app: App, fake_slack: FakeSlack) -> None:
    response = slack_app.dispatch(event_request(dm("overview"), secret="f" * 32))
    assert response.status == 401
    assert fake_slack.calls_to("chat.postMessage") == []


def test_slack_api_failure_is_logged_without_the_text(
    slack_app: App, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.channel_errors["D0ALICE01"] = "channel_not_found"
    with caplog.at_level(logging.ERROR):
        slack_app.dispatch(event_request(dm("overview of the secret thing")))
        fake_slack.wait_for("chat.postMessage")
        _wait_for_log(caplog, "unhandled error")
    assert "channel_not_found" in caplog.text
    assert "secret thing" not in caplog.text


def test_plan_text_is_escaped_for_mrkdwn(slack_app: App, fake_slack: FakeSlack) -> None:
    slack_app.dispatch(event_request(dm("overview <!channel>")))
    [post] = fake_slack.wait_for("chat.postMessage")
    assert "<!channel>" not in str(post.args)
    assert "&lt;!channel&gt;" in post.args["text"]


def _wait_for_log(caplog: pytest.LogCaptureFixture, text: str) -> None:
    import time

    deadline = time.monotonic() + 10
    while text not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
