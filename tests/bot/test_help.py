"""Help's examples: short, real topics from each board's own plan, and each one answers."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.answers import EXAMPLE_MAX, example_questions
from bot.conversation import respond
from store.queries import action_views, find_board

BOARDS = ["WSCB", "DSCB", "HSCB", "WDSCB", "SSCB"]
# Replies that mean the question was not understood: an example must never get one.
NOT_UNDERSTOOD = ("Sorry, I don't know what", "has nothing on", "Did you mean", "Pick one with")
# Replies that understood the question and found nothing to list (a real answer).
UNDERSTOOD_EMPTY = (
    "No actions",
    "No progress updates",
    "Strategic priorities of",
    "I don't know your role",
)


def _help_examples(engine: Engine, board: str) -> list[str]:
    reply, _ = respond(engine, user_id="U0HELP001", text="help", board_name=board)
    text = reply.blocks_json()[0]["text"]["text"]
    return [html.unescape(q) for q in re.findall(r"• `([^`]+)`", text)]


def _plan_text(engine: Engine, board: str) -> str:
    with Session(engine) as session:
        views = action_views(session, find_board(session, board))
    return " ".join(f"{v.workstream} {v.text} {' '.join(v.subgroups)}" for v in views).lower()


@pytest.mark.parametrize("board", BOARDS)
def test_help_examples_are_short_and_whole(shared_seeded: Engine, board: str) -> None:
    examples = _help_examples(shared_seeded, board)
    assert len(examples) >= 5
    for example in examples:
        assert len(example) <= EXAMPLE_MAX, example
        assert not example.endswith(("…", "...")), example


@pytest.mark.parametrize("board", BOARDS)
def test_help_topics_are_the_plans_own(shared_seeded: Engine, board: str) -> None:
    plan = _plan_text(shared_seeded, board)
    named = [
        m.group(2)
        for q in _help_examples(shared_seeded, board)
        if (m := re.match(r"(status of|who leads|what's overdue for) (.+)", q))
    ]
    assert len(named) == 3  # a topic, a topic or ref to ask who leads, a sub-group
    for topic in named:
        assert topic.lower() in plan, f"{topic!r} is not in {board}'s plan"


@pytest.mark.parametrize("board", BOARDS)
def test_every_help_example_asked_back_gets_an_answer(shared_seeded: Engine, board: str) -> None:
    for example in _help_examples(shared_seeded, board):
        reply, _ = respond(shared_seeded, user_id="U0HELP001", text=example, board_name=board)
        text = html.unescape(reply.text)
        assert not any(bad in text for bad in NOT_UNDERSTOOD), (example, text)
        assert reply.actions or text.startswith(UNDERSTOOD_EMPTY), (example, text)
        group = re.match(r"what's overdue for (.+)", example)
        if group:  # understood as the sub-group's work, not a word search
            assert f"for {group.group(1)}" in text, (example, text)


def test_a_plan_with_long_titles_still_gets_short_examples(shared_seeded: Engine) -> None:
    """Wakefield's work streams are sentences ("The Safeguarding Children Board will…")."""
    with Session(shared_seeded) as session:
        views = action_views(session, find_board(session, "WDSCB"))
    assert min(len(v.workstream) for v in views) > EXAMPLE_MAX
    examples = example_questions(views)
    assert all(len(q) <= EXAMPLE_MAX for q in examples)
    assert not any("safeguarding children board will" in q.lower() for q in examples)


@pytest.mark.parametrize("board", BOARDS)
def test_an_unknown_topic_suggests_examples_that_answer(shared_seeded: Engine, board: str) -> None:
    reply, _ = respond(
        shared_seeded, user_id="U0HELP001", text="status of zebra crossings", board_name=board
    )
    suggested = [
        html.unescape(q)
        for block in reply.blocks_json()
        for q in re.findall(r"• `([^`]+)`", block.get("text", {}).get("text", ""))
    ]
    assert suggested
    for example in suggested:
        answer, _ = respond(shared_seeded, user_id="U0HELP001", text=example, board_name=board)
        assert not any(bad in html.unescape(answer.text) for bad in NOT_UNDERSTOOD), example
