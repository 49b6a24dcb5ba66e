"""Setup commands as a newcomer types them: sub-groups by part of their name (buttons when it
could be several), the bot checks it can post in a channel before linking it, and a mistyped
command word is never searched for in the plan."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import create_app
from bot.conversation import SUBCOMMANDS, respond
from bot.settings import Settings
from store.models import Board, PersonSubgroup, Subgroup
from tests.conftest import (
    ADMIN_ID,
    BOT_TOKEN,
    SIGNING_SECRET,
    command_request,
    interaction_request,
)
from tests.fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack

CHAIR = "U0CHAIR01"


def say(engine: Engine, text: str, board: str, channel: str | None = "C0LINK001") -> Any:
    """The reply to `text` from the admin, as the console and `say` get it (no Slack)."""
    reply, _ = respond(
        engine,
        user_id=ADMIN_ID,
        text=text,
        board_name=board,
        channel_id=channel,
        admin_ids=frozenset({ADMIN_ID}),
    )
    return reply


def channel_of(engine: Engine, board: str, name: str) -> str | None:
    """The channel linked to the board's sub-group `name`."""
    with Session(engine) as s:
        return s.exec(
            select(Subgroup.slack_channel_id)
            .join(Board, col(Board.id) == col(Subgroup.board_id))
            .where(Subgroup.name == name, Board.code == board)
        ).one()


@pytest.fixture
def board_app(fake_slack: FakeSlack, seeded: Engine) -> App:
    """The Bolt app on the five seed plans, with ADMIN_ID as admin."""
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "DEFAULT_BOARD": "WDSCB",
            "ADMIN_USER_IDS": ADMIN_ID,
        }
    )
    return create_app(settings, seeded)


def slash(app: App, fake: FakeSlack, text: str, name: str, channel: str = "C0LINK001") -> dict:
    app.dispatch(
        command_request(
            "/lscb",
            text,
            user_id=ADMIN_ID,
            response_url=fake.response_url(name),
            channel_id=channel,
        )
    )
    return fake.wait_for(name)[0].args


def press(app: App, fake: FakeSlack, button: dict[str, Any], name: str, channel: str) -> dict:
    payload = {
        "type": "block_actions",
        "user": {"id": ADMIN_ID},
        "team": {"id": TEAM_ID},
        "trigger_id": "123.456",
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": "1700000000.000100"},
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
    return fake.wait_for(name)[0].args


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["text"]["text"]: e
        for block in message.get("blocks") or []
        for e in block.get("elements", [])
        if e.get("type") == "button"
    }


# -- sub-groups by part of their name ----------------------------------------------------------


def test_a_partial_name_that_fits_one_sub_group_links_it(seeded: Engine) -> None:
    reply = say(seeded, "/lscb channel training", "WDSCB")
    assert reply.text.startswith("This channel is now *Training Sub-Committee*'s channel")
    assert channel_of(seeded, "WDSCB", "Training Sub-Committee") == "C0LINK001"
    # The console has no Slack: it links, and says it could not check the bot is in there.
    assert "I couldn't check that I'm in the channel: there is no Slack here" in reply.text


@pytest.mark.parametrize(
    ("board", "typed", "meant"),
    [
        ("WDSCB", "Quality and Review", "Quality and Review Sub-Committee"),
        ("WDSCB", "trainng", "Training Sub-Committee"),  # a slip in one word
        ("HSCB", "training", "Training and Workforce Development"),
        ("SSCB", "cse", "CSE sub group"),
        ("DSCB", "quality", "Quality Assurance sub"),
    ],
)
def test_partial_and_misspelt_names_resolve(
    seeded: Engine, board: str, typed: str, meant: str
) -> None:
    assert f"*{meant}*" in say(seeded, f"/lscb channel {typed}", board).text
    assert channel_of(seeded, board, meant) == "C0LINK001"


def test_a_name_that_fits_none_lists_the_sub_groups(seeded: Engine) -> None:
    reply = say(seeded, "/lscb channel Narnia Group", "WDSCB")
    assert reply.text.startswith("“Narnia Group” isn't one of Wakefield &amp; District SCB's")
    assert "Training Sub-Committee" in reply.text and not reply.blocks


def test_an_ambiguous_name_offers_buttons_that_finish_the_link(
    board_app: App, fake_slack: FakeSlack, seeded: Engine
) -> None:
    slash(board_app, fake_slack, "board DSCB", "b")
    asked = slash(board_app, fake_slack, "channel comms", "q", channel="C0COMMS01")
    assert asked["text"] == "“comms” could be more than one of Dudley SCB's sub-groups. Which one?"
    choices = buttons(asked)
    assert set(choices) == {"Communication strat", "Communication sub"}
    assert channel_of(seeded, "DSCB", "Communication sub") is None  # nothing linked yet
    done = press(board_app, fake_slack, choices["Communication sub"], "pick", "C0COMMS01")
    assert done["replace_original"] is True
    assert done["text"].startswith("This channel is now *Communication sub*'s channel on Dudley")
    assert channel_of(seeded, "DSCB", "Communication sub") == "C0COMMS01"
    assert channel_of(seeded, "DSCB", "Communication strat") is None


def test_chair_with_part_of_a_name_asks_which_one_or_names_them(
    board_app: App, fake_slack: FakeSlack, seeded: Engine
) -> None:
    reply = say(seeded, f"/lscb chair <@{CHAIR}> Quality and Review", "WDSCB")
    assert reply.text == f"<@{CHAIR}> now chairs *Quality and Review Sub-Committee*: " + (
        "they can link its channel and set its updates."
    )
    slash(board_app, fake_slack, "board DSCB", "b")
    asked = slash(board_app, fake_slack, f"chair <@{CHAIR}> sub", "q")
    assert asked["text"].startswith("“sub” could be more than one of Dudley SCB's sub-groups.")
    choices = buttons(asked)
    assert "MASH sub" in choices and len(choices) <= 5
    done = press(board_app, fake_slack, choices["MASH sub"], "pick", "C0GENERAL")
    assert done["text"] == f"<@{CHAIR}> is on another board. " + (
        "An admin of both can move them first with `/lscb board DSCB <@" + CHAIR + ">`."
    )
    with Session(seeded) as s:
        chaired = s.exec(select(PersonSubgroup).where(PersonSubgroup.is_chair)).all()
    assert len(chaired) == 1  # the Wakefield chair only: the button re-ran every check


def test_chair_without_a_sub_group_gets_the_usage(seeded: Engine) -> None:
    assert say(seeded, f"/lscb chair <@{CHAIR}>", "WDSCB").text.startswith("Usage: `/lscb chair")


# -- the bot must be in the channel it links ---------------------------------------------------


def test_linking_a_public_channel_the_bot_is_not_in_joins_it(
    board_app: App, fake_slack: FakeSlack, seeded: Engine
) -> None:
    fake_slack.outside["C0PUBLIC1"] = False
    told = slash(board_app, fake_slack, "channel training", "l", channel="C0PUBLIC1")
    assert told["text"].startswith("This channel is now *Training Sub-Committee*'s channel")
    assert "I've joined the channel" in told["text"]
    [join] = fake_slack.calls_to("conversations.join")
    assert join.args["channel"] == "C0PUBLIC1"
    assert channel_of(seeded, "WDSCB", "Training Sub-Committee") == "C0PUBLIC1"


def test_a_private_channel_is_not_linked_until_the_bot_is_invited(
    board_app: App, fake_slack: FakeSlack, seeded: Engine
) -> None:
    fake_slack.outside["G0PRIVATE"] = True
    told = slash(board_app, fake_slack, "channel training", "l", channel="G0PRIVATE")
    assert told["text"].startswith("I'm not in this channel, so I couldn't post its digests")
    assert f"`/invite <@{BOT_USER_ID}>`" in told["text"]
    assert "`/lscb channel Training Sub-Committee` again" in told["text"]
    assert channel_of(seeded, "WDSCB", "Training Sub-Committee") is None
    # Invited (the bot is a member now): the same command links it, with no note.
    fake_slack.outside.clear()
    told = slash(board_app, fake_slack, "channel training", "l2", channel="G0PRIVATE")
    assert told["text"] == "This channel is now *Training Sub-Committee*'s channel on " + (
        "Wakefield &amp; District SCB."
    )
    assert channel_of(seeded, "WDSCB", "Training Sub-Committee") == "G0PRIVATE"


def test_a_failed_membership_check_links_and_warns(
    board_app: App, fake_slack: FakeSlack, seeded: Engine
) -> None:
    fake_slack.fail_methods["conversations.info"] = "missing_scope"
    told = slash(board_app, fake_slack, "channel board", "l", channel="C0BOARD01")
    assert "board-level channel" in told["text"]
    assert "I couldn't check that I'm in the channel: Slack said `missing_scope`" in told["text"]


def test_refused_people_do_not_make_the_bot_join(
    board_app: App, fake_slack: FakeSlack, seeded: Engine
) -> None:
    fake_slack.outside["C0PUBLIC1"] = False
    board_app.dispatch(
        command_request(
            "/lscb",
            "channel training",
            user_id="U0NOBODY1",
            response_url=fake_slack.response_url("n"),
            channel_id="C0PUBLIC1",
        )
    )
    told = fake_slack.wait_for("n")[0].args
    assert told["text"].startswith("Only a board admin or the chair of *Training Sub-Committee*")
    assert fake_slack.calls_to("conversations.join") == []


# -- a mistyped command word is not a question -------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("exprot", "export"), ("chanel training", "channel"), ("whoiam", "whoami"),
     ("reprot 2011Q4", "report"), ("imprt", "import"), ("pendng", "pending")],
)
def test_a_misspelt_subcommand_is_not_searched(seeded: Engine, typed: str, meant: str) -> None:
    reply = say(seeded, f"/lscb {typed}", "WDSCB")
    word = typed.split()[0]
    assert reply.text.startswith(f"`/lscb {word}` isn't a command: did you mean `/lscb {meant}`?")
    assert not reply.actions and not reply.files  # no search ran, nothing was done


def test_questions_that_start_like_a_command_are_still_answered(seeded: Engine) -> None:
    for question in ("reports due this month", "assigned to MEG", "spending on training"):
        assert "isn't a command" not in say(seeded, f"/lscb {question}", "WSCB").text


def test_the_did_you_mean_button_runs_the_corrected_command(
    board_app: App, fake_slack: FakeSlack
) -> None:
    asked = slash(board_app, fake_slack, "exprot", "q")
    [run] = buttons(asked).values()
    assert json.loads(run["value"])["t"] == "/lscb export"
    done = press(board_app, fake_slack, run, "run", "C0GENERAL")
    assert done["text"].startswith("*Wakefield &amp; District SCB*'s plan as a spreadsheet")
    [upload] = fake_slack.uploaded()
    assert upload["channel"] == "D" + ADMIN_ID[1:]


def test_a_crafted_button_can_only_finish_an_lscb_command(
    board_app: App, fake_slack: FakeSlack
) -> None:
    forged = {"action_id": "lscb_pick_0", "value": json.dumps({"t": "/progress 1.1a done"})}
    told = press(board_app, fake_slack, forged, "f", "C0GENERAL")
    assert told["text"] == "That button is out of date: type the command again."


def test_every_subcommand_is_in_the_help_line(seeded: Engine) -> None:
    reply = say(seeded, "/lscb help", "WDSCB")
    shown = json.dumps([b.to_dict() for b in reply.blocks])
    for name in SUBCOMMANDS:
        assert f"/lscb {name}" in shown, name
