"""Accuracy, measured: realistic questions about the five plans, with the actions a person
reading the plan expects back. Written from the plans, never from the bot's answers.

The sets: `tests/questions/*.toml` (tidy questions, the first set); `typed/` (written later,
by someone who never saw the code, the way people type in Slack: casual, typos, possessives,
acronyms, other boards, topics the plan lacks); `heldout/` (written after the reader was
rebuilt, by someone who had seen neither the code nor the other sets; 79.4% before any
change for it); `fresh/` and `final/` (written blind the same way a round of fixes later;
87.5% and 80.8% before any change for them); `final2/` (written blind during that round and
never looked at: only its score was read, before and after). Each question must return
exactly its expected refs (on the board it expects); each set has its own bar
(REQUIRED_RATE), just below what it reaches now, so a change that makes any set worse fails.
The rates are printed with every failure, so a change that helps one question and breaks
another shows.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.conversation import respond

QUESTIONS = Path(__file__).parent.parent / "questions"
SETS = {
    "first": QUESTIONS,
    "typed": QUESTIONS / "typed",
    "heldout": QUESTIONS / "heldout",
    "fresh": QUESTIONS / "fresh",
    "final": QUESTIONS / "final",
    "final2": QUESTIONS / "final2",
}
# The bars stop a change that makes a set worse; the measure is what the suite prints.
# fresh was first measured at 87.5% (now 96.0%). final was measured at 80.8% on the code this
# round started from and 86.4% after the fresh set's fixes, before anything was changed for
# it (now 93.6%).
# final2 was never looked at while the reader was changed: only its score was read, 83.2% on
# the round's starting code and 87.2% at its end; it joined the suite after that.
REQUIRED_RATE = {
    "first": 0.95,
    "typed": 0.95,
    "heldout": 0.90,
    "fresh": 0.90,
    "final": 0.90,
    "final2": 0.85,
}
MINIMUM_SIZE = {
    "first": 150,
    "typed": 150,
    "heldout": 150,
    "fresh": 150,
    "final": 125,
    "final2": 125,
}
ROLE_REFUSALS = ("can't find", "could be several", "Pick your board")

Answer = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Question:
    n: int
    board: str
    text: str
    expect: Answer
    today: date | None
    roles: tuple[str, ...]

    def ask(self, engine: Engine) -> Answer:
        user = f"UQ{self.n:05d}"
        for role in self.roles:
            reply, _ = respond(
                engine, user_id=user, text=f"/lscb iam {role}", board_name=self.board
            )
            assert not any(r in reply.text for r in ROLE_REFUSALS), (role, reply.text)
        reply, _ = respond(
            engine, user_id=user, text=self.text, board_name=self.board, today=self.today
        )
        return frozenset((a.board, a.ref) for a in reply.actions)


def load_questions(folder: Path, first: int = 0) -> list[Question]:
    """Every question in `folder`/*.toml (one file per board)."""
    entries = [
        (path.stem, q)
        for path in sorted(folder.glob("*.toml"))
        for q in tomllib.loads(path.read_text(encoding="utf-8"))["question"]
    ]
    out = []
    for i, (stem, q) in enumerate(entries):
        board = q.get("board", stem.upper())
        about = q.get("expect_board", board)
        out.append(
            Question(
                n=first + i,
                board=board,
                text=q["text"],
                expect=frozenset((about, ref) for ref in q.get("expect", [])),
                today=q.get("today"),
                roles=tuple(q.get("roles", [])),
            )
        )
    return out


def _refs(answer: Answer) -> list[str]:
    return sorted(f"{board}:{ref}" for board, ref in answer)


@pytest.fixture(scope="module")
def results(shared_seeded: Engine) -> Iterator[dict[str, list[tuple[Question, Answer]]]]:
    out: dict[str, list[tuple[Question, Answer]]] = {}
    for i, (name, folder) in enumerate(SETS.items()):
        out[name] = [(q, _ask(q, shared_seeded)) for q in load_questions(folder, i * 10_000)]
    yield out


def _ask(question: Question, engine: Engine) -> Answer:
    """The answer, or a marker that the bot raised (a crash is a wrong answer, and shown)."""
    try:
        return question.ask(engine)
    except Exception as exc:  # noqa: BLE001 - counted and reported below, never hidden
        return frozenset({("CRASH", type(exc).__name__)})


@pytest.mark.parametrize("name", list(SETS))
def test_question_set_is_big_and_covers_every_board(name: str) -> None:
    questions = load_questions(SETS[name])
    assert len(questions) >= MINIMUM_SIZE[name]
    assert {q.board for q in questions} == {"WSCB", "DSCB", "HSCB", "WDSCB", "SSCB"}


@pytest.mark.parametrize("name", list(SETS))
def test_accuracy_is_at_least_95_percent(
    name: str,
    results: dict[str, list[tuple[Question, Answer]]],
    record_property: Callable[[str, object], None],
) -> None:
    answered = results[name]
    failures = [(q, got) for q, got in answered if got != q.expect]
    rate = 1 - len(failures) / len(answered)
    report = "\n".join(
        f"  [{q.board}] {q.text!r}: missing {_refs(q.expect - got)}, extra {_refs(got - q.expect)}"
        for q, got in failures
    )
    right = len(answered) - len(failures)
    record_property("measure", f"{name} question set: {right}/{len(answered)} = {rate:.1%}")
    print(report)
    below = f"{name}: accuracy {rate:.1%} below {REQUIRED_RATE[name]:.0%}:\n{report}"
    assert rate >= REQUIRED_RATE[name], below
