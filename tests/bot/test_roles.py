"""One lead role across the plan's spellings of it, for "my actions" and for updating."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bot.conversation import respond
from bot.roles import role_key, same_role
from tests.conftest import ADMIN_ID


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("LSCB Chair", "Chair of LSCB"),
        ("LSCB Chair", "Safeguarding Children Board Chair"),
        ("WDSCB Business Manager", "LSCB Business Manager"),
        ("Chair of the Local Safeguarding Children Board", "LSCB chair"),
    ],
)
def test_spellings_of_one_role_are_one_role(a: str, b: str) -> None:
    assert same_role(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("LSCB Chair", "Chair of Training Sub-Committee"),
        ("LSCB Chair", "LSCB Business Manager"),
        ("CDOP Chair", "Chair of CD sub-committee"),
        ("", ""),
    ],
)
def test_different_roles_stay_different(a: str, b: str) -> None:
    assert not same_role(a, b)
    assert role_key("") == frozenset()


def test_the_lscb_chair_gets_every_spelling_of_their_role(shared_seeded: Engine) -> None:
    """Wakefield's plan writes the chair three ways; all three are the chair's actions."""
    user = "U0CHAIR01"
    respond(
        shared_seeded,
        user_id=ADMIN_ID,
        text=f"/lscb assign <@{user}> LSCB Chair",
        board_name="WDSCB",
        admin_ids=frozenset({ADMIN_ID}),
    )
    reply, _ = respond(shared_seeded, user_id=user, text="what are my actions", board_name="WDSCB")
    mine = {a.ref: a for a in reply.actions}
    assert "1.1a" in mine  # "LSCB Chair"
    assert "1.1c" in mine  # "Safeguarding Children Board Chair" (with the Business Manager)
    assert "2.5a" in mine  # "Chair of LSCB"
    assert all(any(same_role("LSCB Chair", lead) for lead in a.leads) for a in reply.actions)


def test_a_plan_file_declares_spellings_no_rule_can_tell_apart(shared_seeded: Engine) -> None:
    """Wakefield's file says "Chair of CD sub-committee" is the CDOP Chair (role_aliases)."""
    aliases = (("CDOP Chair", "Chair of CD sub-committee"),)
    assert not same_role("CDOP Chair", "Chair of CD sub-committee")
    assert same_role("CDOP Chair", "Chair of CD sub-committee", aliases)
    user = "U0CDOPCH1"
    respond(
        shared_seeded,
        user_id=ADMIN_ID,
        text=f"/lscb assign <@{user}> CDOP Chair",
        board_name="WDSCB",
        admin_ids=frozenset({ADMIN_ID}),
    )
    reply, _ = respond(shared_seeded, user_id=user, text="what are my actions", board_name="WDSCB")
    assert {a.ref for a in reply.actions} == {"3.2a", "3.3a", "3.3b"}
