"""Who people are: /lscb iam, board, assign and whoami, saved and audited."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.conversation import respond
from store.models import AuditEvent, Person

ADMIN = frozenset({"U0ADMIN01"})


def say(engine: Engine, user: str, text: str, board: str | None = "TSCB") -> str:
    reply, _ = respond(engine, user_id=user, text=text, board_name=board, admin_ids=ADMIN)
    return reply.text


def test_iam_matches_a_lead_fuzzily_and_confirms_the_canonical_name(mini: Engine) -> None:
    assert say(mini, "U1", "/lscb iam training officer") == (
        "You are now *LSCB Training Officer* on Testshire SCB."
    )
    assert "already" in say(mini, "U1", "/lscb iam LSCB Training Officer")
    with Session(mini) as s:
        person = s.exec(select(Person).where(Person.slack_user_id == "U1")).one()
        assert person.roles == ["LSCB Training Officer"]
        [event] = s.exec(select(AuditEvent).where(AuditEvent.event == "person.role_added")).all()
        assert event.actor == "U1" and event.after["roles"] == ["LSCB Training Officer"]


def test_iam_a_sub_group_by_alias_makes_a_member(mini: Engine) -> None:
    assert "*MEG*" in say(mini, "U2", "/lscb iam monitoring and evaluation group")
    assert "Sub-groups: MEG" in say(mini, "U2", "/lscb whoami")
    reply, _ = respond(mini, user_id="U2", text="what are my actions", board_name="TSCB")
    assert [a.ref for a in reply.actions] == ["1.1a"]


def test_iam_ambiguous_or_unknown_offers_candidates(mini: Engine) -> None:
    unknown = say(mini, "U3", "/lscb iam chief constable")
    assert "can't find" in unknown and "`" in unknown
    assert "Tell me your role" in say(mini, "U3", "/lscb iam")
    with Session(mini) as s:
        person = s.exec(select(Person).where(Person.slack_user_id == "U3")).one()
        assert person.roles == []


def test_assign_needs_an_admin(mini: Engine) -> None:
    refused = say(mini, "U4", "/lscb assign <@U5|bob> MEG")
    assert refused.startswith("Only a board admin")
    done = say(mini, "U0ADMIN01", "/lscb assign <@U5|bob> MEG")
    assert done == "<@U5> is now *MEG* on Testshire SCB."
    assert "Sub-groups: MEG" in say(mini, "U5", "/lscb whoami", board=None)
    assert "Usage" in say(mini, "U0ADMIN01", "/lscb assign bob")


def test_board_sets_your_board_and_clears_roles_from_another(mini: Engine) -> None:
    assert "Pick your board" in say(mini, "U6", "/lscb iam MEG", board=None)
    assert "now on *Testshire SCB*" in say(mini, "U6", "/lscb board testshire", board=None)
    say(mini, "U6", "/lscb iam MEG", board=None)
    reply, _ = respond(mini, user_id="U6", text="my actions")
    assert [a.ref for a in reply.actions] == ["1.1a"]
    assert "No board called" in say(mini, "U6", "/lscb board Narnia", board=None)


def test_no_role_yet_says_how_to_set_one(mini: Engine) -> None:
    reply, _ = respond(mini, user_id="U7", text="what are my actions", board_name="TSCB")
    assert "/lscb iam" in reply.text and reply.actions == []


def test_an_admin_can_make_another_admin(mini: Engine) -> None:
    assert say(mini, "U8", "/lscb admin <@U9>").startswith("Only a board admin")
    say(mini, "U0ADMIN01", "/lscb board TSCB")
    assert say(mini, "U0ADMIN01", "/lscb admin <@U9|nina>") == "<@U9> is now a board admin."
    assert say(mini, "U9", "/lscb assign <@U10> MEG").startswith("<@U10> is now *MEG*")
    with Session(mini) as s:
        [event] = s.exec(select(AuditEvent).where(AuditEvent.event == "person.admin_granted")).all()
    assert (event.actor, event.entity_ref, event.after) == ("U0ADMIN01", "U9", {"is_admin": True})
