"""One description of what an update changed, the same in the confirmation, "what changed",
the digest and the history: completions, re-targets, percentages, notes, in people's dates."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import LONDON, noon_london
from bot.conversation import respond
from bot.digest import subgroup_digest
from bot.progress_form import submit_form
from bot.settings import Settings
from store.models import Board, Subgroup
from tests.conftest import submission
from tests.handlers.test_progress import MEG, people  # noqa: F401

RETARGET = "target moved from 31 Mar 2021 to 30 Jun 2021 (partner sign-off delayed)"


def say(engine: Engine, text: str, day: date) -> str:
    reply, _ = respond(engine, user_id=MEG, text=text, board_name="TSCB", today=day)
    return reply.text + json.dumps(reply.blocks_json(), ensure_ascii=False)


def test_each_surface_says_what_changed_the_same_way(mini: Engine, people: None) -> None:  # noqa: F811
    first = say(mini, "/progress 1.1a amber drafted", date(2021, 3, 1))
    assert "status set to amber; note added" in first
    payload = submission(
        MEG,
        {
            "action": "TSCB|1.1a",
            "rag": {"type": "static_select", "selected_option": {"value": "amber"}},
            "percent": {"type": "number_input", "value": "60"},
            "new_due": {"type": "datepicker", "selected_date": "2021-06-30"},
            "reason": {"type": "plain_text_input", "value": "partner sign-off delayed"},
        },
    )
    errors, outcome = submit_form(
        mini,
        Settings.from_env({}),
        user_id=MEG,
        view=payload["view"],
        now=noon_london(date(2021, 3, 2)),
    )
    assert errors == {} and outcome is not None
    retargeted = f"status still amber; {RETARGET}; 60% complete"
    assert retargeted in outcome.message and "amber → amber" not in outcome.message
    assert "2021-06-30" not in outcome.message  # people's dates, not ISO
    done = say(mini, "/progress 1.1a done launched", date(2021, 3, 4))
    assert "completed on 4 Mar 2021; note added" in done

    changed = say(mini, "what changed since 1 March 2021", date(2021, 3, 8))
    digest_now = datetime(2021, 3, 8, 9, tzinfo=LONDON)
    with Session(mini) as s:
        board = s.exec(select(Board)).one()
        meg = s.exec(select(Subgroup).where(Subgroup.name == "MEG")).one()
        since = digest_now - timedelta(days=8)
        digest = subgroup_digest(s, board, meg, since, digest_now).blocks_json()
    digest_text = json.dumps(digest, ensure_ascii=False)
    history = say(mini, "/progress history 1.1a", date(2021, 3, 8))
    for surface in (changed, digest_text, history):
        assert "status set to amber; note added" in surface
        assert retargeted in surface
        assert "completed on 4 Mar 2021; note added" in surface
        assert "note only" not in surface and "amber → amber" not in surface
