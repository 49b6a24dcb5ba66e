"""Accuracy, measured: realistic questions about the five plans, with the actions a person
reading the plan expects back. Written from the plans, not from the bot's answers.

Each question must return exactly its expected refs; the suite fails below 90% overall.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.conversation import respond

QUESTIONS = Path(__file__).parent.parent / "questions"
REQUIRED_RATE = 0.90


@dataclass(frozen=True)
class Question:
    n: int
    board: str
    text: str
    expect: frozenset[str]
    today: date | None
    roles: tuple[str, ...]

    def ask(self, engine: Engine) -> frozenset[str]:
        user = f"UQ{self.n:05d}"
        for role in self.roles:
            reply, _ = respond(
                engine, user_id=user, text=f"/lscb iam {role}", board_name=self.board
            )
            assert "You are now" in reply.text, (role, reply.text)
        reply, _ = respond(
            engine, user_id=user, text=self.text, board_name=self.board, today=self.today
        )
        return frozenset(a.ref for a in reply.actions)


def load_questions() -> list[Question]:
    """Every question in tests/questions/*.toml (one file per board)."""
    entries = [
        (path.stem, q)
        for path in sorted(QUESTIONS.glob("*.toml"))
        for q in tomllib.loads(path.read_text(encoding="utf-8"))["question"]
    ]
    return [
        Question(
            n=i,
            board=q.get("board", stem.upper()),
            text=q["text"],
            expect=frozenset(q.get("expect", [])),
            today=q.get("today"),
            roles=tuple(q.get("roles", [])),
        )
        for i, (stem, q) in enumerate(entries)
    ]


@pytest.fixture(scope="module")
def results(shared_seeded: Engine) -> Iterator[list[tuple[Question, frozenset[str]]]]:
    yield [(q, q.ask(shared_seeded)) for q in load_questions()]


def test_question_set_is_big_and_covers_every_board() -> None:
    questions = load_questions()
    assert len(questions) >= 100
    assert {q.board for q in questions} == {"WSCB", "DSCB", "HSCB", "WDSCB", "SSCB"}


def test_accuracy_is_at_least_90_percent(results: list[tuple[Question, frozenset[str]]]) -> None:
    failures = [(q, got) for q, got in results if got != q.expect]
    rate = 1 - len(failures) / len(results)
    report = "\n".join(
        f"  [{q.board}] {q.text!r}: missing {sorted(q.expect - got)}, "
        f"extra {sorted(got - q.expect)}"
        for q, got in failures
    )
    print(f"\nquestion set: {len(results) - len(failures)}/{len(results)} = {rate:.1%}\n{report}")
    assert rate >= REQUIRED_RATE, f"accuracy {rate:.1%} below {REQUIRED_RATE:.0%}:\n{report}"
