"""Role requests through Bolt: /lscb iam asks the approvers in a DM, their buttons decide."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.conversation import respond
from store.models import AuditEvent, RoleRequest
from tests.conftest import ADMIN_ID, button_click, command_request, interaction_request, lscb
from tests.fake_slack import Call, FakeSlack

ASKER = "U0ASKER01"
OTHER = "U0OTHER01"
CHAIR = "U0CHAIR01"


def lscb_via_slack(app: App, fake: FakeSlack, user: str, text: str, name: str) -> dict[str, Any]:
    """`user` types `/lscb TEXT` in Slack; what they are told."""
    app.dispatch(command_request("/lscb", text, user_id=user, response_url=fake.response_url(name)))
    return fake.wait_for(name)[0].args


def dms_to(fake: FakeSlack, user: str, n: int = 1) -> list[Call]:
    fake.wait_until(lambda: len(fake.delivered(user)) >= n)
    return fake.delivered(user)


def click(app: App, fake: FakeSlack, user: str, button: dict[str, Any], name: str) -> str:
    """`user` presses `button`; what they are told."""
    payload = button_click(user, button, fake.response_url(name))
    app.dispatch(interaction_request(payload))
    return str(fake.wait_for(name)[0].args["text"])


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The Approve and Decline buttons of a message (the last ones, for a list)."""
    found: dict[str, dict[str, Any]] = {}
    for block in message.get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("type") == "button":
                found[element["text"]["text"]] = element
    return found


def events(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return [e.event for e in s.exec(select(AuditEvent)) if "role" in e.event]


def test_a_request_reaches_the_admin_and_one_approval_grants_it(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    told = lscb_via_slack(mini_app, fake_slack, ASKER, "iam MEG", "iam")
    assert told["text"].startswith("I've asked Testshire SCB's admins to confirm you as *MEG*")
    [dm] = dms_to(fake_slack, ADMIN_ID)
    assert dm.args["text"] == f"<@{ASKER}> asks to be *MEG* on Testshire SCB. " + (
        "If you approve, they can post progress updates on its actions."
    )
    approve = buttons(dm.args)["Approve"]
    assert buttons(dm.args)["Decline"]["value"] == approve["value"]

    refused = click(mini_app, fake_slack, OTHER, approve, "c1")
    assert refused == "Only Testshire SCB's admins or the chair of *MEG* can decide this request."
    assert click(mini_app, fake_slack, ASKER, approve, "c2").startswith("Only")
    pending_update, _ = respond(mini, user_id=ASKER, text="/progress 1.1a green done")
    assert pending_update.text.startswith("You can't update *1.1a*")
    assert fake_slack.delivered(ASKER) == []

    assert click(mini_app, fake_slack, ADMIN_ID, approve, "c3") == (
        f"Approved: <@{ASKER}> is now *MEG* on Testshire SCB."
    )
    [told_asker] = dms_to(fake_slack, ASKER)
    assert told_asker.args["text"].startswith(f"<@{ADMIN_ID}> confirmed you as *MEG*")
    again = click(mini_app, fake_slack, ADMIN_ID, buttons(dm.args)["Decline"], "c4")
    assert again == f"That request was already approved by <@{ADMIN_ID}>."
    assert len(fake_slack.delivered(ASKER)) == 1
    assert "Sub-groups: MEG" in lscb(mini, ASKER, "whoami")
    assert events(mini) == [
        "person.role_requested",
        "person.role_request_approved",
        "person.role_added",
    ]


def test_a_decline_tells_the_requester_and_grants_nothing(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    lscb_via_slack(mini_app, fake_slack, ASKER, "iam LSCB Training Officer", "iam")
    [dm] = dms_to(fake_slack, ADMIN_ID)
    said = click(mini_app, fake_slack, ADMIN_ID, buttons(dm.args)["Decline"], "c1")
    assert said == f"Declined: <@{ASKER}> is not *LSCB Training Officer* on Testshire SCB."
    [told] = dms_to(fake_slack, ASKER)
    assert "declined your request to be *LSCB Training Officer*" in told.args["text"]
    assert "Roles: none" in lscb(mini, ASKER, "whoami")
    assert events(mini) == ["person.role_requested", "person.role_request_declined"]


def test_rights_are_checked_when_the_button_is_pressed(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    """An admin removed after the request was sent can no longer decide it."""
    assert "now an admin" in lscb(mini, ADMIN_ID, "admin <@U0BOARDAD>")
    lscb_via_slack(mini_app, fake_slack, ASKER, "iam MEG", "iam")
    [dm] = dms_to(fake_slack, "U0BOARDAD")  # the board's own admin is asked, not ADMIN_USER_IDS
    assert fake_slack.delivered(ADMIN_ID) == []
    assert "no longer an admin" in lscb(mini, ADMIN_ID, "admin remove <@U0BOARDAD>")
    said = click(mini_app, fake_slack, "U0BOARDAD", buttons(dm.args)["Approve"], "c1")
    assert said.startswith("Only Testshire SCB's admins")
    with Session(mini) as s:
        assert [r.status for r in s.exec(select(RoleRequest))] == ["pending"]


def test_a_chair_decides_requests_for_their_sub_group_only(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    assert "now chairs" in lscb(mini, ADMIN_ID, f"chair <@{CHAIR}> MEG")
    told = lscb_via_slack(mini_app, fake_slack, ASKER, "iam MEG", "iam1")
    assert "the chair of *MEG*" in told["text"]
    lscb_via_slack(mini_app, fake_slack, ASKER, "iam LSCB Training Officer", "iam2")
    [meg_dm] = dms_to(fake_slack, CHAIR)
    [lead_dm] = dms_to(fake_slack, ADMIN_ID)
    assert click(mini_app, fake_slack, CHAIR, buttons(lead_dm.args)["Approve"], "c1") == (
        "Only Testshire SCB's admins can decide this request."
    )
    assert click(mini_app, fake_slack, CHAIR, buttons(meg_dm.args)["Approve"], "c2").startswith(
        "Approved"
    )


def test_pending_lists_open_requests_with_the_same_buttons(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    assert (
        "No role requests"
        in lscb_via_slack(mini_app, fake_slack, ADMIN_ID, "pending", "p0")["text"]
    )
    lscb_via_slack(mini_app, fake_slack, ASKER, "iam MEG", "iam1")
    lscb_via_slack(mini_app, fake_slack, OTHER, "iam LSCB Training Officer", "iam2")
    refused = lscb_via_slack(mini_app, fake_slack, ASKER, "pending", "p1")
    assert (
        refused["text"] == "Only Testshire SCB's admins and sub-group chairs can see role requests."
    )
    listed = lscb_via_slack(mini_app, fake_slack, ADMIN_ID, "pending", "p2")
    texts = [b["text"]["text"] for b in listed["blocks"] if b["type"] == "section"]
    assert texts[0] == "*Role requests waiting on Testshire SCB* (2)"
    assert texts[1].startswith(f"<@{ASKER}> asks to be *MEG*")
    assert texts[2].startswith(f"<@{OTHER}> asks to be *LSCB Training Officer*")
    first_approve = next(
        e for b in listed["blocks"] if b["type"] == "actions" for e in b["elements"]
    )
    assert click(mini_app, fake_slack, ADMIN_ID, first_approve, "c1").startswith(
        f"Approved: <@{ASKER}>"
    )
    after = lscb_via_slack(mini_app, fake_slack, ADMIN_ID, "pending", "p3")
    assert "(1)" in after["text"] and ASKER not in str(after["blocks"])


def test_a_button_with_no_request_says_so(mini_app: App, fake_slack: FakeSlack) -> None:
    empty = {"action_id": "role_request_approve", "value": ""}
    assert click(mini_app, fake_slack, ADMIN_ID, empty, "c1") == (
        "I can't find that request any more."
    )
    gone = {"action_id": "role_request_decline", "value": "999"}
    assert (
        click(mini_app, fake_slack, ADMIN_ID, gone, "c2") == "I can't find that request any more."
    )


def test_an_undeliverable_dm_is_logged_and_the_request_kept(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.channel_errors[ADMIN_ID] = "cannot_dm_user"
    with caplog.at_level(logging.ERROR):
        told = lscb_via_slack(mini_app, fake_slack, ASKER, "iam MEG", "iam")
        fake_slack.wait_until(lambda: "could not post" in caplog.text)
    assert told["text"].startswith("I've asked")
    assert "cannot_dm_user" in caplog.text
    listed = lscb_via_slack(mini_app, fake_slack, ADMIN_ID, "pending", "p1")
    assert "(1)" in listed["text"]
