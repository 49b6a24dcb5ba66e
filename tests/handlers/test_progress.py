"""/progress through Bolt: quick form, candidates, modal, permissions, guard, App Home."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import now_utc
from bot.conversation import respond
from bot.progress_form import field_error, submit_form
from bot.settings import Settings
from store.models import AuditEvent, ProgressUpdate
from tests.conftest import (
    ADMIN_ID,
    command_request,
    event_request,
    interaction_request,
    lscb,
    submission,
)
from tests.fake_slack import FakeSlack

LEAD = "U0LEAD001"  # LSCB Training Officer: leads 1.1b
MEG = "U0MEG0001"  # member of MEG: owns 1.1a


@pytest.fixture
def people(mini: Engine) -> None:
    """Two confirmed leads (`/lscb iam` alone only asks: an admin assigns them here)."""
    assert "is now" in lscb(mini, ADMIN_ID, f"assign <@{LEAD}> LSCB Training Officer")
    assert "is now" in lscb(mini, ADMIN_ID, f"assign <@{MEG}> MEG")


def updates(engine: Engine) -> list[ProgressUpdate]:
    with Session(engine) as s:
        return list(s.exec(select(ProgressUpdate)))


def progress(app: App, fake: FakeSlack, user: str, text: str, n: int = 1) -> dict[str, Any]:
    app.dispatch(
        command_request("/progress", text, user_id=user, response_url=fake.response_url(f"p{n}"))
    )
    return fake.wait_for(f"p{n}")[0].args


def test_quick_form_records_once_and_confirms(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, people: None
) -> None:
    reply = progress(mini_app, fake_slack, MEG, "1.1a amber toolkit drafted, pathway delayed")
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Recorded for *1.1a* Toolkit: status set to amber; note added")
    [update] = updates(mini)
    assert (update.rag, update.note, update.author_slack_user_id) == (
        "amber",
        "toolkit drafted, pathway delayed",
        MEG,
    )
    with Session(mini) as s:
        audit = s.exec(select(AuditEvent).where(AuditEvent.event == "action.progress")).one()
    assert audit.before["status"] == "no update" and audit.after["status"] == "amber"
    assert "toolkit drafted" not in json.dumps(audit.after)  # notes stay out of the audit log


def test_someone_else_is_refused_with_who_can(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, people: None
) -> None:
    reply = progress(mini_app, fake_slack, LEAD, "1.1a green done it")
    assert reply["text"].startswith("You can't update *1.1a*")
    assert "*MEG*" in reply["text"]
    assert reply["text"].endswith("> done it")  # nothing saved, so the note is handed back
    assert updates(mini) == []


def test_an_admin_may_update_anything(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, people: None
) -> None:
    reply = progress(mini_app, fake_slack, ADMIN_ID, "A1 g assurance received")
    assert reply["text"].startswith("Recorded for *A1*")
    assert [u.rag for u in updates(mini)] == ["green"]


def test_identifiable_data_is_refused_and_never_stored_or_logged(
    mini_app: App,
    fake_slack: FakeSlack,
    mini: Engine,
    people: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    note = "seen with mum, NHS 943 476 5919, lives WR5 2NP"
    with caplog.at_level(logging.DEBUG):
        reply = progress(mini_app, fake_slack, MEG, f"1.1a red {note}")
    assert "an NHS number and a full postcode" in reply["text"]
    assert "943" not in reply["text"] and "WR5" not in reply["text"]
    assert updates(mini) == []
    assert "943 476 5919" not in caplog.text and "WR5 2NP" not in caplog.text
    assert "refused a progress update" in caplog.text


def test_bad_status_word_lists_the_valid_ones(
    mini_app: App, fake_slack: FakeSlack, people: None
) -> None:
    reply = progress(mini_app, fake_slack, MEG, "1.1a yellow nearly there")
    assert "isn't a status" in reply["text"] and "amber" in reply["text"]


def test_ambiguous_words_offer_buttons_and_a_click_records_once(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    reply = progress(mini_app, fake_slack, ADMIN_ID, "1.1 amber both moving")
    buttons = reply["blocks"][-1]["elements"]
    assert [b["text"]["text"][:4] for b in buttons] == ["1.1a", "1.1b"]
    pick = buttons[1]
    payload = {
        "type": "block_actions",
        "user": {"id": ADMIN_ID},
        "team": {"id": "T0TEAM001"},
        "trigger_id": "123.456",
        "container": {"type": "message", "message_ts": "1700000000.000300", "is_ephemeral": True},
        "response_url": fake_slack.response_url("pick"),
        "actions": [
            {
                "type": "button",
                "action_id": pick["action_id"],
                "value": pick["value"],
                "block_id": "b",
                "action_ts": "1700000001.0",
            }
        ],
    }
    mini_app.dispatch(interaction_request(payload))
    mini_app.dispatch(interaction_request(payload))  # a double click
    confirmations = fake_slack.wait_for("pick", n=2)
    texts = sorted(c.args["text"] for c in confirmations)  # the two clicks race
    assert texts[0].startswith("Recorded for *1.1b*")
    assert texts[1] == "That update for *1.1b* was already recorded."
    assert [(u.rag, u.note) for u in updates(mini)] == [("amber", "both moving")]


def test_empty_progress_opens_a_valid_modal(
    mini_app: App, fake_slack: FakeSlack, people: None
) -> None:
    mini_app.dispatch(
        command_request("/progress", "", user_id=MEG, response_url=fake_slack.response_url())
    )
    [opened] = fake_slack.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "progress_modal" and opened.args["trigger_id"]
    assert [b["block_id"] for b in view["blocks"]][:4] == ["action", "rag", "percent", "note"]
    assert fake_slack.calls_to("views.open:429") == []


def test_picker_lists_my_actions_filtered_by_typing(
    mini_app: App, fake_slack: FakeSlack, people: None
) -> None:
    payload = {
        "type": "block_suggestion",
        "user": {"id": MEG},
        "team": {"id": "T0TEAM001"},
        "action_id": "progress_action",
        "block_id": "action",
        "value": "tool",
        "view": {"id": "V1", "private_metadata": json.dumps({"board": "TSCB"})},
    }
    response = mini_app.dispatch(interaction_request(payload))
    options = json.loads(response.body)["options"]
    assert [o["value"] for o in options] == ["TSCB|1.1a"]



def test_modal_errors_show_on_the_field_and_save_nothing(
    mini_app: App, mini: Engine, people: None
) -> None:
    payload = submission(
        MEG,
        {
            "action": "TSCB|1.1a",
            "new_due": {"type": "datepicker", "selected_date": "2021-06-30"},
            "note": {"type": "plain_text_input", "value": "DOB 1/2/2015"},
        },
    )
    response = mini_app.dispatch(interaction_request(payload))
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"reason", "note"}
    assert "1/2/2015" not in response.body
    assert updates(mini) == []


def test_modal_submission_records_once_even_if_retried(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, people: None
) -> None:
    payload = submission(
        MEG,
        {
            "action": "TSCB|1.1a",
            "rag": {"type": "static_select", "selected_option": {"value": "amber"}},
            "percent": {"type": "number_input", "value": "40"},
            "note": {"type": "plain_text_input", "value": "pilot running"},
            "new_due": {"type": "datepicker", "selected_date": "2021-06-30"},
            "reason": {"type": "plain_text_input", "value": "waiting on partner sign-off"},
        },
    )
    for _ in range(2):
        assert mini_app.dispatch(interaction_request(json.loads(json.dumps(payload)))).status == 200
    fake_slack.wait_for("chat.postMessage", n=2)
    [update] = updates(mini)
    assert (update.rag, update.percent, str(update.new_due)) == ("amber", 40, "2021-06-30")
    reply, _ = respond(mini, user_id=MEG, text="status of toolkit", board_name="TSCB")
    assert reply.actions[0].due.isoformat() == "2021-06-30"


def test_app_home_lists_my_actions_with_update_buttons(
    mini_app: App, fake_slack: FakeSlack, people: None
) -> None:
    mini_app.dispatch(
        event_request(
            {"type": "app_home_opened", "user": MEG, "tab": "home", "channel": "D0MEG0001"}
        )
    )
    [published] = fake_slack.wait_for("views.publish")
    blocks = published.args["view"]["blocks"]
    assert len(blocks) <= 100
    sections = [b for b in blocks if b["type"] == "section" and b.get("accessory")]
    assert [b["accessory"]["value"] for b in sections] == ["TSCB|1.1a"]


def test_app_home_for_someone_without_a_role_says_how(mini_app: App, fake_slack: FakeSlack) -> None:
    mini_app.dispatch(
        event_request(
            {"type": "app_home_opened", "user": "U0NEW0001", "tab": "home", "channel": "D1"}
        )
    )
    [published] = fake_slack.wait_for("views.publish")
    assert "/lscb iam" in json.dumps(published.args["view"])


def test_history_shows_the_timeline(mini: Engine, people: None) -> None:
    respond(mini, user_id=MEG, text="/progress 1.1a red stalled", board_name="TSCB")
    respond(mini, user_id=MEG, text="/progress 1.1a green moving again", board_name="TSCB")
    reply, _ = respond(mini, user_id=MEG, text="/progress history 1.1a", board_name="TSCB")
    text = json.dumps(reply.blocks_json())
    assert text.index("stalled") < text.index("moving again")


def test_say_progress_then_status(mini: Engine, people: None) -> None:
    respond(mini, user_id=MEG, text="/progress toolkit at risk partner delay", board_name="TSCB")
    reply, _ = respond(mini, user_id=MEG, text="status of the toolkit", board_name="TSCB")
    assert reply.actions[0].status == "amber"
    assert "&gt; partner delay" not in str(reply.blocks_json())
    assert "\n> partner delay" in reply.blocks_json()[1]["text"]["text"]


def test_slack_api_failure_on_modal_open_is_logged(
    mini_app: App, fake_slack: FakeSlack, people: None, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_methods["views.open"] = "expired_trigger_id"
    with caplog.at_level(logging.ERROR):
        mini_app.dispatch(
            command_request("/progress", "", user_id=MEG, response_url=fake_slack.response_url())
        )
        fake_slack.wait_for("views.open")
        fake_slack.wait_until(lambda: "unhandled error" in caplog.text)
    assert "expired_trigger_id" in caplog.text


def test_retargeting_more_than_twice_is_flagged_and_audited(mini: Engine, people: None) -> None:
    for month in (4, 5, 6):
        payload = submission(
            MEG,
            {
                "action": "TSCB|1.1a",
                "new_due": {"type": "datepicker", "selected_date": f"2021-{month:02d}-30"},
                "reason": {"type": "plain_text_input", "value": f"partner delay {month}"},
            },
            view_id=f"V{month}",
        )
        errors, outcome = submit_form(
            mini, Settings.from_env({}), user_id=MEG, view=payload["view"], now=now_utc()
        )
        assert errors == {} and outcome is not None and outcome.recorded
    reply, _ = respond(mini, user_id=MEG, text="status of toolkit", board_name="TSCB")
    assert "re-targeted 3 times" in json.dumps(reply.blocks_json())
    with Session(mini) as s:
        audits = s.exec(select(AuditEvent).where(AuditEvent.event == "action.progress")).all()
    assert [a.after["retarget_reason"] for a in audits] == [
        "partner delay 4",
        "partner delay 5",
        "partner delay 6",
    ]
    assert audits[-1].before["due"] == "2021-05-30" and audits[-1].after["due"] == "2021-06-30"


def test_updates_are_posted_to_a_subgroup_channel_that_asked_escaped(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, people: None
) -> None:
    refused = "Only a board admin or the chair of *MEG*"
    assert lscb(mini, LEAD, "channel MEG", "C0MEG0001").startswith(refused)
    assert lscb(mini, MEG, "channel MEG", "C0MEG0001").startswith(refused)  # member, not chair
    assert lscb(mini, MEG, "chair <@U0MEG0001> MEG").startswith("Only a board admin")
    assert lscb(mini, ADMIN_ID, "chair <@U0MEG0001|meg> MEG").startswith(f"<@{MEG}> now chairs")
    assert lscb(mini, MEG, "channel MEG", "C0MEG0001").startswith("This channel is now *MEG*'s")
    assert "isn't linked" in lscb(mini, MEG, "updates on", "C0OTHER01")
    assert lscb(mini, MEG, "updates on", "C0MEG0001").startswith("Progress updates on *MEG*")
    assert "MEG: <#C0MEG0001> (posts progress updates)" in lscb(mini, MEG, "channels", "C0MEG0001")
    fake_slack.channel_errors["C0BROKEN1"] = "channel_not_found"

    progress(mini_app, fake_slack, MEG, "1.1a green <!channel> toolkit live")
    [post] = fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0MEG0001"
    assert "<!channel>" not in post.args["text"] and "&lt;!channel&gt;" in post.args["text"]
    assert post.args["text"].startswith(f"<@{MEG}> updated *1.1a* Toolkit")


def test_linking_the_board_channel_needs_an_admin(mini: Engine, people: None) -> None:
    assert lscb(mini, MEG, "channel board", "C0EXEC001").startswith("Only a board admin")
    assert "board-level channel" in lscb(mini, ADMIN_ID, "channel board", "C0EXEC001")
    assert "Board level: <#C0EXEC001>" in lscb(mini, MEG, "channels", None)
    assert lscb(mini, ADMIN_ID, "channel MEG", None) == (
        "Run this in the channel you want to link (not in a DM or the console)."
    )
    assert "isn't one of" in lscb(mini, ADMIN_ID, "channel Narnia Group", "C0X000001")


# -- permissions on every surface (issue 9) ----------------------------------------------------

CLAIMANT = "U0CLAIM01"  # claimed MEG with /lscb iam; nobody has approved it


def test_a_claimed_role_updates_nothing_until_approved_on_any_surface(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    respond(mini, user_id=CLAIMANT, text="/lscb iam MEG", board_name="TSCB")
    quick = progress(mini_app, fake_slack, CLAIMANT, "1.1a green done it")
    assert quick["text"].startswith("You can't update *1.1a*")
    payload = submission(CLAIMANT, {"action": "TSCB|1.1a", "note": {"value": "all done"}})
    body = json.loads(mini_app.dispatch(interaction_request(payload)).body)
    assert body["response_action"] == "errors" and "can't update" in body["errors"]["note"]
    button = {
        "type": "block_actions",
        "user": {"id": CLAIMANT},
        "team": {"id": "T0TEAM001"},
        "trigger_id": "123.456",
        "container": {"type": "message", "message_ts": "1700000000.000900", "is_ephemeral": True},
        "response_url": fake_slack.response_url("pick"),
        "actions": [
            {
                "type": "button",
                "action_id": "progress_pick_0",
                "value": json.dumps({"board": "TSCB", "ref": "1.1a", "change": {"rag": "green"}}),
                "block_id": "b",
                "action_ts": "1700000001.0",
            }
        ],
    }
    mini_app.dispatch(interaction_request(button))
    assert fake_slack.wait_for("pick")[0].args["text"].startswith("You can't update *1.1a*")
    assert updates(mini) == []

    assert "is now *MEG*" in lscb(mini, ADMIN_ID, f"assign <@{CLAIMANT}> MEG")
    assert progress(mini_app, fake_slack, CLAIMANT, "1.1a green done it", n=2)["text"].startswith(
        "Recorded"
    )


def test_app_home_lists_a_claimed_role_without_update_buttons(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    respond(mini, user_id=CLAIMANT, text="/lscb iam MEG", board_name="TSCB")
    mini_app.dispatch(
        event_request({"type": "app_home_opened", "user": CLAIMANT, "tab": "home", "channel": "D2"})
    )
    [published] = fake_slack.wait_for("views.publish")
    view = json.dumps(published.args["view"])
    assert "Waiting for confirmation of *MEG*" in view
    assert "Toolkit" in view and "progress_open" not in view


def test_a_modal_for_one_board_cannot_update_another_boards_action(
    mini_app: App, mini: Engine, people: None
) -> None:
    payload = submission(MEG, {"action": "DSCB|1.1a", "note": {"value": "moving"}})
    body = json.loads(mini_app.dispatch(interaction_request(payload)).body)
    assert body["errors"] == {
        "action": "That action isn't on this form's board: choose one from the list."
    }
    payload = submission(
        MEG,
        {
            "action": "TSCB|1.1a",
            "rag": {"type": "static_select", "selected_option": {"value": "complete"}},
            "percent": {"type": "number_input", "value": "250"},
        },
    )
    body = json.loads(mini_app.dispatch(interaction_request(payload)).body)
    assert set(body["errors"]) == {"rag", "percent"}
    assert updates(mini) == []


# -- issue 13: a first week's updates ----------------------------------------------------------


def test_a_ref_alone_records_nothing_and_says_what_to_type(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, people: None
) -> None:
    reply = progress(mini_app, fake_slack, MEG, "1.1a")
    assert "Nothing to record for *1.1a*" in reply["text"]
    assert "`/progress 1.1a amber <note>`" in reply["text"]
    assert updates(mini) == []  # no empty update resets the "no update for 28 days" clock


def test_the_reply_lists_the_action_as_it_is_after_the_update(mini: Engine, people: None) -> None:
    reply, ctx = respond(
        mini, user_id=MEG, text="/progress 1.1a red supplier gone", board_name="TSCB"
    )
    [record] = reply.to_json(ctx.today)["actions"]  # what `say --json` prints
    assert record["ref"] == "1.1a" and record["status"] == "red" and record["last_update"]
    reply, ctx = respond(mini, user_id=MEG, text="/progress 1.1a done", board_name="TSCB")
    [record] = reply.to_json(ctx.today)["actions"]
    assert record["status"] == "complete" and record["completed"] == ctx.today.isoformat()


def test_modal_errors_fit_under_the_field_without_cutting_a_word(
    mini_app: App, mini: Engine, people: None
) -> None:
    note = "NHS 943 476 5919, lives at 12 Acacia Avenue WR5 2NP, DOB 1/2/2015, Jayden (7) at school"
    payload = submission(MEG, {"action": "TSCB|1.1a", "note": {"value": note}})
    body = json.loads(mini_app.dispatch(interaction_request(payload)).body)
    error = body["errors"]["note"]
    assert len(error) <= 150 and error.startswith("Not saved") and not error.endswith("…")
    assert "943" not in error and "Jayden" not in error
    # A refusal from the write itself (here: not theirs to update) is plain text.
    payload = submission(LEAD, {"action": "TSCB|1.1a", "note": {"value": "moving"}})
    body = json.loads(mini_app.dispatch(interaction_request(payload)).body)
    error = body["errors"]["note"]
    assert len(error) <= 150 and "*" not in error and error.startswith("You can't update 1.1a")


def test_field_errors_are_clipped_at_a_word() -> None:
    long = "Please take " + "out anything that could identify a child " * 6
    clipped = field_error(long)
    assert len(clipped) <= 150 and clipped.endswith("…")
    assert clipped[:-1].split()[-1] in long.split()  # the last word is whole
