"""A board named in a question gets the same answer its own members get."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from bot.conversation import respond

# (board code, place as people write it, questions its own members might ask)
BOARDS = [
    ("WSCB", "Worcestershire", ["status of the neglect strategy", "who leads early help"]),
    ("DSCB", "Dudley", ["status of MASH", "what's happening on FGM"]),
    ("HSCB", "Herefordshire", ["status of CSE", "who leads the voice of the child"]),
    ("WDSCB", "Wakefield", ["what's overdue", "status of SCRs"]),
    ("SSCB", "Shropshire", ["status of domestic abuse", "who leads the neglect work"]),
]
FORMS = [
    "{code} {q}",
    "{q} in {place}",
    "{q} for {place}",
    "{place} - {q}",
]
TODAY = date(2011, 12, 1)


def refs(engine: Engine, text: str, asked_on: str) -> set[tuple[str, str]]:
    reply, _ = respond(engine, user_id="U0XBOARD1", text=text, board_name=asked_on, today=TODAY)
    return {(a.board, a.ref) for a in reply.actions}


@pytest.mark.parametrize(("code", "place", "questions"), BOARDS)
def test_same_answer_from_another_board(
    shared_seeded: Engine, code: str, place: str, questions: list[str]
) -> None:
    other = "DSCB" if code != "DSCB" else "WSCB"
    for q in questions:
        own = refs(shared_seeded, q, code)
        assert own, q  # the question means something on its own board
        for form in FORMS:
            text = form.format(code=code, place=place, q=q)
            assert refs(shared_seeded, text, other) == own, text


@pytest.mark.parametrize(
    ("said", "code"), [("worcs", "WSCB"), ("Hereford", "HSCB"), ("shrops", "SSCB")]
)
def test_a_county_shortened_names_the_board_everywhere(
    shared_seeded: Engine, said: str, code: str
) -> None:
    """In a question and in `/lscb board`, one rule (store.queries.board_names)."""
    asked = refs(shared_seeded, f"{said} neglect", "DSCB")
    assert asked and {board for board, _ in asked} == {code}
    reply, _ = respond(shared_seeded, user_id="U0COUNTY1", text=f"/lscb board {said}")
    assert f"({code})" in reply.text
