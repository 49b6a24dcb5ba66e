"""Who people are: `/lscb iam`, `assign`, `board` and `whoami`, each change audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, delete, select

from bot.render import escape
from store.models import AuditEvent, Board, Person, PersonSubgroup, Subgroup
from store.queries import (
    UnknownBoard,
    action_views,
    board_subgroups,
    find_board,
    list_boards,
    person_subgroup_ids,
    person_subgroup_names,
)

# -- wording -----------------------------------------------------------------------------------

IAM_USAGE = "Tell me your role or sub-group, e.g. `/lscb iam {example}`."
IAM_NO_BOARD = "Pick your board first with `/lscb board <name>` (boards: {boards})."
IAM_DONE = "You are now *{name}* on {board}."
IAM_ALREADY = "You are already *{name}* on {board}."
IAM_AMBIGUOUS = "“{text}” could be several roles on {board}. Which one? {options}"
IAM_NONE = (
    "I can't find “{text}” among {board}'s leads and sub-groups. Nearest: {options}. "
    "Use the name as the plan writes it."
)
NOT_ADMIN = "Only a board admin can {what}. Admins: {admins}."
ASSIGN_USAGE = "Usage: `/lscb assign @person <role or sub-group>`."
ASSIGN_DONE = "<@{user}> is now *{name}* on {board}."
BOARD_DONE = "{who} now on *{board}* ({code}). Ask me “what are my actions” or `help`."
BOARD_USAGE = "Usage: `/lscb board <name or code>`. Boards: {boards}."
ROLE_FORGET_DONE = "You are no longer *{name}* on {board}."
WHOAMI = "You are on *{board}*{admin}. Roles: {roles}. Sub-groups: {groups}."
WHOAMI_NOBODY = (
    "You haven't told me who you are yet. Try `/lscb board <name>` then `/lscb iam <role>`."
)

USER_MENTION = _USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^@?([UW][A-Z0-9]{2,})$")
CONFIDENT = 90
AMBIGUOUS_GAP = 6


@dataclass(frozen=True)
class Candidate:
    name: str
    subgroup: Subgroup | None  # None: a lead role as the plan writes it


def person_for(session: Session, user_id: str, admin_ids: frozenset[str]) -> Person:
    """The person row for a Slack user, created on first contact; admin flag kept in step."""
    person = session.exec(select(Person).where(Person.slack_user_id == user_id)).first()
    if person is None:
        person = Person(slack_user_id=user_id, is_admin=user_id in admin_ids)
        session.add(person)
        session.flush()
    elif user_id in admin_ids and not person.is_admin:
        person.is_admin = True
        session.add(person)
    return person


def candidates(session: Session, board: Board) -> list[Candidate]:
    """Every role and sub-group a person on `board` can be: the plan's leads and sub-groups."""
    assert board.id is not None
    found: dict[str, Candidate] = {}
    for sg in board_subgroups(session, board.id):
        found[sg.name.casefold()] = Candidate(sg.name, sg)
    alias_of = {
        a.casefold(): found[sg.name.casefold()]
        for sg in board_subgroups(session, board.id)
        for a in sg.aliases
    }
    for view in action_views(session, board):
        for lead in view.leads:
            key = lead.casefold()
            if key not in found and key not in alias_of:
                found[key] = Candidate(lead, None)
    return list(found.values())


def resolve_role(session: Session, board: Board, text: str) -> Candidate | list[Candidate]:
    """The one role or sub-group `text` names, or the candidates when it is not clear."""
    options = candidates(session, board)
    spellings: dict[str, Candidate] = {}
    for cand in options:
        spellings[cand.name.casefold()] = cand
        if cand.subgroup is not None:
            for alias in cand.subgroup.aliases:
                spellings.setdefault(alias.casefold(), cand)
    wanted = " ".join(text.split()).casefold()
    if wanted in spellings:
        return spellings[wanted]
    scored = process.extract(wanted, list(spellings), scorer=fuzz.WRatio, limit=6)
    unique: dict[str, tuple[Candidate, float]] = {}
    for spelling, score, _ in scored:
        cand = spellings[spelling]
        if cand.name not in unique:
            unique[cand.name] = (cand, score)
    ranked = sorted(unique.values(), key=lambda pair: -pair[1])
    if (
        ranked
        and ranked[0][1] >= CONFIDENT
        and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= AMBIGUOUS_GAP)
    ):
        return ranked[0][0]
    return [cand for cand, _ in ranked[:5]]


def iam(session: Session, person: Person, board: Board | None, text: str) -> str:
    """Record the role or sub-group the person says they hold; answer in words."""
    if board is None:
        return IAM_NO_BOARD.format(boards=_board_list(session))
    if not text:
        example = next((c.name for c in candidates(session, board)), "Business Manager")
        return IAM_USAGE.format(example=escape(example))
    result = resolve_role(session, board, text)
    if isinstance(result, list):
        options = ", ".join(f"`{escape(c.name)}`" for c in result) or "none"
        template = IAM_AMBIGUOUS if result and _close(text, result) else IAM_NONE
        return template.format(text=escape(text), board=escape(board.short_name), options=options)
    added = _grant(session, person, board, result, actor=person.slack_user_id)
    template = IAM_DONE if added else IAM_ALREADY
    return template.format(name=escape(result.name), board=escape(board.short_name))


def _close(text: str, options: list[Candidate]) -> bool:
    return any(fuzz.WRatio(text.casefold(), c.name.casefold()) >= 75 for c in options)


def _grant(session: Session, person: Person, board: Board, cand: Candidate, *, actor: str) -> bool:
    """Give the person the role or membership; False when they had it already."""
    assert person.id is not None and board.id is not None
    before = _snapshot(session, person)
    if person.board_id != board.id:
        person.board_id = board.id
    if cand.subgroup is not None:
        if cand.subgroup.id in person_subgroup_ids(session, person.id):
            return False
        assert cand.subgroup.id is not None
        session.add(PersonSubgroup(person_id=person.id, subgroup_id=cand.subgroup.id))
    else:
        if cand.name in person.roles:
            return False
        person.roles = [*person.roles, cand.name]
    session.add(person)
    session.flush()
    _audit(session, board, actor, "person.role_added", person, before)
    return True


def make_admin(session: Session, actor: Person, text: str) -> str:
    """Admin: `/lscb admin @person` makes another person a board admin."""
    if not actor.is_admin:
        return NOT_ADMIN.format(what="make admins", admins=_admins(session))
    match = _USER.match(text.strip())
    if match is None:
        return "Usage: `/lscb admin @person`."
    target = person_for(session, match.group(1) or match.group(2), frozenset())
    if target.board_id is None:
        target.board_id = actor.board_id
    before = {"is_admin": target.is_admin}
    target.is_admin = True
    session.add(target)
    board = session.get(Board, target.board_id) if target.board_id else None
    session.add(
        AuditEvent(
            board_id=board.id if board else None,
            actor=actor.slack_user_id,
            event="person.admin_granted",
            entity="person",
            entity_ref=target.slack_user_id,
            before=before,
            after={"is_admin": True},
        )
    )
    return f"<@{target.slack_user_id}> is now a board admin."


def assign(session: Session, actor: Person, board: Board | None, text: str) -> str:
    """Admin: give another person a role or sub-group membership."""
    if not actor.is_admin:
        return NOT_ADMIN.format(what="assign roles", admins=_admins(session))
    user_text, _, role_text = text.strip().partition(" ")
    match = _USER.match(user_text)
    if not match or not role_text.strip():
        return ASSIGN_USAGE
    user_id = match.group(1) or match.group(2)
    target = person_for(session, user_id, frozenset())
    board = board if target.board_id is None else session.get(Board, target.board_id) or board
    if board is None:
        return IAM_NO_BOARD.format(boards=_board_list(session))
    result = resolve_role(session, board, role_text)
    if isinstance(result, list):
        options = ", ".join(f"`{escape(c.name)}`" for c in result) or "none"
        return IAM_AMBIGUOUS.format(
            text=escape(role_text.strip()), board=escape(board.short_name), options=options
        )
    _grant(session, target, board, result, actor=actor.slack_user_id)
    return ASSIGN_DONE.format(
        user=user_id, name=escape(result.name), board=escape(board.short_name)
    )


def set_board(session: Session, actor: Person, text: str) -> str:
    """Pick your own board; an admin may add `@person` to set someone else's."""
    words = text.split()
    target = actor
    if words and _USER.match(words[-1]):
        if not actor.is_admin:
            return NOT_ADMIN.format(what="set another person's board", admins=_admins(session))
        match = _USER.match(words.pop())
        assert match
        target = person_for(session, match.group(1) or match.group(2), frozenset())
    name = " ".join(words)
    if not name:
        return BOARD_USAGE.format(boards=_board_list(session))
    try:
        board = find_board(session, name)
    except UnknownBoard as exc:
        return escape(str(exc))
    if target.board_id != board.id:
        before = _snapshot(session, target)
        target.board_id = board.id
        # Roles and memberships belong to a board: they do not travel to another.
        target.roles = []
        assert target.id is not None
        session.exec(delete(PersonSubgroup).where(col(PersonSubgroup.person_id) == target.id))
        session.add(target)
        session.flush()
        _audit(session, board, actor.slack_user_id, "person.board_set", target, before)
    who = "You are" if target is actor else f"<@{target.slack_user_id}> is"
    return BOARD_DONE.format(who=who, board=escape(board.short_name), code=board.code)


def whoami(session: Session, person: Person) -> str:
    """What the bot has recorded about the person."""
    board = session.get(Board, person.board_id) if person.board_id else None
    if board is None:
        return WHOAMI_NOBODY
    groups = person_subgroup_names(session, person)
    return WHOAMI.format(
        board=escape(board.short_name),
        admin=" (admin)" if person.is_admin else "",
        roles=", ".join(escape(r) for r in person.roles) or "none",
        groups=", ".join(escape(g) for g in groups) or "none",
    )


def _snapshot(session: Session, person: Person) -> dict[str, object]:
    assert person.id is not None
    return {
        "board_id": person.board_id,
        "roles": list(person.roles),
        "subgroup_ids": sorted(person_subgroup_ids(session, person.id)),
    }


def _audit(
    session: Session,
    board: Board,
    actor: str,
    event: str,
    person: Person,
    before: dict[str, object],
) -> None:
    session.add(
        AuditEvent(
            board_id=board.id,
            actor=actor,
            event=event,
            entity="person",
            entity_ref=person.slack_user_id,
            before=before,
            after=_snapshot(session, person),
        )
    )


def _board_list(session: Session) -> str:
    return ", ".join(f"{b.code} ({escape(b.short_name)})" for b in list_boards(session)) or "none"


def _admins(session: Session) -> str:
    admins = session.exec(select(Person).where(col(Person.is_admin).is_(True))).all()
    return ", ".join(f"<@{p.slack_user_id}>" for p in admins) or "none set (ADMIN_USER_IDS)"
