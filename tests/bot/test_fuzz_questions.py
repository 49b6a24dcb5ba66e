"""Never crash on a question: thousands of generated questions, always a reply Slack accepts."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.conversation import respond
from tests.fake_slack import _block_problem

PLANS = Path(__file__).resolve().parents[2] / "seed" / "plans"
BOARDS = ["WSCB", "DSCB", "HSCB", "WDSCB", "SSCB"]


def _plan_words() -> list[str]:
    words: set[str] = set()
    for path in PLANS.glob("*.toml"):
        plan = tomllib.loads(path.read_text(encoding="utf-8"))
        for action in plan.get("actions", []):
            words.update(action.get("text", "").split())
            words.update(action.get("lead", "").split())
    return sorted(words)


CUES = [
    "what's", "who", "leads", "overdue", "due", "before", "by", "since", "next", "in the",
    "my", "our", "we", "changed", "status", "of", "priorities", "help", "overview", "-", "?",
    "priority", "days", "weeks", "months", "the end of", "january", "friday", "xmas", "/lscb",
    "sub group", "'s", "r", "u", "as the", "here", "i'm the", "dudley", "WDSCB", "worcs",
]  # fmt: skip
WORD = st.one_of(
    st.sampled_from(_plan_words()),
    st.sampled_from(CUES),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(min_size=1, max_size=12),  # any unicode, punctuation, control characters
    st.from_regex(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,6}", fullmatch=True),
)
QUESTION = st.one_of(
    st.lists(WORD, max_size=25).map(" ".join),
    st.text(max_size=300),
    st.just(""),
    st.lists(WORD, min_size=5, max_size=15).map(lambda ws: " ".join(ws * 60)),  # very long
)


@settings(
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@example(text="a" * 40_000, board="WDSCB", today=date(2011, 12, 1))
@example(text="due in the next 99999999999999999999 days", board="WDSCB", today=date(2011, 12, 1))
@example(text="due before 31/12/99999", board="DSCB", today=date(2015, 6, 1))
@given(
    text=QUESTION,
    board=st.sampled_from(BOARDS),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
)
def test_any_question_gets_a_reply_slack_accepts(
    shared_seeded: Engine, text: str, board: str, today: date
) -> None:
    reply, _ = respond(shared_seeded, user_id="U0FUZZ001", text=text, board_name=board, today=today)
    assert reply.text.strip()
    blocks = reply.blocks_json()
    assert _block_problem(blocks, 50) is None, _block_problem(blocks, 50)
    assert len(reply.text) <= 40_000
