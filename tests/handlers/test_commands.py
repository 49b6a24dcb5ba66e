"""/lscb: signed slash commands are acked and answered ephemerally through the shared code."""

from __future__ import annotations

from slack_bolt import App

from tests.conftest import command_request
from tests.fake_slack import FakeSlack


def test_lscb_help_replies_ephemerally(slack_app: App, fake_slack: FakeSlack) -> None:
    request = command_request(
        "/lscb", "help", user_id="U0ALICE01", response_url=fake_slack.response_url()
    )
    response = slack_app.dispatch(request)
    assert response.status == 200
    [reply] = fake_slack.wait_for("r1")
    assert reply.args["response_type"] == "ephemeral"
    assert "Worcestershire SCB" in reply.args["text"]


def test_lscb_with_no_text_shows_help(slack_app: App, fake_slack: FakeSlack) -> None:
    slack_app.dispatch(
        command_request("/lscb", "", user_id="U0ALICE01", response_url=fake_slack.response_url())
    )
    [reply] = fake_slack.wait_for("r1")
    assert "Try" in reply.args["text"] or "business plan" in reply.args["text"]


def test_lscb_overview_of_another_board(slack_app: App, fake_slack: FakeSlack) -> None:
    slack_app.dispatch(
        command_request(
            "/lscb",
            "overview dudley scb",
            user_id="U0ALICE01",
            response_url=fake_slack.response_url(),
        )
    )
    [reply] = fake_slack.wait_for("r1")
    assert reply.args["text"].startswith("Dudley SCB business plan")


def test_lscb_unknown_board_is_a_clear_message(slack_app: App, fake_slack: FakeSlack) -> None:
    slack_app.dispatch(
        command_request(
            "/lscb", "overview Narnia", user_id="U0ALICE01", response_url=fake_slack.response_url()
        )
    )
    [reply] = fake_slack.wait_for("r1")
    assert "No board called" in reply.args["text"] and "WSCB" in reply.args["text"]
