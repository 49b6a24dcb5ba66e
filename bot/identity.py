"""Who people are and what they may do: `/lscb iam` (a request an admin or the chair
confirms), `assign`, `admin`, `board`, `pending` and `whoami`, each change audited.

Admin rights belong to one board (BoardAdmin rows). The ids in ADMIN_USER_IDS are admins of
every board while they are listed: they come from the configuration on every request and are
never stored, so removing an id from it removes what it gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from bot.clock import LONDON, now_utc
from bot.render import Post, Reply, escape
from store import audit
from store.db import session_scope
from store.models import (
    Board,
    BoardAdmin,
    Person,
    PersonSubgroup,
    RequestStatus,
    RoleRequest,
    Subgroup,
    utcnow,
)
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
PICK_BOARD = "Pick your board first with `/lscb board <name>`."
IAM_NO_BOARD = PICK_BOARD[:-1] + " (boards: {boards})."
IAM_DONE = "You are now *{name}* on {board}."
IAM_ALREADY = "You are already *{name}* on {board}."
IAM_AMBIGUOUS = "“{text}” could be several roles on {board}. Which one? {options}"
IAM_NONE = (
    "I can't find “{text}” among {board}'s leads and sub-groups. Nearest: {options}. "
    "Use the name as the plan writes it."
)
UNTIL_THEN = "Until then you can ask “my actions” but not post updates."
IAM_REQUESTED = (
    "I've asked {approvers} to confirm you as *{name}* on {board}. " + UNTIL_THEN + " "
    "I'll message you when they decide."
)
IAM_STILL_WAITING = (
    "You've already asked to be *{name}* on {board}; it is waiting for {approvers}. " + UNTIL_THEN
)
IAM_NOBODY_TO_ASK = (
    "I've noted that you asked to be *{name}* on {board}, but nobody can confirm it yet: "
    "{board} has no admin{no_chair}. Whoever runs the bot can make someone an admin of every "
    "board by adding their Slack user id to `ADMIN_USER_IDS`; that admin can then "
    "`/lscb admin @person` for {board}. " + UNTIL_THEN
)
APPROVERS_CHAIR = "the chair of *{name}*"
APPROVERS_ADMINS = "{board}'s admins"
REQUEST_DM = (
    "<@{user}> asks to be *{name}* on {board}. If you approve, they can post progress updates "
    "on its actions."
)
APPROVE_ACTION = "role_request_approve"
DECLINE_ACTION = "role_request_decline"
APPROVED = "Approved: <@{user}> is now *{name}* on {board}."
DECLINED = "Declined: <@{user}> is not *{name}* on {board}."
TOLD_APPROVED = (
    "<@{actor}> confirmed you as *{name}* on {board}: you can now post updates with `/progress`."
)
TOLD_DECLINED = (
    "<@{actor}> declined your request to be *{name}* on {board}. If that's a mistake, ask them "
    "or another of {board}'s admins."
)
ALREADY_DECIDED = "That request was already {status} by <@{by}>."
ALREADY_WITHDRAWN = "That request was withdrawn: <@{user}> has moved to another board."
NOT_DECIDER = "Only {board}'s admins or the chair of *{name}* can decide this request."
NOT_DECIDER_ROLE = "Only {board}'s admins can decide this request."
REQUEST_GONE = "I can't find that request any more."
PENDING_NONE = "No role requests are waiting on {board}."
PENDING_TITLE = "*Role requests waiting on {board}* ({n})"
PENDING_MORE = "…and {n} more: decide these first."
PENDING_NOT_ALLOWED = "Only {board}'s admins and sub-group chairs can see role requests."
PENDING_LINE = "<@{user}> asks to be *{name}* (asked {when})."
NOT_ADMIN = "Only a board admin can {what} on {board}. Its admins: {admins}."
NO_ADMINS = "none yet (whoever runs the bot sets `ADMIN_USER_IDS`)"
ASSIGN_USAGE = "Usage: `/lscb assign @person <role or sub-group>`."
ASSIGN_DONE = "<@{user}> is now *{name}* on {board}."
ADMIN_USAGE = "Usage: `/lscb admin @person`, or `/lscb admin remove @person`."
ADMIN_DONE = "<@{user}> is now an admin of {board}."
ADMIN_ALREADY = "<@{user}> is already an admin of {board}."
ADMIN_REMOVED = "<@{user}> is no longer an admin of {board}."
ADMIN_REMOVED_LAST = (
    " {board} has no admins of its own now; those in `ADMIN_USER_IDS` can still name one."
)
ADMIN_EVERY_BOARD = "<@{user}> is already an admin of every board, through `ADMIN_USER_IDS`."
ADMIN_NOT = "<@{user}> isn't an admin of {board}."
ADMIN_FROM_CONFIG = (
    "<@{user}> is an admin through `ADMIN_USER_IDS`, which only whoever runs the bot can "
    "change: remove the id there and restart."
)
BOARD_DONE = "{who} now on *{board}* ({code}). Ask me “what are my actions” or `help`."
BOARD_USAGE = "Usage: `/lscb board <name or code>`. Boards: {boards}."
WHOAMI = "You are on *{board}*{admin}. Roles: {roles}. Sub-groups: {groups}."
WHOAMI_WAITING = " Waiting for confirmation: {names}."
WHOAMI_NOBODY = (
    "You haven't told me who you are yet. Try `/lscb board <name>` then `/lscb iam <role>`."
)

# A Slack mention as Slack sends it (<@U123|name>), or an id typed by hand (@U123, U123).
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_TYPED_ID = re.compile(r"^@?([UW][A-Z0-9]{2,})$")
CONFIDENT = 90
AMBIGUOUS_GAP = 6
MAX_PENDING_SHOWN = 20  # two blocks each, inside Slack's 50
_BOOTSTRAP = "bootstrap_admin_ids"  # session.info key: this request's ADMIN_USER_IDS


@dataclass(frozen=True)
class Candidate:
    name: str
    subgroup: Subgroup | None  # None: a lead role as the plan writes it


# -- people ------------------------------------------------------------------------------------


def person_for(session: Session, user_id: str, admin_ids: frozenset[str] | None = None) -> Person:
    """The person row for a Slack user, created on first contact; safe when requests race.

    `admin_ids` (ADMIN_USER_IDS) are remembered for this session's permission checks only.
    """
    if admin_ids:
        session.info[_BOOTSTRAP] = bootstrap_admins(session) | admin_ids
    person = _find_person(session, user_id)
    if person is None:
        _insert_person(session, user_id)
        person = _find_person(session, user_id)
        assert person is not None
    return person


def _find_person(session: Session, user_id: str) -> Person | None:
    return session.exec(select(Person).where(Person.slack_user_id == user_id)).first()


def _insert_person(session: Session, user_id: str) -> None:
    """Insert the person unless another request already has: no IntegrityError either way."""
    values = {
        "slack_user_id": user_id,
        "roles": [],
        "is_admin": False,
        "nudges_off": False,
        "created_at": utcnow(),
    }
    table = Person.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(table).values(**values).on_conflict_do_nothing(index_elements=["slack_user_id"])
        )
        session.exec(stmt)
        return
    try:  # any other database: a savepoint, so a lost race leaves the transaction usable
        with session.begin_nested():
            session.exec(table.insert().values(**values))
    except IntegrityError:
        pass


def bootstrap_admins(session: Session) -> frozenset[str]:
    """This request's ADMIN_USER_IDS (admins of every board while they are listed)."""
    return frozenset(session.info.get(_BOOTSTRAP, frozenset()))


def is_board_admin(session: Session, person: Person | None, board: Board | None) -> bool:
    """Whether the person is an admin of `board`: granted on it, or listed in ADMIN_USER_IDS."""
    if person is None or board is None:
        return False
    if person.slack_user_id in bootstrap_admins(session):
        return True
    if person.id is None or board.id is None:
        return False
    return session.get(BoardAdmin, (person.id, board.id)) is not None


def board_admin_ids(session: Session, board: Board) -> list[str]:
    """Slack ids of the board's own admins (granted with `/lscb admin`), oldest grant first."""
    return list(
        session.exec(
            select(Person.slack_user_id)
            .join(BoardAdmin, col(BoardAdmin.person_id) == col(Person.id))
            .where(BoardAdmin.board_id == board.id)
            .order_by(col(BoardAdmin.granted_at))
        )
    )


def chairs_of(session: Session, group: Subgroup) -> list[str]:
    """Slack ids of the sub-group's chairs."""
    return list(
        session.exec(
            select(Person.slack_user_id)
            .join(PersonSubgroup, col(PersonSubgroup.person_id) == col(Person.id))
            .where(PersonSubgroup.subgroup_id == group.id, col(PersonSubgroup.is_chair).is_(True))
            .order_by(col(Person.slack_user_id))
        )
    )


def chairs(session: Session, person: Person, group: Subgroup) -> bool:
    """Whether the person chairs the sub-group."""
    if person.id is None or group.id is None:
        return False
    link = session.get(PersonSubgroup, (person.id, group.id))
    return bool(link and link.is_chair)


def pending_requests(session: Session, person: Person, board: Board) -> list[RoleRequest]:
    """The person's role requests on `board` that nobody has decided yet."""
    return list(
        session.exec(
            select(RoleRequest)
            .where(
                RoleRequest.person_id == person.id,
                RoleRequest.board_id == board.id,
                RoleRequest.status == RequestStatus.PENDING.value,
            )
            .order_by(col(RoleRequest.id))
        )
    )


def mentioned_user(text: str) -> str | None:
    """The Slack user id in a mention (<@U…>) or typed by hand (@U…, U…), else None."""
    match = _MENTION.match(text.strip()) or _TYPED_ID.match(text.strip())
    return match.group(1) if match else None


# -- roles -------------------------------------------------------------------------------------


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


def iam(session: Session, person: Person, board: Board | None, text: str) -> Reply:
    """`/lscb iam <role>`: ask for a role; admins of the board and the sub-group's chair get it
    at once, anyone else waits for one of them to approve (they are sent the request)."""
    if board is None:
        return Reply(text=IAM_NO_BOARD.format(boards=_board_list(session)))
    if not text:
        example = next((c.name for c in candidates(session, board)), "Business Manager")
        return Reply(text=IAM_USAGE.format(example=escape(example)))
    result = resolve_role(session, board, text)
    if isinstance(result, list):
        options = ", ".join(f"`{escape(c.name)}`" for c in result) or "none"
        template = IAM_AMBIGUOUS if result and _close(text, result) else IAM_NONE
        return Reply(
            text=template.format(text=escape(text), board=escape(board.short_name), options=options)
        )
    words = {"name": escape(result.name), "board": escape(board.short_name)}
    if _holds(session, person, board, result):
        return Reply(text=IAM_ALREADY.format(**words))
    if is_board_admin(session, person, board) or (
        result.subgroup is not None and chairs(session, person, result.subgroup)
    ):
        _grant(session, person, board, result, actor=person.slack_user_id)
        return Reply(text=IAM_DONE.format(**words))
    approvers, who = _approvers(session, board, result.subgroup)
    waiting = [r for r in pending_requests(session, person, board) if r.role == result.name]
    if waiting:
        return Reply(text=IAM_STILL_WAITING.format(approvers=who or "an admin", **words))
    request = _request(session, person, board, result)
    if not approvers:
        no_chair = f" and *{escape(result.name)}* no chair" if result.subgroup else ""
        return Reply(text=IAM_NOBODY_TO_ASK.format(no_chair=no_chair, **words))
    dm_text = REQUEST_DM.format(user=person.slack_user_id, **words)
    blocks = [block.to_dict() for block in _request_blocks(dm_text, request)]
    posts: list[Post] = [(approver, dm_text, blocks) for approver in approvers]
    return Reply(text=IAM_REQUESTED.format(approvers=who, **words), posts=posts)


def _close(text: str, options: list[Candidate]) -> bool:
    return any(fuzz.WRatio(text.casefold(), c.name.casefold()) >= 75 for c in options)


def _holds(session: Session, person: Person, board: Board, cand: Candidate) -> bool:
    if person.board_id != board.id:
        return False
    if cand.subgroup is not None:
        assert person.id is not None
        return cand.subgroup.id in person_subgroup_ids(session, person.id)
    return cand.name in person.roles


def _approvers(session: Session, board: Board, group: Subgroup | None) -> tuple[list[str], str]:
    """Who is asked to confirm a role: the sub-group's chairs, else the board's admins (its
    own, else those in ADMIN_USER_IDS); and how to say so."""
    if group is not None:
        found = chairs_of(session, group)
        if found:
            return found, APPROVERS_CHAIR.format(name=escape(group.name))
    admins = board_admin_ids(session, board) or sorted(bootstrap_admins(session))
    return admins, APPROVERS_ADMINS.format(board=escape(board.short_name)) if admins else ""


def _request(session: Session, person: Person, board: Board, cand: Candidate) -> RoleRequest:
    assert person.id is not None and board.id is not None
    if person.board_id is None:
        person.board_id = board.id  # "my actions" reads the board a person is on
        session.add(person)
    request = RoleRequest(
        board_id=board.id,
        person_id=person.id,
        role=cand.name,
        subgroup_id=cand.subgroup.id if cand.subgroup else None,
    )
    session.add(request)
    session.flush()
    _audit_request(session, board, person.slack_user_id, "person.role_requested", request, None)
    return request


def _request_blocks(text: str, request: RoleRequest) -> list[Block]:
    return [
        SectionBlock(text=MarkdownTextObject(text=text)),
        _decision_buttons(request),
    ]


def _decision_buttons(request: RoleRequest) -> ActionsBlock:
    return ActionsBlock(
        elements=[
            ButtonElement(
                text="Approve", action_id=APPROVE_ACTION, value=str(request.id), style="primary"
            ),
            ButtonElement(
                text="Decline", action_id=DECLINE_ACTION, value=str(request.id), style="danger"
            ),
        ]
    )


def _grant(session: Session, person: Person, board: Board, cand: Candidate, *, actor: str) -> bool:
    """Give the person the role or membership; False when they had it already."""
    assert person.id is not None and board.id is not None
    before = _snapshot(session, person)
    if person.board_id != board.id:
        _move(session, person, board, actor)
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


def decide(
    session: Session, actor: Person, request_id: int, approve: bool, now: datetime
) -> tuple[Reply, bool]:
    """Approve or decline a role request; the reply for whoever clicked, and whether this
    click decided it. Rights are checked now, not when the request was sent."""
    request = session.get(RoleRequest, request_id)
    board = session.get(Board, request.board_id) if request else None
    requester = session.get(Person, request.person_id) if request else None
    if request is None or board is None or requester is None:
        return Reply(text=REQUEST_GONE), False
    group = session.get(Subgroup, request.subgroup_id) if request.subgroup_id else None
    words = {"name": escape(request.role), "board": escape(board.short_name)}
    if not (is_board_admin(session, actor, board) or (group and chairs(session, actor, group))):
        template = NOT_DECIDER if group else NOT_DECIDER_ROLE
        return Reply(text=template.format(**words)), False
    status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
    # Only one click can move a request out of "pending", however many approvers race.
    moved = session.exec(
        update(RoleRequest)
        .where(
            col(RoleRequest.id) == request.id,
            col(RoleRequest.status) == RequestStatus.PENDING.value,
        )
        .values(status=status.value, decided_by=actor.slack_user_id, decided_at=now)
    ).rowcount
    if moved != 1:
        session.refresh(request)
        if request.status == RequestStatus.WITHDRAWN.value:
            return Reply(text=ALREADY_WITHDRAWN.format(user=requester.slack_user_id)), False
        return Reply(
            text=ALREADY_DECIDED.format(status=request.status, by=request.decided_by or "someone")
        ), False
    session.refresh(request)
    event = "person.role_request_approved" if approve else "person.role_request_declined"
    _audit_request(session, board, actor.slack_user_id, event, request, RequestStatus.PENDING)
    user = requester.slack_user_id
    if approve:
        _grant(session, requester, board, Candidate(request.role, group), actor=actor.slack_user_id)
        told = TOLD_APPROVED.format(actor=actor.slack_user_id, **words)
        return Reply(text=APPROVED.format(user=user, **words), posts=[(user, told)]), True
    told = TOLD_DECLINED.format(actor=actor.slack_user_id, **words)
    return Reply(text=DECLINED.format(user=user, **words), posts=[(user, told)]), True


def decide_request(
    engine: Engine,
    *,
    user_id: str,
    value: str | None,
    approve: bool,
    admin_ids: frozenset[str],
    now: datetime | None = None,
) -> tuple[Reply, bool]:
    """An Approve or Decline button was pressed (in a DM or `/lscb pending`)."""
    if not (value or "").isdigit():
        return Reply(text=REQUEST_GONE), False
    with session_scope(engine) as session:
        actor = person_for(session, user_id, admin_ids)
        return decide(session, actor, int(str(value)), approve, now or now_utc())


def pending(session: Session, actor: Person, board: Board | None) -> Reply:
    """`/lscb pending`: the open role requests this person may decide, with the buttons."""
    if board is None or board.id is None:
        return Reply(text=IAM_NO_BOARD.format(boards=_board_list(session)))
    admin = is_board_admin(session, actor, board)
    assert actor.id is not None
    chaired = set(
        session.exec(
            select(PersonSubgroup.subgroup_id).where(
                PersonSubgroup.person_id == actor.id, col(PersonSubgroup.is_chair).is_(True)
            )
        )
    )
    words = {"board": escape(board.short_name)}
    if not admin and not chaired:
        return Reply(text=PENDING_NOT_ALLOWED.format(**words))
    rows = session.exec(
        select(RoleRequest, Person.slack_user_id)
        .join(Person, col(Person.id) == col(RoleRequest.person_id))
        .where(
            RoleRequest.board_id == board.id,
            RoleRequest.status == RequestStatus.PENDING.value,
        )
        .order_by(col(RoleRequest.id))
    ).all()
    mine = [(r, user) for r, user in rows if admin or r.subgroup_id in chaired]
    if not mine:
        return Reply(text=PENDING_NONE.format(**words))
    title = PENDING_TITLE.format(n=len(mine), **words)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=title))]
    for request, user in mine[:MAX_PENDING_SHOWN]:
        when = f"{request.requested_at.astimezone(LONDON):%-d %b %Y}"
        line = PENDING_LINE.format(user=user, name=escape(request.role), when=when)
        blocks += [SectionBlock(text=MarkdownTextObject(text=line)), _decision_buttons(request)]
    if len(mine) > MAX_PENDING_SHOWN:
        more = PENDING_MORE.format(n=len(mine) - MAX_PENDING_SHOWN)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return Reply(text=title, blocks=blocks)


def assign(session: Session, actor: Person, board: Board | None, text: str) -> str:
    """Admin: give another person a role or sub-group membership at once."""
    user_text, _, role_text = text.strip().partition(" ")
    user_id = mentioned_user(user_text)
    if user_id is None or not role_text.strip():
        return ASSIGN_USAGE
    target = _find_person(session, user_id)
    if target is not None and target.board_id is not None:
        board = session.get(Board, target.board_id) or board
    if board is None:
        return IAM_NO_BOARD.format(boards=_board_list(session))
    if not is_board_admin(session, actor, board):
        return _not_admin(session, board, "assign roles")
    result = resolve_role(session, board, role_text)
    if isinstance(result, list):
        options = ", ".join(f"`{escape(c.name)}`" for c in result) or "none"
        return IAM_AMBIGUOUS.format(
            text=escape(role_text.strip()), board=escape(board.short_name), options=options
        )
    target = target or person_for(session, user_id)
    _grant(session, target, board, result, actor=actor.slack_user_id)
    for request in pending_requests(session, target, board):
        if request.role == result.name:  # the admin has answered it
            request.status = RequestStatus.APPROVED.value
            request.decided_by, request.decided_at = actor.slack_user_id, utcnow()
            session.add(request)
            _audit_request(
                session,
                board,
                actor.slack_user_id,
                "person.role_request_approved",
                request,
                RequestStatus.PENDING,
            )
    return ASSIGN_DONE.format(
        user=user_id, name=escape(result.name), board=escape(board.short_name)
    )


# -- admins ------------------------------------------------------------------------------------


def admin_command(session: Session, actor: Person, board: Board | None, text: str) -> str:
    """`/lscb admin @person` grants admin of the granting admin's board; `admin remove @person`
    revokes it. Both audited."""
    words = text.split()
    remove = bool(words) and words[0].lower() in ("remove", "revoke")
    user_id = mentioned_user(words[-1]) if len(words) == 1 + remove else None
    if user_id is None:
        return ADMIN_USAGE
    if board is None or board.id is None:
        return IAM_NO_BOARD.format(boards=_board_list(session))
    if not is_board_admin(session, actor, board):
        return _not_admin(session, board, "remove admins" if remove else "make admins")
    target = person_for(session, user_id)
    assert target.id is not None
    names = {"user": user_id, "board": escape(board.short_name)}
    row = session.get(BoardAdmin, (target.id, board.id))
    if remove:
        if user_id in bootstrap_admins(session):
            return ADMIN_FROM_CONFIG.format(**names)
        if row is None:
            return ADMIN_NOT.format(**names)
        session.delete(row)
        session.flush()
        _audit_admin(session, board, actor, target, "person.admin_revoked", after=False)
        left = "" if board_admin_ids(session, board) else ADMIN_REMOVED_LAST.format(**names)
        return ADMIN_REMOVED.format(**names) + left
    if row is not None:
        return ADMIN_ALREADY.format(**names)
    if user_id in bootstrap_admins(session):  # a stored grant would outlive the config
        return ADMIN_EVERY_BOARD.format(**names)
    if target.board_id is None:
        target.board_id = board.id
        session.add(target)
    session.add(BoardAdmin(person_id=target.id, board_id=board.id, granted_by=actor.slack_user_id))
    session.flush()
    _audit_admin(session, board, actor, target, "person.admin_granted", after=True)
    return ADMIN_DONE.format(**names)


def _not_admin(session: Session, board: Board, what: str) -> str:
    admins = _admins(session, board)
    return NOT_ADMIN.format(board=escape(board.short_name), what=what, admins=admins)


def _admins(session: Session, board: Board) -> str:
    own, bootstrap = board_admin_ids(session, board), sorted(bootstrap_admins(session))
    ids = list(dict.fromkeys([*own, *bootstrap]))
    return ", ".join(f"<@{i}>" for i in ids) or NO_ADMINS


# -- boards ------------------------------------------------------------------------------------


def set_board(session: Session, actor: Person, text: str) -> str:
    """Pick your own board; an admin may add `@person` to set someone else's."""
    words = text.split()
    target = actor
    user_id = _person_named_last(session, words)
    if user_id is not None:
        words.pop()
    name = " ".join(words)
    if not name:
        return BOARD_USAGE.format(boards=_board_list(session))
    try:
        board = find_board(session, name)
    except UnknownBoard as exc:
        return escape(str(exc))
    if user_id is not None:
        found = _find_person(session, user_id)
        current = session.get(Board, found.board_id) if found and found.board_id else None
        # Moving someone drops their roles on their current board: admins of both may do it.
        for needed in (board, current):
            if needed is not None and not is_board_admin(session, actor, needed):
                return _not_admin(session, needed, "set another person's board")
        target = found or person_for(session, user_id)
    if target.board_id != board.id:
        before = _snapshot(session, target)
        _move(session, target, board, actor.slack_user_id)
        session.flush()
        _audit(session, board, actor.slack_user_id, "person.board_set", target, before)
    who = "You are" if target is actor else f"<@{target.slack_user_id}> is"
    return BOARD_DONE.format(who=who, board=escape(board.short_name), code=board.code)


def _person_named_last(session: Session, words: list[str]) -> str | None:
    """A person named after the board: a real mention, or `@U…` that is not a board's name.

    A bare word is always a board ("WSCB" looks like a Slack user id but is a board code)."""
    if len(words) < 2:
        return None
    last = words[-1]
    match = _MENTION.match(last)
    if match:
        return match.group(1)
    match = _TYPED_ID.match(last)
    if match is None or not last.startswith("@"):
        return None
    try:
        find_board(session, last[1:])
    except UnknownBoard:
        return match.group(1)
    return None


def _move(session: Session, person: Person, board: Board, actor: str) -> None:
    """Put the person on `board`. Roles, memberships and open requests belong to a board:
    they do not travel to another."""
    assert person.id is not None
    if person.board_id is not None:
        person.roles = []
        session.exec(delete(PersonSubgroup).where(col(PersonSubgroup.person_id) == person.id))
    person.board_id = board.id
    session.add(person)
    _withdraw_requests(session, person, board, actor)


def _withdraw_requests(session: Session, person: Person, board: Board, actor: str) -> None:
    """A person who moves board withdraws their open requests on every other board."""
    rows = session.exec(
        select(RoleRequest).where(
            RoleRequest.person_id == person.id,
            RoleRequest.board_id != board.id,
            RoleRequest.status == RequestStatus.PENDING.value,
        )
    ).all()
    for request in rows:
        request.status = RequestStatus.WITHDRAWN.value
        request.decided_by, request.decided_at = actor, utcnow()
        session.add(request)
        old = session.get(Board, request.board_id)
        assert old is not None
        _audit_request(
            session, old, actor, "person.role_request_withdrawn", request, RequestStatus.PENDING
        )


def whoami(session: Session, person: Person) -> str:
    """What the bot has recorded about the person."""
    board = session.get(Board, person.board_id) if person.board_id else None
    if board is None:
        return WHOAMI_NOBODY
    groups = person_subgroup_names(session, person)
    text = WHOAMI.format(
        board=escape(board.short_name),
        admin=" (admin)" if is_board_admin(session, person, board) else "",
        roles=", ".join(escape(r) for r in person.roles) or "none",
        groups=", ".join(escape(g) for g in groups) or "none",
    )
    waiting = pending_requests(session, person, board)
    if waiting:
        text += WHOAMI_WAITING.format(names=", ".join(f"*{escape(r.role)}*" for r in waiting))
    return text


# -- audit -------------------------------------------------------------------------------------


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
    audit.record(
        session,
        actor=actor,
        event=event,
        entity="person",
        ref=person.slack_user_id,
        board_id=board.id,
        before=before,
        after=_snapshot(session, person),
    )


def _audit_request(
    session: Session,
    board: Board,
    actor: str,
    event: str,
    request: RoleRequest,
    before: RequestStatus | None,
) -> None:
    requester = session.get(Person, request.person_id)
    audit.record(
        session,
        actor=actor,
        event=event,
        entity="role_request",
        ref=requester.slack_user_id if requester else str(request.id),
        board_id=board.id,
        before={"status": before.value} if before else None,
        after={"request_id": request.id, "role": request.role, "status": request.status},
    )


def _audit_admin(
    session: Session, board: Board, actor: Person, target: Person, event: str, after: bool
) -> None:
    audit.record(
        session,
        actor=actor.slack_user_id,
        event=event,
        entity="person",
        ref=target.slack_user_id,
        board_id=board.id,
        before={"admin_of": None if after else board.code},
        after={"admin_of": board.code if after else None},
    )


def _board_list(session: Session) -> str:
    return ", ".join(f"{b.code} ({escape(b.short_name)})" for b in list_boards(session)) or "none"
