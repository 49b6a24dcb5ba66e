"""Reading `/progress` one-liners the way people write their RAG status."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.conversation import respond
from bot.progress import parse_quick
from store.models import ProgressUpdate
from tests.bot.test_guard import CORPUS, HELD_OUT, corpus


@pytest.mark.parametrize(
    ("text", "rag", "note"),
    [
        ("1.1a RAG: Amber. Awaiting police data.", "amber", "Awaiting police data."),
        ("1.1a status - green all courses booked", "green", "all courses booked"),
        ("1.1a rag rating now red: no analyst", "red", "no analyst"),
        ("1.1a Done.", "complete", ""),
        ("1.1a rating workshop held", None, "rating workshop held"),
        ("1.1a - workshop held", None, "- workshop held"),
    ],
)
def test_a_status_after_a_label_is_the_status(text: str, rag: str | None, note: str) -> None:
    form = parse_quick(text)
    assert (form.error, form.ref, form.rag, form.note) == (None, "1.1a", rag, note)


def test_an_unknown_colour_after_a_label_is_named() -> None:
    form = parse_quick("1.1a RAG is yellow")
    assert form.error is not None and "“yellow”" in form.error


def test_ordinary_notes_are_stored_and_identifying_ones_are_not(
    seeded: Engine, record_property: Callable[[str, object], None]
) -> None:
    """Both guard corpora through `/progress` as a lead sends them, read back from the store."""
    admin = "U0LEAD0001"
    kinds: dict[str, list[bool]] = {"accept": [], "refuse": []}
    for folder in (CORPUS, HELD_OUT):
        for kind in kinds:
            for i, (_, note) in enumerate(corpus(kind, folder)):
                before = _count(seeded)
                respond(
                    seeded,
                    user_id=admin,
                    text=f"/progress 1.1a {note}",
                    board_name="WSCB",
                    admin_ids=frozenset({admin}),
                    request_key=f"{folder.name}-{kind}-{i}",
                )
                kinds[kind].append(_count(seeded) > before)
    stored = sum(kinds["accept"]) / len(kinds["accept"])
    refused = 1 - sum(kinds["refuse"]) / len(kinds["refuse"])
    record_property(
        "measure", f"/progress: {stored:.1%} of ordinary notes stored, {refused:.1%} refused"
    )
    assert stored >= 0.98 and refused >= 0.98


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(ProgressUpdate.id)).all())
