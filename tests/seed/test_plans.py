"""The five real plans: all load, and facts read off the source documents hold in the export.

Each fact below was read from ../shared/seeds/*.txt by a person, looking for the action by its
wording, so the check does not depend on the refs the transcription chose.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from seed.loader import load_all, parse_plan, plan_files
from store.queries import ActionView, action_views, find_board, plan_counts

ROOT = Path(__file__).resolve().parents[2]
CODES = {"WSCB", "DSCB", "HSCB", "WDSCB", "SSCB"}


def find(engine: Engine, board: str, words: str) -> ActionView:
    with Session(engine) as s:
        views = [v for v in action_views(s, find_board(s, board)) if words in v.text]
    assert len(views) == 1, f"{board}: {len(views)} actions contain {words!r}"
    return views[0]


def test_all_five_plans_are_valid_and_distinct() -> None:
    plans = [parse_plan(p) for p in plan_files()]
    assert {p.data.board.code for p in plans} == CODES
    for plan in plans:
        assert plan.data.actions, plan.path.name
        assert (ROOT.parent / "shared" / "seeds" / plan.data.board.source).name.endswith(".txt")


def test_readme_counts_match_the_seed(shared_seeded: Engine) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {
        m.group(1): tuple(int(m.group(i)) for i in (2, 3, 4))
        for m in re.finditer(r"^\| (\w+) \|[^|]+\|\s*(\d+) \|\s*(\d+) \|\s*(\d+) \|$", readme, re.M)
    }
    with Session(shared_seeded) as s:
        for code in CODES:
            board = find_board(s, code)
            assert board.id is not None
            assert rows.get(code) == plan_counts(s, board.id), code


@pytest.mark.parametrize(
    ("board", "words", "lead", "subgroups", "due"),
    [
        # Wakefield: responsible person, monitoring mechanism and d.m.yy target lined up
        (
            "WDSCB",
            "Production of twice yearly Performance Management Report",
            "WDSCB Business Manager",
            ("Performance Sub-Committee",),
            date(2012, 1, 31),
        ),
        (
            "WDSCB",
            "Procedures will be reviewed twice a year",
            "WDSCB Business Manager",
            ("Quality and Review Sub-Committee",),
            date(2012, 3, 30),
        ),
        (
            "WDSCB",
            "implementation of actions arising from safeguarding inspections",
            "LSCB Chair",
            ("LSCB", "Quality and Review Sub-Committee"),
            date(2012, 3, 30),
        ),
        (
            "WDSCB",
            "future co-location or integration of safeguarding services",
            None,
            ("LSCB",),
            date(2011, 7, 4),
        ),
        # Dudley: lead / sub-group column lined up with its actions
        (
            "DSCB",
            "Produce practice standards to ensure the 'voice of the child'",
            "Participation strategy",
            ("Participation strategy",),
            None,
        ),
        (
            "DSCB",
            "Review and strengthen processes for recording and acting on feedback",
            "Quality Assurance sub",
            ("Quality Assurance sub",),
            None,
        ),
        (
            "DSCB",
            "Female Genital Mutilation",
            "Vulnerable Children",
            ("Vulnerable Children",),
            None,
        ),
        # Shropshire: a matrix cell keeps both axes
        ("SSCB", "GCP is included in training", None, ("Training sub group",), None),
        ("SSCB", "including MARAC and MAPPA guidance", None, ("P&P",), None),
    ],
)
def test_facts_from_the_plans(
    shared_seeded: Engine,
    board: str,
    words: str,
    lead: str | None,
    subgroups: tuple[str, ...],
    due: date | None,
) -> None:
    view = find(shared_seeded, board, words)
    if lead is not None:
        assert view.lead == lead
    assert view.subgroups == tuple(sorted(subgroups))
    assert view.due == due


def test_matrix_plans_keep_priority_and_row(shared_seeded: Engine) -> None:
    neglect_training = find(shared_seeded, "SSCB", "GCP is included in training")
    assert neglect_training.priority == "Childhood Neglect"
    assert neglect_training.workstream == "Training sub group"
    da_procedures = find(shared_seeded, "SSCB", "including MARAC and MAPPA guidance")
    assert da_procedures.priority == "Domestic abuse" and da_procedures.workstream == "P&P"


def test_dudley_2015_16_is_text_only_target(shared_seeded: Engine) -> None:
    fgm = find(shared_seeded, "DSCB", "Female Genital Mutilation")
    assert fgm.due is None and fgm.due_text == "2015-2016"


def test_seeding_the_real_plans_twice_changes_nothing(engine: Engine) -> None:
    first = load_all(engine)
    second = load_all(engine)
    assert [(r.board, r.actions) for r in first] == [(r.board, r.actions) for r in second]
    assert not any(r.changed for r in second)
