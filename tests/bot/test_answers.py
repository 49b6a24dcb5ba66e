"""Replies people can use: right actions, within Slack's limits, escaped, honest when lost."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from bot.conversation import respond
from seed.loader import Plan, PlanFile, load_plan
from tests.conftest import add_update


def ask(engine: Engine, text: str, today: date | None = date(2020, 6, 1), user: str = "U1"):
    reply, _ = respond(engine, user_id=user, text=text, board_name="TSCB", today=today)
    return reply


def big_plan(n: int) -> Plan:
    doc = {
        "board": {
            "code": "BIG",
            "name": "Big Safeguarding Children Board",
            "short_name": "Big SCB",
            "period": "2020/21",
            "period_start": date(2020, 4, 1),
            "period_end": date(2021, 3, 31),
            "source": "synthetic",
            "shape": "objectives",
        },
        "subgroups": [{"name": "MEG"}],
        "priorities": [{"ref": "1", "title": "Keeping every child safe"}],
        "workstreams": [{"ref": "1.1", "priority": "1", "title": "Audit programme"}],
        "actions": [
            {
                "ref": f"1.1-{i}",
                "workstream": "1.1",
                "text": f"Audit number {i} <!channel>",
                "lead": "MEG",
                "leads": ["MEG"],
                "subgroups": ["MEG"],
                "due": date(2020, 5, 1 + i % 28) if i % 3 else date(2021, 1, 1),
            }
            for i in range(n)
        ],
    }
    return Plan(Path("big.toml"), PlanFile.model_validate(doc))


def test_long_lists_stay_inside_slack_limits_most_urgent_first(engine: Engine) -> None:
    load_plan(engine, big_plan(120))
    reply, _ = respond(
        engine,
        user_id="U1",
        text="what is MEG working on",
        board_name="BIG",
        today=date(2020, 6, 1),
    )
    blocks = reply.blocks_json()
    assert len(blocks) <= 50
    assert len(reply.actions) == 120  # the reply is about all of them…
    assert reply.text.startswith("120 actions for MEG") and "80 overdue" in reply.text
    summary = blocks[0]["text"]["text"]
    assert "By status" in summary and "MEG 120" in summary  # …summed up first…
    shown = [b["text"]["text"] for b in blocks if b["type"] == "section"][1:]
    assert len(shown) == 10 and all("OVERDUE" in s for s in shown)  # …ten, most urgent first
    dues = [s.split("due ")[1].split(" ·")[0] for s in shown]
    assert dues[0] == "1 May 2020"  # the oldest overdue leads (i = 28 and 56 are due 1 May)
    context = [b for b in blocks if b["type"] == "context"][-1]["elements"][0]["text"]
    assert "Showing 1–10 of 120" in context
    button = blocks[-1]["elements"][0]
    assert button["text"]["text"] == "Show the next 10"
    assert "120 actions" in button["accessibility_label"]
    assert "<!channel>" not in str(blocks) and "&lt;!channel&gt;" in str(blocks)

    page, _ = respond(
        engine,
        user_id="U1",
        text="what is MEG working on",
        board_name="BIG",
        today=date(2020, 6, 1),
        page=1,
    )
    second = [b["text"]["text"] for b in page.blocks_json() if b["type"] == "section"][1:]
    assert len(second) == 10 and not set(second) & set(shown)
    assert "Showing 11–20 of 120" in str(page.blocks_json())


def test_status_shows_rag_and_age_of_last_update(mini: Engine) -> None:
    add_update(mini, "1.1a", rag="amber", note="toolkit drafted")
    reply = ask(mini, "status of the toolkit", today=None)
    assert [a.ref for a in reply.actions] == ["1.1a"]
    section = reply.blocks_json()[1]["text"]["text"]
    assert "amber" in section and "updated today" in section
    assert reply.to_json()["actions"][0]["status"] == "amber"


def test_overdue_is_marked_and_filtered(mini: Engine) -> None:
    reply = ask(mini, "what's overdue", today=date(2020, 7, 1))
    assert [a.ref for a in reply.actions] == ["1.1b"]
    assert "OVERDUE" in reply.blocks_json()[1]["text"]["text"]
    assert reply.to_json(date(2020, 7, 1))["actions"][0]["overdue"] is True


def test_not_understood_is_honest_and_suggests(mini: Engine) -> None:
    reply = ask(mini, "what's for lunch on friday")
    assert reply.actions == []
    assert "don't know" in reply.text
    text = str(reply.blocks_json())
    assert "You could ask" in text and "The plan's work includes" in text  # real topics…
    assert text.count("Toolkit") == 0  # …but no plan dump
    close = ask(mini, "whats happening with the toolkt pathwy")
    assert [a.ref for a in close.actions] or "Did you mean" in str(close.blocks_json())


def test_changes_since_lists_updates_with_rag_change(mini: Engine) -> None:
    add_update(mini, "1.1b", rag="red")
    add_update(mini, "1.1b", rag="green", note="all courses booked\nsecond line")
    reply = ask(mini, "what changed this week", today=None)
    assert [a.ref for a in reply.actions] == ["1.1b"]
    text = str(reply.blocks_json())
    assert "red → green" in text and "all courses booked" in text and "second line" not in text
    quiet = ask(mini, "what has changed for MEG this week", today=None)
    assert quiet.actions == []
    assert quiet.text.startswith("No progress updates on *Testshire SCB* for MEG")


def test_another_board_named_in_the_question(mini: Engine) -> None:
    load_plan(mini, big_plan(3))
    reply, _ = respond(mini, user_id="U1", text="Big SCB's audit programme", board_name="TSCB")
    assert {a.board for a in reply.actions} == {"BIG"}


def test_headline_uses_the_words_people_use_and_says_what_was_left_out(
    shared_seeded: Engine,
) -> None:
    reply, _ = respond(shared_seeded, user_id="U1", text="tell me about VOC", board_name="WSCB")
    assert "matching “voice of the child”" in reply.text  # not the glossary's token, not stems
    other, _ = respond(
        shared_seeded,
        user_id="U1",
        text="what's overdue for MEG",  # MEG is Worcestershire's, not Wakefield's
        board_name="WDSCB",
        today=date(2011, 12, 1),
    )
    assert other.actions  # the overdue list still comes…
    left_out = "“meg” isn't in Wakefield &amp; District SCB's plan"
    assert left_out in str(other.blocks_json())  # …and says what it left out
