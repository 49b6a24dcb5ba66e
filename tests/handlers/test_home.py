"""App Home for someone without a role, its Claim-a-role form, and 'Share in channel' on /lscb
answers: signed requests dispatched through Bolt against the loopback fake Slack."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.answers import urgency
from bot.clock import now_utc, today_london
from bot.conversation import respond
from bot.home import CLAIM_ACTION, CLAIM_FIELD, CLAIM_MODAL, MOST_URGENT
from handlers.share import SHARE_ACTION
from store.models import Person, RoleRequest
from store.queries import action_views, find_board
from tests.conftest import (
    ADMIN_ID,
    add_update,
    command_request,
    event_request,
    interaction_request,
)
from tests.fake_slack import FakeSlack

NEWCOMER = "U0NEW0001"


def open_home(app: App, fake: FakeSlack, user: str, n: int = 1) -> dict[str, Any]:
    app.dispatch(
        event_request({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"})
    )
    return fake.wait_for("views.publish", n)[-1].args["view"]


def texts(view: dict[str, Any]) -> list[str]:
    out = []
    for block in view["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [e.get("text", "") for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return out


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [b["accessory"] for b in blocks if (b.get("accessory") or {}).get("type") == "button"]
    return found + [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def click(
    user: str, button: dict[str, Any], response_url: str = "", channel: str = "C0GENERAL"
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T0TEAM001"},
        "trigger_id": "123.456",
        "channel": {"id": channel},
        "container": {"type": "message", "is_ephemeral": True},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "value": button.get("value", ""),
                "block_id": "b",
                "action_ts": "1700000001.0",
            }
        ],
    }


def submit_claim(user: str, role: str | None, board: str = "TSCB") -> dict[str, Any]:
    value: dict[str, Any] = {"type": "static_select", "selected_option": None}
    if role is not None:
        value["selected_option"] = {"value": role, "text": {"type": "plain_text", "text": role}}
    return {
        "type": "view_submission",
        "user": {"id": user},
        "team": {"id": "T0TEAM001"},
        "trigger_id": "1.2",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": CLAIM_MODAL,
            "private_metadata": json.dumps({"board": board}),
            "state": {"values": {CLAIM_FIELD: {CLAIM_FIELD: value}}},
        },
    }


# -- App Home without a role ------------------------------------------------------------------


def test_home_without_a_role_shows_the_boards_overdue_and_recent_work(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    add_update(mini, "1.1a", rag="amber", note="toolkit <!channel> drafted")
    add_update(mini, "A1", rag="green", created_at=now_utc() - timedelta(days=10))  # too old
    view = open_home(mini_app, fake_slack, NEWCOMER)
    shown = "\n".join(texts(view))
    # Both dated actions of the small plan are long past their dates: the older one first.
    assert "*Overdue on Testshire SCB* (2" in shown
    assert shown.index("*1.1b*") < shown.index("*1.1a*")
    assert "*Changed in the last 7 days* (1)" in shown
    assert "status set to amber" in shown and "A1" not in shown.split("Changed in")[1]
    assert "<!channel>" not in json.dumps(view)  # plan and note text stays inert
    assert "Weekly nudges are on" not in shown  # nothing of theirs to nudge about yet
    assert [b["action_id"] for b in buttons(view["blocks"])] == [CLAIM_ACTION]  # no Update


def test_home_counts_the_weeks_updates_and_shows_the_newest_five_against_what_came_before(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    start = now_utc() - timedelta(days=12)
    add_update(mini, "1.1a", rag="red", created_at=start)  # before the week: "amber" is a change
    statuses = ["amber", "green", "amber", "red", "green", "amber", "green"]  # one a day
    for day, rag in enumerate(statuses):
        ref = "1.1a" if day % 2 else "A1"
        add_update(mini, ref, rag=rag, created_at=now_utc() - timedelta(days=6 - day, hours=1))
    shown = texts(open_home(mini_app, fake_slack, NEWCOMER))
    assert "*Changed in the last 7 days* (7)" in shown
    lines = [t for t in shown if "<@U9>" in t]
    assert [t.split("*")[1] for t in lines] == ["A1", "1.1a", "A1", "1.1a", "A1"]  # newest first
    # Each against its action's status just before it, the update 12 days ago included.
    assert [t.split("·")[-1].strip() for t in lines] == [
        "status still green",
        "status red → amber",
        "status amber → green",
        "status green → red",
        "status still amber",
    ]
    assert "…and 2 more" in "\n".join(shown)


def test_home_lists_only_the_most_urgent_overdue_in_urgency_order(
    slack_app: App, fake_slack: FakeSlack, seeded: Engine
) -> None:
    respond(seeded, user_id=NEWCOMER, text="/lscb board WDSCB")
    view = open_home(slack_app, fake_slack, NEWCOMER)
    shown = texts(view)
    listed = [t.split("*")[1] for t in shown if t.startswith("*") and "OVERDUE" in t]
    with Session(seeded) as session:
        views = action_views(session, find_board(session, "WDSCB"))
    today = today_london()
    overdue = sorted((v for v in views if v.is_overdue(today)), key=lambda v: urgency(v, today))
    assert listed == [v.ref for v in overdue[:MOST_URGENT]]
    assert any(f"…and {len(overdue) - MOST_URGENT} more" in t for t in shown)
    assert len(view["blocks"]) <= 100


def test_claim_a_role_opens_a_form_and_sends_the_request(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    [claim] = buttons(open_home(mini_app, fake_slack, NEWCOMER)["blocks"])
    mini_app.dispatch(interaction_request(click(NEWCOMER, claim)))
    [opened] = fake_slack.wait_for("views.open")
    form = opened.args["view"]
    assert form["callback_id"] == CLAIM_MODAL and len(form["title"]["text"]) <= 24
    options = [o["value"] for o in form["blocks"][1]["element"]["options"]]
    assert {"MEG", "Training Sub-Committee", "LSCB Training Officer"} <= set(options)

    response = mini_app.dispatch(interaction_request(submit_claim(NEWCOMER, "MEG")))
    body = json.loads(response.body)
    assert body["response_action"] == "update"
    assert "MEG" in json.dumps(body["view"]) and "admins" in json.dumps(body["view"])
    # The approver (the bootstrap admin) gets Approve and Decline; nothing is granted yet.
    [dm] = fake_slack.wait_for("chat.postMessage")
    assert dm.args["channel"] == ADMIN_ID
    with Session(mini) as s:
        [request] = s.exec(
            select(RoleRequest)
            .join(Person, Person.id == RoleRequest.person_id)  # type: ignore[arg-type]
            .where(Person.slack_user_id == NEWCOMER)
        )
    assert request.role == "MEG" and request.status == "pending"
    # App Home is published again and shows the request waiting.
    home = fake_slack.wait_for("views.publish", 2)[-1].args["view"]
    assert "Waiting for confirmation of *MEG*" in "\n".join(texts(home))


def test_claim_without_a_choice_is_a_field_error(mini_app: App, mini: Engine) -> None:
    response = mini_app.dispatch(interaction_request(submit_claim(NEWCOMER, None)))
    body = json.loads(response.body)
    assert body["response_action"] == "errors" and list(body["errors"]) == [CLAIM_FIELD]
    with Session(mini) as s:
        assert s.exec(select(RoleRequest)).all() == []


def test_claim_form_failing_to_open_is_logged(
    mini_app: App, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_methods["views.open"] = "expired_trigger_id"
    [claim] = buttons(open_home(mini_app, fake_slack, NEWCOMER)["blocks"])
    with caplog.at_level(logging.ERROR):
        mini_app.dispatch(interaction_request(click(NEWCOMER, claim)))
        fake_slack.wait_until(lambda: "expired_trigger_id" in caplog.text)


# -- Share in channel ---------------------------------------------------------------------------


def lscb_answer(
    app: App, fake: FakeSlack, text: str, channel: str = "C0GENERAL", name: str = "r1"
) -> dict[str, Any]:
    app.dispatch(
        command_request(
            "/lscb",
            text,
            user_id="U0ALICE01",
            response_url=fake.response_url(name),
            channel_id=channel,
        )
    )
    return fake.wait_for(name)[0].args


def share_button(reply: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (b for b in buttons(reply.get("blocks") or []) if b["action_id"] == SHARE_ACTION), None
    )


def test_share_posts_the_answer_in_the_channel_naming_the_asker(
    slack_app: App, fake_slack: FakeSlack
) -> None:
    reply = lscb_answer(slack_app, fake_slack, "status of neglect <!channel>")
    assert reply["response_type"] == "ephemeral"
    button = share_button(reply)
    assert button is not None and len(button["text"]["text"]) <= 75
    slack_app.dispatch(
        interaction_request(click("U0ALICE01", button, fake_slack.response_url("s1")))
    )
    shared, confirmed = fake_slack.wait_for("s1", 2)
    assert shared.args["response_type"] == "in_channel"
    assert shared.args["replace_original"] is False
    first = shared.args["blocks"][0]["elements"][0]["text"]
    assert first.startswith("<@U0ALICE01> asked")
    assert "&lt;!channel&gt;" in first and "<!channel>" not in json.dumps(shared.args)
    assert "neglect" in json.dumps(shared.args["blocks"][1:]).lower()  # the answer itself
    assert share_button(shared.args) is None  # shared once, not a chain of buttons
    assert len(shared.args["blocks"]) <= 50
    assert confirmed.args["replace_original"] is True


def test_a_short_answer_without_blocks_can_be_shared_too(
    slack_app: App, fake_slack: FakeSlack
) -> None:
    reply = lscb_answer(slack_app, fake_slack, "what's overdue for MEG")  # "No actions overdue…"
    assert reply["text"].startswith("No actions overdue")
    assert share_button(reply) is not None
    assert reply["text"] in json.dumps(reply["blocks"], ensure_ascii=False)


@pytest.mark.parametrize(
    ("text", "channel"),
    [("whoami", "C0GENERAL"), ("help", "C0GENERAL"), ("exprot", "C0GENERAL"), ("overview", "D0X")],
)
def test_no_share_button_on_commands_or_in_a_dm(
    slack_app: App, fake_slack: FakeSlack, text: str, channel: str
) -> None:
    assert share_button(lscb_answer(slack_app, fake_slack, text, channel)) is None


def test_an_unreadable_share_button_gets_a_message(slack_app: App, fake_slack: FakeSlack) -> None:
    button = {"action_id": SHARE_ACTION, "value": "not json"}
    slack_app.dispatch(
        interaction_request(click("U0ALICE01", button, fake_slack.response_url("bad")))
    )
    [reply] = fake_slack.wait_for("bad")
    assert reply.args["response_type"] == "ephemeral" and "ask again" in reply.args["text"]
