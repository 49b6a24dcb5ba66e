"""How a question is read, class by class, on a small plan written for it (not the seed plans,
whose question sets measure the whole reader): each test names a way people type that the
reader once got wrong, and checks the actions a person would expect back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.conversation import respond
from seed.loader import Plan, PlanFile, load_plan

ACTIONS = [
    # ref, work stream, text, lead
    ("1.1a", "1.1", "Launch a score card for neglect cases", "Performance Group"),
    ("1.1b", "1.1", "Re-launch the neglect toolkit with practitioners", "Training Group"),
    ("1.2a", "1.2", "Promote effective early help assessments", "Early Help Group"),
    ("2.1a", "2.1", "Review the CSE panel's terms of reference", "CSE Group"),
    ("2.1b", "2.1", "Map CSE hotspots with licensing colleagues", "CSE Group"),
    ("3.1a", "3.1", "Critical friend challenge to the social care improvement plan", "Chair"),
    ("3.1b", "3.1", "Training on CSE for school governors", "Training Group"),
    ("3.2a", "3.2", "The LADO reports twice a year on allegations", "LADO"),
    ("3.2b", "3.2", "Agencies notify the LADO of their named senior officers", "Chair"),
    ("3.2c", "3.2", "Support the LADO with awareness-raising", "Training Group"),
    ("3.3a", "3.3", "Learning from child deaths reaches front-line staff", "Chair"),
    ("3.3b", "3.3", "Follow up the 2019 inspection of the youth offending service", "Chair"),
    ("3.3c", "3.3", "Follow up the inspection of early help", "Chair"),
]
PRIORITIES = [("1", "Neglect"), ("2", "Child sexual exploitation"), ("3", "Strong partnership")]
STREAMS = [
    ("1.1", "1", "Neglect tools"),
    ("1.2", "1", "Early help"),
    ("2.1", "2", "Exploitation"),
    ("3.1", "3", "Challenge"),
    ("3.2", "3", "Allegations against staff"),
    ("3.3", "3", "Learning"),
]
GROUPS = ["Performance Group", "Training Group", "Early Help Group", "CSE Group"]


@pytest.fixture
def plan(engine: Engine) -> Engine:
    doc = {
        "board": {
            "code": "RSCB",
            "name": "Reading Test Safeguarding Children Board",
            "short_name": "Reading Test SCB",
            "period": "2020/21",
            "period_start": date(2020, 4, 1),
            "period_end": date(2021, 3, 31),
            "source": "written for these tests",
            "shape": "objectives",
        },
        "subgroups": [{"name": g} for g in GROUPS],
        "priorities": [{"ref": r, "title": t} for r, t in PRIORITIES],
        "workstreams": [{"ref": r, "priority": p, "title": t} for r, p, t in STREAMS],
        "actions": [
            {
                "ref": ref,
                "workstream": stream,
                "text": text,
                "lead": lead,
                "leads": [lead],
                "subgroups": [lead] if lead in GROUPS else [],
            }
            for ref, stream, text, lead in ACTIONS
        ],
    }
    load_plan(engine, Plan(Path("reading.toml"), PlanFile.model_validate(doc)))
    return engine


def refs(engine: Engine, text: str, user: str = "U1") -> list[str]:
    reply, _ = respond(engine, user_id=user, text=text, board_name="RSCB", today=date(2020, 6, 1))
    return sorted(a.ref for a in reply.actions)


def shown(engine: Engine, text: str) -> str:
    """Everything the reply shows in Slack (its blocks)."""
    reply, _ = respond(engine, user_id="U1", text=text, board_name="RSCB", today=date(2020, 6, 1))
    return str(reply.blocks_json())


def test_a_typo_is_one_slip_and_a_real_word_is_never_turned_into_another(plan: Engine) -> None:
    assert refs(plan, "effectve early help") == ["1.2a"]
    assert refs(plan, "elective home education - is that in the plan") == []


def test_words_the_plan_writes_apart_or_hyphenated_are_found_run_together(plan: Engine) -> None:
    assert refs(plan, "how are the scorecards coming on") == ["1.1a"]
    assert refs(plan, "has the toolkit been relaunched") == ["1.1b"]


def test_a_priority_named_by_its_title_is_that_whole_priority(plan: Engine) -> None:
    # 3.1b also says CSE, but it is under priority 3.
    assert refs(plan, "the CSE priority - what's everyone doing") == ["2.1a", "2.1b"]
    assert refs(plan, "status of CSE") == ["2.1a", "2.1b", "3.1b"]


def test_a_topic_the_plan_lacks_does_not_hide_what_the_rest_plainly_names(plan: Engine) -> None:
    question = "how's the critical friend challenge to social care going? ofsted are back soon"
    assert refs(plan, question) == ["3.1a"]
    assert "“ofsted” isn't in Reading Test SCB's plan" in shown(plan, question)
    assert refs(plan, "does the plan say anything about ofsted") == []


def test_a_bare_role_the_actions_speak_of_is_all_the_work_on_it(plan: Engine) -> None:
    assert refs(plan, "LADO") == ["3.2a", "3.2b", "3.2c"]
    # A sub-group's name on its own is still that sub-group's row.
    assert refs(plan, "early help group") == ["1.2a"]


def test_a_body_the_actions_name_is_a_topic_not_the_owning_group(plan: Engine) -> None:
    assert refs(plan, "is the CSE panel working yet") == ["2.1a"]
    assert refs(plan, "what is the CSE group doing") == ["2.1a", "2.1b"]


def test_who_the_asker_is_is_not_what_they_ask_about(plan: Engine) -> None:
    respond(plan, user_id="U9", text="/lscb iam Training Group", board_name="RSCB")
    question = "just joined as the school governors rep (I run a primary school) - what are ours?"
    assert refs(plan, question, user="U9") == ["1.1b", "3.1b", "3.2c"]


def test_a_year_is_a_topic_word_and_a_verb_finds_its_noun(plan: Engine) -> None:
    assert refs(plan, "the 2019 inspection - are we following it up?") == ["3.3b"]
    assert refs(plan, "when a child dies, how do we learn from it") == ["3.3a"]
