"""Taking an update back: the Undo button and `/progress undo` for a few minutes, an admin's
`/progress correct`, and the same update sent twice: history kept, state restored."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import now_utc
from bot.conversation import respond
from store.models import ActionState, AuditEvent, ProgressUpdate, ProgressWithdrawal
from tests.conftest import ADMIN_ID, interaction_request
from tests.fake_slack import FakeSlack
from tests.handlers.test_progress import LEAD, MEG, people, progress, updates  # noqa: F401


def status_of(engine: Engine, ref: str = "1.1a") -> tuple[str, str | None]:
    reply, ctx = respond(engine, user_id=MEG, text=f"status of {ref}", board_name="TSCB")
    record = next(a for a in reply.to_json(ctx.today)["actions"] if a["ref"] == ref)
    return record["status"], record["last_update"]


def click(app: App, fake: FakeSlack, user: str, button: dict[str, Any], name: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T0TEAM001"},
        "trigger_id": "123.456",
        "container": {"type": "message", "message_ts": "1700000000.000500", "is_ephemeral": True},
        "response_url": fake.response_url(name),
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
    app.dispatch(interaction_request(payload))
    return str(fake.wait_for(name)[0].args["text"])


def undo_button(reply: dict[str, Any]) -> dict[str, Any]:
    return next(
        e
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "progress_undo"
    )


def test_undo_button_restores_the_state_and_keeps_the_history(
    mini_app: App,
    fake_slack: FakeSlack,
    mini: Engine,
    people: None,  # noqa: F811
) -> None:
    respond(mini, user_id=MEG, text="/progress 1.1a red supplier pulled out", board_name="TSCB")
    before = status_of(mini)
    reply = progress(mini_app, fake_slack, MEG, "1.1a green all sorted", n=2)
    assert status_of(mini)[0] == "green"
    button = undo_button(reply)
    assert "Undo" in json.dumps(reply["blocks"]) and "`/progress undo`" in json.dumps(
        reply["blocks"]
    )

    text = click(mini_app, fake_slack, MEG, button, "undo1")
    assert text.startswith("Undone: your update on *1.1a*")
    assert "status red → green" in text and "back to red" in text
    assert status_of(mini) == before  # status and the stale clock as they were
    assert [u.note for u in updates(mini)] == ["supplier pulled out", "all sorted"]  # kept

    again = click(mini_app, fake_slack, MEG, button, "undo2")  # a second click
    assert "already taken back" in again
    with Session(mini) as s:
        assert len(s.exec(select(ProgressWithdrawal)).all()) == 1
        audit = s.exec(select(AuditEvent).where(AuditEvent.event == "action.progress.undo")).one()
    assert audit.actor == MEG and (audit.before["status"], audit.after["status"]) == (
        "green",
        "red",
    )
    history, _ = respond(mini, user_id=MEG, text="/progress history 1.1a", board_name="TSCB")
    text = json.dumps(history.blocks_json())
    assert "all sorted" in text and "undone by <@U0MEG0001>" in text


def test_progress_undo_is_for_your_own_update_and_only_for_a_while(
    mini: Engine,
    people: None,  # noqa: F811
) -> None:
    now = now_utc()
    respond(mini, user_id=MEG, text="/progress 1.1a amber partner delay", board_name="TSCB")
    other, _ = respond(mini, user_id=LEAD, text="/progress undo", board_name="TSCB")
    assert other.text == "You have no update on *Testshire SCB* to undo."
    with Session(mini) as s:  # the update is now a quarter of an hour old
        update = s.exec(select(ProgressUpdate)).one()
        update.created_at = now - timedelta(minutes=15)
        s.add(update)
        s.commit()
    late, _ = respond(mini, user_id=MEG, text="/progress undo", board_name="TSCB")
    assert "more than 10 minutes old" in late.text and "/progress correct 1.1a" in late.text
    assert status_of(mini)[0] == "amber"


def test_the_same_update_twice_in_a_minute_is_recorded_once(
    mini: Engine,
    people: None,  # noqa: F811
) -> None:
    first, _ = respond(
        mini,
        user_id=MEG,
        text="/progress 1.1a amber toolkit drafted",
        board_name="TSCB",
        request_key="cmd:1",
    )
    second, _ = respond(
        mini,
        user_id=MEG,
        text="/progress 1.1a amber toolkit drafted",
        board_name="TSCB",
        request_key="cmd:2",  # another trigger: not a retry Slack would dedupe
    )
    assert first.text.startswith("Recorded") and second.text.startswith(
        "That looks like the update you just sent for *1.1a*"
    )
    assert "What you wrote" not in second.text
    assert len(updates(mini)) == 1
    third, _ = respond(
        mini, user_id=MEG, text="/progress 1.1a amber now signed off", board_name="TSCB"
    )
    assert third.text.startswith("Recorded") and len(updates(mini)) == 2


def test_an_admin_corrects_an_update_keeping_the_history(
    mini: Engine,
    people: None,  # noqa: F811
) -> None:
    admins = frozenset({ADMIN_ID})
    respond(mini, user_id=MEG, text="/progress 1.1a red stalled", board_name="TSCB")
    respond(mini, user_id=MEG, text="/progress 1.1a green wrong action", board_name="TSCB")
    refused, _ = respond(mini, user_id=MEG, text="/progress correct 1.1a amber", board_name="TSCB")
    assert refused.text.startswith("Only a board admin can correct")
    reply, _ = respond(
        mini,
        user_id=ADMIN_ID,
        text="/progress correct 1.1a amber partner delay",
        board_name="TSCB",
        admin_ids=admins,
    )
    assert reply.text.startswith("Corrected *1.1a* Toolkit")
    assert "status red → amber" in reply.text and "*1.1a* is now amber" in reply.text
    assert status_of(mini)[0] == "amber"
    assert [u.note for u in updates(mini)] == ["stalled", "wrong action", "partner delay"]
    with Session(mini) as s:
        [withdrawn] = s.exec(select(ProgressWithdrawal)).all()
    assert withdrawn.kind == "correction" and withdrawn.replaced_by_id == updates(mini)[-1].id
    guarded, _ = respond(
        mini,
        user_id=ADMIN_ID,
        text="/progress correct 1.1a red NHS 943 476 5919",
        board_name="TSCB",
        admin_ids=admins,
    )
    assert "NHS number" in guarded.text and status_of(mini)[0] == "amber"  # nothing withdrawn
    with Session(mini) as s:
        assert len(s.exec(select(ProgressWithdrawal)).all()) == 1
    bare, _ = respond(
        mini, user_id=ADMIN_ID, text="/progress correct", board_name="TSCB", admin_ids=admins
    )
    assert bare.text.startswith("Usage (board admins)")


def test_a_rebuilt_state_leaves_taken_back_updates_out(mini: Engine, people: None) -> None:  # noqa: F811
    from store.state import rebuild

    respond(mini, user_id=MEG, text="/progress 1.1a red stalled", board_name="TSCB")
    respond(mini, user_id=MEG, text="/progress 1.1a green sent by mistake", board_name="TSCB")
    respond(mini, user_id=MEG, text="/progress undo", board_name="TSCB")

    def stored() -> tuple[str | None, str | None]:
        with Session(mini) as s:
            [state] = s.exec(select(ActionState)).all()
            return state.rag, state.last_note

    assert stored() == ("red", "stalled")  # folded again at the undo
    with mini.begin() as conn:
        rebuild(conn)  # the repair folds every history again, and leaves the undone one out
    assert stored() == ("red", "stalled")
