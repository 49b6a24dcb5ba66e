"""Failures after Slack's acknowledgement: the person is told, nothing is half-written, what they
typed is handed back (unless the guard would refuse it), and the log line carries no text."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine, func
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from bot.app import create_app
from bot.settings import Settings
from store.db import make_engine
from store.models import Action, AuditEvent, Person, ProgressUpdate
from tests.conftest import (
    ADMIN_ID,
    BOT_TOKEN,
    SIGNING_SECRET,
    SUBPROCESS_URLS,
    event_request,
    interaction_request,
    submission,
)
from tests.fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack
from tests.faults import failing, slash, write_locked

SORRY_START = "Sorry, something went wrong on my side and nothing was saved."


def stored(engine: Engine) -> tuple[int, int]:
    """How many progress updates and progress audit rows there are."""
    with Session(engine) as s:
        updates = s.exec(select(func.count()).select_from(ProgressUpdate)).one()
        audits = s.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event == "action.progress")
        ).one()
    return updates, audits


def progress(app: App, fake: FakeSlack, text: str, name: str, user: str = ADMIN_ID) -> str:
    """What `user` is told after `/progress TEXT`."""
    app.dispatch(slash("/progress", text, user_id=user, response_url=fake.response_url(name)))
    [reply] = fake.wait_for(name)
    assert reply.args["response_type"] == "ephemeral"
    return str(reply.args["text"])


def wait_for_log(fake: FakeSlack, caplog: pytest.LogCaptureFixture, text: str) -> None:
    fake.wait_until(lambda: text in caplog.text)


def test_audit_insert_failing_after_the_update_insert_leaves_nothing_and_says_so(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    note = "pilot running in two localities"
    with caplog.at_level(logging.INFO), failing(mini, "INSERT INTO auditevent") as refused:
        reply = progress(mini_app, fake_slack, f"1.1a amber {note}", "p1")
        wait_for_log(fake_slack, caplog, "unhandled error")
    assert refused, "the update's insert ran and the audit insert was the one refused"
    assert reply.startswith(SORRY_START)
    assert reply.endswith(f"\n> /progress 1.1a amber {note}")  # handed back to copy
    assert stored(mini) == (0, 0)  # the update went with its audit row
    assert "injected failure: disk I/O error" in caplog.text  # what went wrong, for admins
    assert note not in caplog.text
    # Once the database is well again the same text goes through.
    assert progress(mini_app, fake_slack, f"1.1a amber {note}", "p2").startswith("Recorded")
    assert stored(mini) == (1, 1)


@pytest.fixture
def impatient_app(fake_slack: FakeSlack, mini: Engine) -> App:
    """The app on the same database, giving up after 0.2 s on a lock (not 30 s)."""
    engine = make_engine(SUBPROCESS_URLS[mini], connect_args={"timeout": 0.2})
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "DEFAULT_BOARD": "TSCB",
            "ADMIN_USER_IDS": ADMIN_ID,
        }
    )
    return create_app(settings, engine)


def test_a_locked_database_is_reported_and_the_note_handed_back(
    impatient_app: App,
    fake_slack: FakeSlack,
    mini: Engine,
    backend: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if backend != "sqlite":
        pytest.skip("'database is locked' is SQLite's; PostgreSQL's failures are tested below")
    note = "multi-agency audit of 12 cases completed"
    with caplog.at_level(logging.INFO), write_locked(mini):
        reply = progress(impatient_app, fake_slack, f"1.1a green {note}", "p1")
        wait_for_log(fake_slack, caplog, "unhandled error")
    assert reply.startswith(SORRY_START)
    assert f"> /progress 1.1a green {note}" in reply
    assert stored(mini) == (0, 0)
    with Session(mini) as s:
        assert s.exec(select(Person).where(Person.slack_user_id == ADMIN_ID)).first() is None
    assert "database is locked" in caplog.text and note not in caplog.text
    assert progress(impatient_app, fake_slack, f"1.1a green {note}", "p2").startswith("Recorded")


def test_a_failure_on_text_the_guard_refuses_does_not_echo_it(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    # The failure comes before the guard would have run: creating a person the bot hasn't seen.
    text = "1.1a red Amy Smith DOB 01/02/2015"
    with failing(mini, "INSERT INTO person"):
        reply = progress(mini_app, fake_slack, text, "p1", user="U0NEW0001")
    assert reply.startswith(SORRY_START)
    assert "haven't repeated" in reply
    assert "Amy" not in reply and "01/02/2015" not in reply


def modal(values: dict[str, Any], view_id: str) -> dict[str, Any]:
    return submission(ADMIN_ID, {"action": "TSCB|1.1a", **values}, view_id)


def test_a_failed_modal_keeps_the_form_open_and_hands_the_text_back_by_dm(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    payload = modal(
        {
            "note": {"type": "plain_text_input", "value": "training dates <!channel> agreed"},
            "new_due": {"type": "datepicker", "selected_date": "2021-09-30"},
            "reason": {"type": "plain_text_input", "value": "venue lost"},
        },
        "V1",
    )
    with failing(mini, "INSERT INTO progressupdate"):
        response = mini_app.dispatch(interaction_request(payload))
        [dm] = fake_slack.wait_for("chat.postMessage")
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    assert body["errors"]["note"].startswith("Nothing was saved")
    assert dm.args["channel"] == ADMIN_ID
    assert dm.args["text"].startswith(SORRY_START)
    assert dm.args["text"].endswith("> training dates &lt;!channel&gt; agreed\n> venue lost")
    assert stored(mini) == (0, 0)


def test_a_failed_candidate_click_is_reported_with_the_note(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    offer = progress(mini_app, fake_slack, "1.1 amber both moving", "offer")
    assert offer.startswith("Several actions match")
    [call] = fake_slack.calls_to("offer")
    button = call.args["blocks"][-1]["elements"][0]
    click = {
        "type": "block_actions",
        "user": {"id": ADMIN_ID},
        "team": {"id": TEAM_ID},
        "trigger_id": "123.456",
        "container": {"type": "message", "message_ts": "1700000000.000300"},
        "response_url": fake_slack.response_url("pick"),
        "actions": [
            {"type": "button", "action_id": button["action_id"], "value": button["value"]}
        ],
    }
    with failing(mini, "INSERT INTO progressupdate"):
        mini_app.dispatch(interaction_request(click))
        [reply] = fake_slack.wait_for("pick")
    assert reply.args["text"].startswith(SORRY_START)
    assert reply.args["text"].endswith("\n> both moving")
    assert reply.args["replace_original"] is False  # the buttons stay, to try again
    assert stored(mini) == (0, 0)


def test_a_failed_question_in_a_dm_is_answered_in_the_dm(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    dm = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0ALICE01",
        "user": "U0ALICE01",
        "text": "what is overdue",
        "ts": "1700000000.000100",
    }
    with failing(mini, "SELECT"):
        mini_app.dispatch(event_request(dm))
        [post] = fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "U0ALICE01"
    assert post.args["text"] == (
        "Sorry, something went wrong on my side and nothing was saved. The board's admins can "
        "see what happened in the log; please try again in a minute."
    )


def test_a_failed_mention_is_answered_privately_in_its_thread(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    mention = {
        "type": "app_mention",
        "channel": "C0MEG0001",
        "user": "U0ALICE01",
        "text": f"<@{BOT_USER_ID}> what is overdue",
        "ts": "1700000000.000200",
    }
    with failing(mini, "SELECT"):
        mini_app.dispatch(event_request(mention))
        [post] = fake_slack.wait_for("chat.postEphemeral")
    assert (post.args["channel"], post.args["user"]) == ("C0MEG0001", "U0ALICE01")
    assert post.args["thread_ts"] == "1700000000.000200"
    assert post.args["text"].startswith(SORRY_START)
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_failed_app_home_is_reported_by_dm(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    home = {"type": "app_home_opened", "user": "U0ALICE01", "tab": "home", "channel": "D0ALICE01"}
    with failing(mini, "SELECT"):
        mini_app.dispatch(event_request(home))
        [post] = fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "U0ALICE01" and post.args["text"].startswith(SORRY_START)


def test_lscb_failure_hands_back_the_command(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    url = fake_slack.response_url("r1")
    request = slash("/lscb", "away until 3 March", user_id="U0NEW0002", response_url=url)
    with failing(mini, "INSERT INTO person"):
        mini_app.dispatch(request)
        [reply] = fake_slack.wait_for("r1")
    assert reply.args["text"].startswith(SORRY_START)
    assert reply.args["text"].endswith("\n> /lscb away until 3 March")


def test_slack_refusing_the_form_is_explained(
    mini_app: App, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_methods["views.open"] = "expired_trigger_id"
    with caplog.at_level(logging.ERROR):
        progress_url = fake_slack.response_url("r1")
        mini_app.dispatch(slash("/progress", "", user_id=ADMIN_ID, response_url=progress_url))
        [reply] = fake_slack.wait_for("r1")
    assert "Slack gave me an error (`expired_trigger_id`)" in reply.args["text"]
    assert "to copy" not in reply.args["text"]  # nothing was typed, so nothing to hand back
    assert "expired_trigger_id" in caplog.text


def test_an_over_long_quick_note_is_refused_and_handed_back(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    note = "the pathway was reviewed with partners. " * 40
    reply = progress(mini_app, fake_slack, f"1.1a amber {note}", "p1")
    assert reply.startswith(f"That note is {len(note.strip())} characters; a quick update takes")
    assert reply.endswith("> " + note.strip())
    assert stored(mini) == (0, 0)


def test_an_unknown_status_hands_back_everything_typed(
    mini_app: App, fake_slack: FakeSlack
) -> None:
    reply = progress(mini_app, fake_slack, "1.1a yellow nearly\nthere", "p1")
    assert "isn't a status I know" in reply
    assert reply.endswith("\n> 1.1a yellow nearly\n> there")


def test_sql_parameters_never_reach_an_error_message(mini: Engine) -> None:
    """A failed insert's exception (which ends up in tracebacks) does not quote the note."""
    note = "canary note that must stay out of errors"
    with Session(mini) as s:
        action = s.exec(select(Action).where(Action.ref == "1.1a")).one()
        s.add(ProgressUpdate(action_id=action.id, author_slack_user_id="U1", note=note))
        with failing(mini, "INSERT INTO progressupdate"), pytest.raises(DBAPIError) as caught:
            s.commit()
    assert "injected failure" in str(caught.value)
    assert note not in str(caught.value) and note not in repr(caught.value)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"percent": {"type": "number_input", "value": "99999999999999999999"}}, "percent"),
        ({"note": {"type": "plain_text_input", "value": "progress made. " * 300}}, "note"),
        (
            {
                "new_due": {"type": "datepicker", "selected_date": "99999-01-01"},
                "reason": {"type": "plain_text_input", "value": "venue lost"},
            },
            "new_due",
        ),
        ({"completed_on": {"type": "datepicker", "selected_date": "10000-01-01"}}, "completed_on"),
    ],
)
def test_out_of_range_form_values_are_field_errors_not_failures(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, values: dict[str, Any], field: str
) -> None:
    body = json.loads(mini_app.dispatch(interaction_request(modal(values, "V9"))).body)
    assert body["response_action"] == "errors"  # the form stays open with what was typed
    assert list(body["errors"]) == [field] and body["errors"][field]
    assert stored(mini) == (0, 0)
    assert fake_slack.calls_to("chat.postMessage") == []  # a clear field message, not a failure
