"""Who people are: /lscb iam (a request), board, assign, admin and whoami, saved and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.conversation import respond
from bot.render import Reply
from store.models import AuditEvent, BoardAdmin, Person, RoleRequest

ADMIN = frozenset({"U0ADMIN01"})


def reply_to(
    engine: Engine,
    user: str,
    text: str,
    board: str | None = "TSCB",
    admins: frozenset[str] = ADMIN,
) -> Reply:
    reply, _ = respond(engine, user_id=user, text=text, board_name=board, admin_ids=admins)
    return reply


def say(engine: Engine, user: str, text: str, board: str | None = "TSCB") -> str:
    return reply_to(engine, user, text, board).text


def person(engine: Engine, user: str) -> Person | None:
    with Session(engine) as s:
        return s.exec(select(Person).where(Person.slack_user_id == user)).first()


def events(engine: Engine, name: str) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.event == name)))


def test_iam_is_a_request_sent_to_the_admins_and_grants_nothing_yet(mini: Engine) -> None:
    reply = reply_to(mini, "U1", "/lscb iam training officer")
    assert reply.text.startswith(
        "I've asked Testshire SCB's admins to confirm you as *LSCB Training Officer*"
    )
    assert "you can ask “my actions” but not post updates" in reply.text
    [(to, text, blocks)] = reply.posts
    assert to == "U0ADMIN01" and text.startswith("<@U1> asks to be *LSCB Training Officer*")
    assert [e["text"]["text"] for e in blocks[-1]["elements"]] == ["Approve", "Decline"]
    found = person(mini, "U1")
    assert found is not None and found.roles == []
    assert "Waiting for confirmation: *LSCB Training Officer*" in say(mini, "U1", "/lscb whoami")
    [event] = events(mini, "person.role_requested")
    assert (event.actor, event.entity_ref, event.after["role"]) == (
        "U1",
        "U1",
        "LSCB Training Officer",
    )
    again = say(mini, "U1", "/lscb iam LSCB Training Officer")
    assert again.startswith("You've already asked to be *LSCB Training Officer*")
    with Session(mini) as s:
        assert len(s.exec(select(RoleRequest)).all()) == 1


def test_a_pending_role_reads_as_mine_but_cannot_update(mini: Engine) -> None:
    say(mini, "U2", "/lscb iam monitoring and evaluation group")
    mine, _ = respond(mini, user_id="U2", text="what are my actions", board_name="TSCB")
    assert [a.ref for a in mine.actions] == ["1.1a"]
    refused = say(mini, "U2", "/progress 1.1a green toolkit live")
    assert refused.startswith("You can't update *1.1a*")


def test_an_admin_gets_a_role_at_once(mini: Engine) -> None:
    assert say(mini, "U0ADMIN01", "/lscb iam training officer") == (
        "You are now *LSCB Training Officer* on Testshire SCB."
    )
    assert "already" in say(mini, "U0ADMIN01", "/lscb iam LSCB Training Officer")
    found = person(mini, "U0ADMIN01")
    assert found is not None and found.roles == ["LSCB Training Officer"]
    [event] = events(mini, "person.role_added")
    assert event.actor == "U0ADMIN01" and event.after["roles"] == ["LSCB Training Officer"]


def test_a_chair_is_asked_about_their_sub_group_and_gets_it_at_once_for_themself(
    mini: Engine,
) -> None:
    assert "now chairs" in say(mini, "U0ADMIN01", "/lscb chair <@U0CHAIR1> MEG")
    reply = reply_to(mini, "U3", "/lscb iam MEG")
    assert reply.text.startswith("I've asked the chair of *MEG* to confirm you as *MEG*")
    assert [post[0] for post in reply.posts] == ["U0CHAIR1"]
    # A lead role with no sub-group goes to the board's admins instead.
    reply = reply_to(mini, "U3", "/lscb iam LSCB Training Officer")
    assert [post[0] for post in reply.posts] == ["U0ADMIN01"]


def test_with_no_admin_and_no_chair_the_reply_says_who_can_set_one_up(mini: Engine) -> None:
    reply = reply_to(mini, "U4", "/lscb iam MEG", admins=frozenset())
    assert "nobody can confirm it yet" in reply.text
    assert "Testshire SCB has no admin and *MEG* no chair" in reply.text
    assert "`ADMIN_USER_IDS`" in reply.text and reply.posts == []
    with Session(mini) as s:
        assert [r.status for r in s.exec(select(RoleRequest))] == ["pending"]


def test_iam_ambiguous_or_unknown_offers_candidates(mini: Engine) -> None:
    unknown = say(mini, "U3", "/lscb iam chief constable")
    assert "can't find" in unknown and "`" in unknown
    assert "Tell me your role" in say(mini, "U3", "/lscb iam")
    with Session(mini) as s:
        assert s.exec(select(RoleRequest)).all() == []


def test_assign_needs_an_admin_and_answers_a_pending_request(mini: Engine) -> None:
    say(mini, "U5", "/lscb iam MEG")
    refused = say(mini, "U4", "/lscb assign <@U5|bob> MEG")
    assert refused.startswith("Only a board admin can assign roles on Testshire SCB")
    assert "<@U0ADMIN01>" in refused
    done = say(mini, "U0ADMIN01", "/lscb assign <@U5|bob> MEG")
    assert done == "<@U5> is now *MEG* on Testshire SCB."
    whoami = say(mini, "U5", "/lscb whoami", board=None)
    assert "Sub-groups: MEG" in whoami and "Waiting" not in whoami
    with Session(mini) as s:
        [request] = s.exec(select(RoleRequest)).all()
    assert (request.status, request.decided_by) == ("approved", "U0ADMIN01")
    assert "Usage" in say(mini, "U0ADMIN01", "/lscb assign bob")


def test_board_sets_your_board_and_clears_roles_from_another(mini: Engine) -> None:
    assert "Pick your board" in say(mini, "U6", "/lscb iam MEG", board=None)
    assert "now on *Testshire SCB*" in say(mini, "U6", "/lscb board testshire", board=None)
    say(mini, "U0ADMIN01", "/lscb assign <@U6> MEG")
    reply, _ = respond(mini, user_id="U6", text="my actions")
    assert [a.ref for a in reply.actions] == ["1.1a"]
    assert "No board called" in say(mini, "U6", "/lscb board Narnia", board=None)


def test_no_role_yet_says_how_to_set_one(mini: Engine) -> None:
    reply, _ = respond(mini, user_id="U7", text="what are my actions", board_name="TSCB")
    assert "/lscb iam" in reply.text and reply.actions == []


def test_an_admin_can_make_another_admin_of_their_board_and_remove_them(mini: Engine) -> None:
    assert say(mini, "U8", "/lscb admin <@U9>").startswith("Only a board admin")
    assert say(mini, "U0ADMIN01", "/lscb admin <@U9|nina>") == (
        "<@U9> is now an admin of Testshire SCB."
    )
    assert "already" in say(mini, "U0ADMIN01", "/lscb admin <@U9>")
    assert say(mini, "U9", "/lscb assign <@U10> MEG").startswith("<@U10> is now *MEG*")
    assert "(admin)" in say(mini, "U9", "/lscb whoami")
    [granted] = events(mini, "person.admin_granted")
    assert (granted.actor, granted.entity_ref, granted.after) == (
        "U0ADMIN01",
        "U9",
        {"admin_of": "TSCB"},
    )

    removed = say(mini, "U0ADMIN01", "/lscb admin remove <@U9>")
    assert removed.startswith("<@U9> is no longer an admin of Testshire SCB.")
    assert "has no admins of its own now" in removed
    assert say(mini, "U9", "/lscb assign <@U11> MEG").startswith("Only a board admin")
    assert "(admin)" not in say(mini, "U9", "/lscb whoami")
    [revoked] = events(mini, "person.admin_revoked")
    assert (revoked.actor, revoked.entity_ref, revoked.after) == (
        "U0ADMIN01",
        "U9",
        {"admin_of": None},
    )
    assert "isn't an admin" in say(mini, "U0ADMIN01", "/lscb admin remove <@U9>")
    assert "Usage" in say(mini, "U0ADMIN01", "/lscb admin remove")


def test_admins_from_the_configuration_cannot_be_removed_or_stored(mini: Engine) -> None:
    removed = say(mini, "U0ADMIN01", "/lscb admin remove <@U0ADMIN01>")
    assert "through `ADMIN_USER_IDS`" in removed
    assert "every board" in say(mini, "U0ADMIN01", "/lscb admin <@U0ADMIN01>")
    with Session(mini) as s:
        assert s.exec(select(BoardAdmin)).all() == []
    found = person(mini, "U0ADMIN01")
    assert found is not None and found.is_admin is False  # nothing about it is stored


@pytest.mark.parametrize("typed", ["<@U0NEW001>", "<@U0NEW001|new>", "@U0NEW001"])
def test_an_admin_sets_someone_elses_board_by_mention(mini: Engine, typed: str) -> None:
    assert say(mini, "U0PLAIN1", f"/lscb board TSCB {typed}").startswith("Only a board admin")
    assert person(mini, "U0NEW001") is None  # a refusal creates nobody
    done = say(mini, "U0ADMIN01", f"/lscb board TSCB {typed}")
    assert done.startswith("<@U0NEW001> is now on *Testshire SCB*")
