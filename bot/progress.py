"""Progress updates: who may update what, the quick `/progress` form, recording, history.

Every path that writes an update (the quick form, a candidate button, the modal) ends in
`record_update`, which checks permission and the data-protection guard before anything is
saved, writes one append-only row (once, however often Slack retries), and audits it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, literal_column, null, union_all
from sqlalchemy import select as sa_select  # untyped: rows of mixed kinds
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.clock import LONDON
from bot.identity import PICK_BOARD, bootstrap_admins, is_board_admin
from bot.render import Post, escape, fmt_date
from bot.roles import Aliases, board_aliases, role_identity
from bot.search import PlanIndex, looks_like_ref, tokens
from store import audit, withdrawals
from store.models import (
    Board,
    BoardAdmin,
    Person,
    PersonSubgroup,
    ProgressUpdate,
    ProgressWithdrawal,
    RequestStatus,
    RoleRequest,
    Subgroup,
)
from store.queries import COMPLETE, NO_UPDATE, ActionView, UpdateView, action_views
from store.state import apply_update

logger = logging.getLogger(__name__)

# -- wording -----------------------------------------------------------------------------------

USAGE = (
    "Usage: `/progress <ref or words> [red|amber|green|done] <note>`, e.g. "
    "`/progress 1.2a amber toolkit drafted, pathway delayed to March`. "
    "`/progress` alone opens a form; `/progress history <ref>` shows an action's timeline."
)
NEED_STATUS = (
    "I couldn't tell which words name the action and which are your note. Start with the "
    "action's ref (e.g. `/progress 1.2a green …`) or put a status after the action's words "
    "(e.g. `/progress neglect toolkit amber …`)."
)
BAD_STATUS = (
    "“{word}” isn't a status I know. Use one of: red, amber, green, done "
    "(or r/a/g, on track, at risk, off track, complete)."
)
NO_MATCH = "I couldn't find an action matching “{words}” that you can update on {board}."
NO_MATCH_NEAREST = " Nearest: {options}. Use the ref, e.g. `/progress {example} amber <note>`."
NOT_ALLOWED = (
    "You can't update *{ref}*: it is led by {owners}. Ask one of them, or a board admin, to "
    "post the update."
)
PICK_ONE = "Several actions match “{words}”. Which one did you mean?"
RECORDED = "Recorded for *{ref}* {text}: {changes}."
ANNOUNCE = "<@{user}> updated *{ref}* {text}: {changes}."
DUPLICATE = "That update for *{ref}* was already recorded."
NOTE_TOO_LONG = (
    "That note is {n} characters; a quick update takes up to {limit}. Nothing was saved: "
    "use `/progress` alone for the form, which takes longer notes."
)
PERCENT_RANGE = "Percent complete must be a whole number from 0 to 100."
STATUS_INVALID = "That isn't an update I can record: the status must be red, amber, green or done."
TEXT_INVALID = (
    "That isn't an update I can record: a note or reason is text of at most {limit} characters."
)
DATE_RANGE = "{what} must be between {start} and {end}."
NOTHING_TO_RECORD = (
    "Nothing to record: give a status, a note, a percentage, a completion or a new target."
)
NOTHING_FOR = (
    "Nothing to record for *{ref}*: add a status or a note, e.g. `/progress {ref} amber <note>` "
    "or `/progress {ref} <note>`. `/progress` alone opens the form (percent complete, "
    "completion, a new target date)."
)
REASON_NEEDED = "A new target date needs a reason."
UNDO_MINUTES = 10
SAME_WINDOW = timedelta(minutes=2)  # the same update again within this is a repeat
UNDO_HINT = "Sent twice, or by mistake? *Undo* (or `/progress undo`) within {m} minutes."
SAME_AS_LAST = (
    "That looks like the update you just sent for *{ref}* ({when}), so I haven't recorded it "
    "again. To take that one back: `/progress undo` (within {m} minutes)."
)
UNDONE = (
    "Undone: your update on *{ref}* {text} of {when} ({changes}) is withdrawn, and *{ref}* is "
    "back to {state}. It stays in the history, marked undone."
)
ANNOUNCE_UNDO = "<@{user}> took back their update on *{ref}* {text} of {when}."
UNDO_NONE = "You have no update on *{board}* to undo."
UNDO_TOO_OLD = (
    "Your last update (on *{ref}*, {when}) is more than {m} minutes old, so it can't be undone. "
    "A board admin can correct it with `/progress correct {ref} [status] [note]`."
)
UNDO_NOT_YOURS = "Only the person who sent an update can undo it."
UNDO_ALREADY = "That update on *{ref}* was already taken back."
CORRECT_USAGE = (
    "Usage (board admins): `/progress correct <ref> [red|amber|green|done] [note]`. It withdraws "
    "the action's newest update (kept in the history, marked corrected) and, with a status or "
    "a note, records yours in its place."
)
CORRECT_NOT_ADMIN = (
    "Only a board admin can correct an update. To take back your own within {m} minutes: "
    "`/progress undo`."
)
CORRECT_NOTHING = "*{ref}* has no update to correct."
CORRECTED = (
    "Corrected *{ref}* {text}: the update of {when} by <@{author}> ({changes}) is withdrawn and "
    "kept in the history{replaced}. *{ref}* is now {state}."
)
REPLACED = "; in its place: {changes}"
KEEP_NOTE = "\nWhat you wrote, to copy into the next try:\n> {note}"
NO_HISTORY = "No updates yet for *{ref}* {text}."
NO_CHANGE = "nothing changed"

STATUS_WORDS = {
    "r": "red",
    "red": "red",
    "off track": "red",
    "off-track": "red",
    "a": "amber",
    "amber": "amber",
    "at risk": "amber",
    "at-risk": "amber",
    "g": "green",
    "green": "green",
    "on track": "green",
    "on-track": "green",
    "done": COMPLETE,
    "complete": COMPLETE,
    "completed": COMPLETE,
    "finished": COMPLETE,
}
NOT_STATUSES = {
    "yellow",
    "orange",
    "blue",
    "purple",
    "black",
    "white",
    "grey",
    "gray",
    "pink",
    "brown",
    "rag",
    "redish",
    "ambre",
    "gren",
    "grn",
    "amb",
}
MAX_QUICK_NOTE = 1500
STATUS_VALUES = frozenset({"red", "amber", "green", COMPLETE})
MAX_NOTE = 2900  # the form's limit on a note
MAX_REASON = 500  # and on a re-target reason
EARLIEST_DATE = date(2000, 1, 1)
MAX_YEARS_AHEAD = 10  # how far a target date may move
MAX_CANDIDATES = 5


class Refused(Exception):
    """An update that must not be saved; the message is safe to show the user."""


@dataclass
class QuickForm:
    """`/progress` text, read: the action (ref or words), status and note."""

    ref: str | None = None
    words: str = ""
    rag: str | None = None
    note: str = ""
    error: str | None = None


@dataclass
class Change:
    """What one update asks to change."""

    rag: str | None = None
    note: str | None = None
    percent: int | None = None
    completed_on: date | None = None
    new_due: date | None = None
    reason: str | None = None
    key: str | None = None

    def to_value(self) -> dict[str, Any]:
        """A JSON-safe dict (for a button's value)."""
        return {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in self.__dict__.items()
            if v is not None
        }

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Change:
        out = cls(**{k: v for k, v in value.items() if k in cls.__dataclass_fields__})
        for name in ("completed_on", "new_due"):
            raw = getattr(out, name)
            if isinstance(raw, str):
                setattr(out, name, date.fromisoformat(raw))
        return out


@dataclass
class Outcome:
    """What happened to an attempted update, for the renderer."""

    message: str
    action: ActionView | None = None
    recorded: bool = False
    candidates: list[ActionView] = field(default_factory=list)
    change: Change | None = None
    posts: list[Post] = field(default_factory=list)
    update_id: int | None = None  # the update just recorded: what an Undo button takes back
    repeated: bool = False  # refused as the same update sent again: nothing to hand back
    changes: str = ""  # what the recorded update changed, in words
    board: str | None = None  # the board's code, with update_id: for the Undo button


def parse_quick(text: str) -> QuickForm:
    """Split `/progress` text into action, status and note."""
    words = text.split()
    if not words:
        return QuickForm(error=USAGE)
    lowered = [w.lower().strip(",:;.!") for w in words]
    if looks_like_ref(words[0].strip(",:;")):
        rest = 1
        status, used = _status_at(lowered, rest)
        named = next((j for j in range(rest, len(words)) if lowered[j] not in STATUS_LABELS), None)
        if used == 0 and named is not None and lowered[named] in NOT_STATUSES:
            return QuickForm(error=BAD_STATUS.format(word=escape(words[named])))
        return QuickForm(ref=words[0].strip(",:;"), rag=status, note=" ".join(words[rest + used :]))
    for i in range(1, len(words)):
        status, used = _status_at(lowered, i)
        if used:
            return QuickForm(
                words=" ".join(words[:i]), rag=status, note=" ".join(words[i + used :])
            )
        if lowered[i] in NOT_STATUSES:
            return QuickForm(error=BAD_STATUS.format(word=escape(words[i])))
    return QuickForm(error=NEED_STATUS)


#: Words people put before a status: "RAG: Amber", "status - green", "rag rating now red".
STATUS_LABELS = frozenset({"rag", "rating", "status", "-", "–", "now", "is", "="})


def _status_at(words: list[str], i: int) -> tuple[str | None, int]:
    skipped = 0
    while i + skipped < len(words) and words[i + skipped] in STATUS_LABELS:
        skipped += 1
    if skipped:
        status, used = _status_at(words[:i] + words[i + skipped :], i)
        return (status, used + skipped) if used else (None, 0)
    pair = " ".join(words[i : i + 2])
    if pair in STATUS_WORDS:
        return STATUS_WORDS[pair], 2
    if i < len(words) and words[i] in STATUS_WORDS:
        return STATUS_WORDS[words[i]], 1
    return None, 0


# -- permissions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Membership:
    """What a person holds on one board, read once and then checked against many actions."""

    roles: frozenset[str] = frozenset()  # case-folded role names, as the plan writes leads
    groups: frozenset[str] = frozenset()  # sub-group names
    is_admin: bool = False  # of this board
    # Asked for with `/lscb iam` and not yet confirmed: theirs for reading, not for updating.
    pending_roles: frozenset[str] = frozenset()
    pending_groups: frozenset[str] = frozenset()
    aliases: Aliases = ()  # the board's declared spellings of one role

    @property
    def empty(self) -> bool:
        return not (self.roles or self.groups or self.pending_roles or self.pending_groups)

    def leads(self, view: ActionView) -> bool:
        """The person leads the action by a confirmed role or sub-group membership."""
        return _holds(self._confirmed, self.groups, view, self.aliases)

    def owns(self, view: ActionView) -> bool:
        """The action is the person's, by a confirmed or a requested role ("my actions")."""
        return self.leads(view) or _holds(self._pending, self.pending_groups, view, self.aliases)

    # Performance only: the roles' and groups' identities, worked out once per membership
    # rather than once per action it is checked against.
    @cached_property
    def _confirmed(self) -> frozenset[frozenset[str]]:
        return _identities((*self.roles, *self.groups), self.aliases)

    @cached_property
    def _pending(self) -> frozenset[frozenset[str]]:
        return _identities((*self.pending_roles, *self.pending_groups), self.aliases)

    def may_update(self, view: ActionView) -> bool:
        """Confirmed leads, members of the owning sub-group, and the board's admins may update."""
        return self.is_admin or self.leads(view)


def _holds(
    identities: frozenset[frozenset[str]], groups: frozenset[str], view: ActionView,
    aliases: Aliases,
) -> bool:
    # One role, however the plan spells it: "LSCB Chair" holds "Chair of LSCB" (bot.roles).
    # `identities` are the role identities of the person's roles and groups (a group can be
    # named as a lead).
    return not identities.isdisjoint(
        _lead_identities(view.leads, view.lead, aliases)
    ) or not groups.isdisjoint(view.subgroups)


def _identities(names: tuple[str, ...], aliases: Aliases) -> frozenset[frozenset[str]]:
    return frozenset(role_identity(n, aliases) for n in names)


@lru_cache(maxsize=65_536)
def _lead_identities(
    leads: tuple[str, ...], lead: str | None, aliases: Aliases
) -> frozenset[frozenset[str]]:
    """The role identities of an action's leads (never the empty one)."""
    return frozenset(role_identity(x, aliases) for x in (*leads, lead or "")) - {frozenset()}


def membership(session: Session, person: Person | None, board: Board) -> Membership:
    """The person's roles and sub-groups on `board` (none on another board), and whether they
    are an admin of it, read now: every write calls this at the moment of writing."""
    if person is None:
        return Membership()
    if person.board_id != board.id or person.id is None or board.id is None:
        return Membership(is_admin=is_board_admin(session, person, board))
    rows = session.execute(_MEMBERSHIP, {"person": person.id, "board": board.id}).all()
    asked = [(name, group) for kind, name, group in rows if kind == 2]
    return Membership(
        roles=frozenset(r.casefold() for r in person.roles),
        groups=frozenset(name for kind, name, _ in rows if kind == 1),
        is_admin=person.slack_user_id in bootstrap_admins(session)
        or any(kind == 0 for kind, _, _ in rows),
        pending_roles=frozenset(role.casefold() for role, group in asked if group is None),
        pending_groups=frozenset(role for role, group in asked if group is not None),
        aliases=board_aliases(board.role_aliases),
    )


def _membership_statement() -> Any:
    """The admin grant, the sub-groups and the pending requests in one statement (each
    question and update asks it), built once: (0, None, None), (1, sub-group name, None),
    (2, role asked for, its sub-group's id or None)."""
    person: Any = bindparam("person")
    board: Any = bindparam("board")
    no_text, no_id = cast(null(), String), cast(null(), Integer)  # typed: PostgreSQL's UNION
    granted: Any = sa_select(literal_column("0"), no_text, no_id).where(
        col(BoardAdmin.person_id) == person, col(BoardAdmin.board_id) == board
    )
    groups: Any = (
        sa_select(literal_column("1"), col(Subgroup.name), no_id)
        .join(PersonSubgroup, col(PersonSubgroup.subgroup_id) == col(Subgroup.id))
        .where(
            col(PersonSubgroup.person_id) == person,
            col(Subgroup.board_id) == board,
            col(Subgroup.archived_at).is_(None),
        )
    )
    waiting: Any = sa_select(
        literal_column("2"), col(RoleRequest.role), col(RoleRequest.subgroup_id)
    ).where(
        col(RoleRequest.person_id) == person,
        col(RoleRequest.board_id) == board,
        col(RoleRequest.status) == RequestStatus.PENDING.value,
    )
    return union_all(granted, groups, waiting)


_MEMBERSHIP = _membership_statement()


def memberships(
    session: Session, board: Board, people: Sequence[Person]
) -> dict[int, Membership]:
    """`membership` of each of `people` who is on `board` (by person id), read in one
    statement for the whole board rather than three a person: what a digest's nudges check."""
    assert board.id is not None
    admins: set[int] = set()
    groups: dict[int, list[str]] = defaultdict(list)
    asked: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    for kind, person_id, name, group_id in session.execute(
        _memberships_statement(), {"board": board.id}
    ):
        if kind == 0:
            admins.add(person_id)
        elif kind == 1:
            groups[person_id].append(name)
        else:
            asked[person_id].append((name, group_id))
    bootstrap = bootstrap_admins(session)
    aliases = board_aliases(board.role_aliases)
    out = {}
    for person in people:
        if person.id is None or person.board_id != board.id:
            continue
        waiting = asked.get(person.id, [])
        out[person.id] = Membership(  # as `membership` reads it, one person at a time
            roles=frozenset(r.casefold() for r in person.roles),
            groups=frozenset(groups.get(person.id, [])),
            is_admin=person.slack_user_id in bootstrap or person.id in admins,
            pending_roles=frozenset(role.casefold() for role, group in waiting if group is None),
            pending_groups=frozenset(role for role, group in waiting if group is not None),
            aliases=aliases,
        )
    return out


@lru_cache(maxsize=1)
def _memberships_statement() -> Any:
    """A board's admin grants (0, person), its people's sub-groups (1, person, name) and their
    pending requests (2, person, role, sub-group id or None): built once, for any board."""
    board = bindparam("board", type_=Integer)
    on_board = col(Person.board_id) == board
    no_text, no_id = cast(null(), String), cast(null(), Integer)  # typed: PostgreSQL's UNION
    granted: Any = sa_select(
        literal_column("0"), col(BoardAdmin.person_id), no_text, no_id
    ).where(col(BoardAdmin.board_id) == board)
    groups: Any = (
        sa_select(literal_column("1"), col(PersonSubgroup.person_id), col(Subgroup.name), no_id)
        .join(Subgroup, col(PersonSubgroup.subgroup_id) == col(Subgroup.id))
        .join(Person, col(PersonSubgroup.person_id) == col(Person.id))
        .where(on_board, col(Subgroup.board_id) == board, col(Subgroup.archived_at).is_(None))
    )
    waiting: Any = (
        sa_select(
            literal_column("2"),
            col(RoleRequest.person_id),
            col(RoleRequest.role),
            col(RoleRequest.subgroup_id),
        )
        .join(Person, col(RoleRequest.person_id) == col(Person.id))
        .where(
            on_board,
            col(RoleRequest.board_id) == board,
            col(RoleRequest.status) == RequestStatus.PENDING.value,
        )
    )
    return union_all(granted, groups, waiting)


def owners(view: ActionView) -> str:
    """Who may update an action, in words (besides the board's admins)."""
    names = list(dict.fromkeys([*view.leads, *view.subgroups])) or ["the board's admins"]
    return ", ".join(f"*{escape(n)}*" for n in names)


def check_values(change: Change, today: date) -> None:
    """Refuse a change whose values are not ones a person could enter (a crafted payload)."""
    if all(
        v is None
        for v in (change.rag, change.note, change.percent, change.completed_on, change.new_due)
    ):
        raise Refused(NOTHING_TO_RECORD)
    if change.rag is not None and change.rag not in STATUS_VALUES:
        raise Refused(STATUS_INVALID)
    if change.percent is not None and (
        type(change.percent) is not int or not 0 <= change.percent <= 100
    ):
        raise Refused(PERCENT_RANGE)
    for text, limit in ((change.note, MAX_NOTE), (change.reason, MAX_REASON)):
        if text is not None and (not isinstance(text, str) or len(text) > limit):
            raise Refused(TEXT_INVALID.format(limit=limit))
    if change.key is not None and not isinstance(change.key, str):
        raise Refused(STATUS_INVALID)
    latest_due = date(today.year + MAX_YEARS_AHEAD, 12, 31)
    for day, latest, label in (
        (change.completed_on, today, "A completion date"),
        (change.new_due, latest_due, "A new target date"),
    ):
        if day is not None and (not isinstance(day, date) or not EARLIEST_DATE <= day <= latest):
            raise Refused(
                DATE_RANGE.format(what=label, start=fmt_date(EARLIEST_DATE), end=fmt_date(latest))
            )


# -- recording ---------------------------------------------------------------------------------


def find_action(session: Session, board: Board, ref: str) -> ActionView | None:
    """The live action with this ref (case-insensitive)."""
    return next((v for v in action_views(session, board) if v.ref.lower() == ref.lower()), None)


def record_update(
    session: Session,
    board: Board,
    person: Person | None,
    view: ActionView,
    change: Change,
    now: datetime,
) -> Outcome:
    """Check and save one update; raise Refused with a user-safe message when it can't be."""
    if view.board != board.code or not membership(session, person, board).may_update(view):
        raise Refused(NOT_ALLOWED.format(ref=escape(view.ref), owners=owners(view)))
    assert person is not None
    check_values(change, now.astimezone(LONDON).date())
    if change.new_due is not None and not (change.reason or "").strip():
        raise Refused(REASON_NEEDED)
    from bot.guard import check_note, refusal_message  # the guard's patterns: writes only

    findings = check_note(" ".join(t for t in (change.note, change.reason) if t))
    if findings:
        logger.warning(
            "refused a progress update on %s %s: identifiable data (%s)",
            board.code,
            view.ref,
            ", ".join(f.kind for f in findings),
        )
        raise Refused(refusal_message(findings))
    if change.key:
        existing = session.exec(
            select(ProgressUpdate).where(ProgressUpdate.idempotency_key == change.key)
        ).first()
        if existing is not None:
            return Outcome(DUPLICATE.format(ref=escape(view.ref)), view, recorded=False)

    rag = change.rag
    completed_on = change.completed_on
    if rag == COMPLETE:
        rag, completed_on = None, completed_on or now.astimezone(LONDON).date()  # England's day
    values = (rag, change.note or None, change.percent, completed_on, change.new_due)
    last = withdrawals.latest_live(session, action_id=view.action_id, author=person.slack_user_id)
    if (
        last is not None
        and now - last.created_at <= SAME_WINDOW
        and (last.rag, last.note, last.percent, last.completed_on, last.new_due) == values
    ):
        if change.key and last.idempotency_key == change.key:
            # The same submission, saved by its twin a moment ago (a double click racing).
            return Outcome(DUPLICATE.format(ref=escape(view.ref)), view, recorded=False)
        # The same text sent again seconds later (another trigger, a second try): not twice.
        when = _when(last.created_at)
        message = SAME_AS_LAST.format(ref=escape(view.ref), when=when, m=UNDO_MINUTES)
        return Outcome(message, view, recorded=False, repeated=True)
    update = ProgressUpdate(
        action_id=view.action_id,
        author_slack_user_id=person.slack_user_id,
        created_at=now,
        rag=rag,
        note=change.note or None,
        percent=change.percent,
        completed_on=completed_on,
        new_due=change.new_due,
        retarget_reason=change.reason if change.new_due else None,
        idempotency_key=change.key,
    )
    try:
        with session.begin_nested():
            apply_update(session, update)  # the row, and the action's current state with it
    except IntegrityError:
        # Two deliveries of the same submission raced: the other one is already saved.
        return Outcome(DUPLICATE.format(ref=escape(view.ref)), view, recorded=False)

    audit.record(
        session,
        actor=person.slack_user_id,
        event="action.progress",
        entity="action",
        ref=view.ref,
        board_id=board.id,
        before=_audit_state(view),
        after=_audit_state(view) | audit.update_effect(update) | {"update_id": update.id},
        at=now,
    )
    logger.info("progress update recorded on %s %s", board.code, view.ref)
    changes = describe_change(
        State.of(view),
        rag=rag,
        percent=change.percent,
        completed_on=completed_on,
        new_due=change.new_due,
        reason=change.reason,
        noted=bool(change.note),
    )
    text = RECORDED.format(ref=escape(view.ref), text=escape(_short(view.text)), changes=changes)
    announcement = ANNOUNCE.format(
        user=person.slack_user_id,
        ref=escape(view.ref),
        text=escape(_short(view.text)),
        changes=changes,
    )
    if change.note:
        announcement += "\n> " + escape(change.note).replace("\n", "\n> ")
    from bot.channels import announce_channels

    channels = announce_channels(session, board, view.subgroups)
    # The action as it stands now, update included: what `say --json` and the reply are about.
    updated = find_action(session, board, view.ref) or view
    posts: list[Post] = [(c, announcement) for c in channels]
    return Outcome(
        text,
        updated,
        recorded=True,
        posts=posts,
        update_id=update.id,
        changes=changes,
        board=board.code,
    )


@dataclass(frozen=True)
class State:
    """An action's progress just before an update: what the update is described against."""

    status: str = NO_UPDATE
    due: date | None = None
    percent: int | None = None

    @classmethod
    def of(cls, view: ActionView) -> State:
        return cls(view.status, view.due, view.percent)


def describe_change(
    before: State,
    *,
    rag: str | None = None,
    percent: int | None = None,
    completed_on: date | None = None,
    new_due: date | None = None,
    reason: str | None = None,
    noted: bool = False,
) -> str:
    """What one update changed, in words (mrkdwn, the reason escaped): the one describer for
    confirmations, "what changed", digests and history. E.g. "completed on 4 Jul 2011; target
    moved from 30 Sep 2011 to 31 Dec 2011 (partner delay); 60% complete; note added"."""
    parts = []
    if completed_on is not None:
        parts.append(f"completed on {fmt_date(completed_on)}")
    elif rag is not None and rag == before.status:
        parts.append(f"status still {rag}")
    elif rag is not None and before.status == NO_UPDATE:
        parts.append(f"status set to {rag}")
    elif rag is not None:
        parts.append(f"status {before.status} → {rag}")
    if new_due is not None:
        moved = (
            f"target moved from {fmt_date(before.due)} to {fmt_date(new_due)}"
            if before.due and before.due != new_due
            else f"target set to {fmt_date(new_due)}"
        )
        parts.append(moved + (f" ({escape(reason)})" if reason else ""))
    if percent is not None:
        was = before.percent
        changed = f" (was {was}%)" if was is not None and was != percent else ""
        parts.append(f"{percent}% complete{changed}")
    if noted:
        parts.append("note added")
    return "; ".join(parts) or NO_CHANGE


def describe_update(update: UpdateView) -> str:
    """describe_change for a stored update, against the state the action had before it."""
    before = State(update.previous_status, update.previous_due, update.previous_percent)
    return describe_change(
        before,
        rag=update.rag,
        percent=update.percent,
        completed_on=update.completed_on,
        new_due=update.new_due,
        reason=update.reason,
        noted=bool(update.note),
    )


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# -- the quick form ----------------------------------------------------------------------------


def quick_update(
    session: Session,
    board: Board | None,
    person: Person | None,
    text: str,
    now: datetime,
    key: str | None = None,
) -> Outcome:
    """`/progress <ref or words> [status] <note>`: record, or explain, or offer candidates."""
    form = parse_quick(text)
    kept = form.note
    if form.error:
        outcome = Outcome(form.error)
        kept = text.strip()  # the note couldn't be told apart: hand back all of it
    elif board is None:
        outcome = Outcome(PICK_BOARD)
    elif len(form.note) > MAX_QUICK_NOTE:
        outcome = Outcome(NOTE_TOO_LONG.format(n=len(form.note), limit=MAX_QUICK_NOTE))
    else:
        outcome = _quick(session, board, person, form, now, key)
    from bot.guard import check_note

    if (
        kept
        and not (outcome.recorded or outcome.repeated or outcome.candidates)
        and not check_note(kept)
    ):
        # Nothing was saved: hand the text back so it needn't be typed again.
        outcome.message += KEEP_NOTE.format(note=escape(kept).replace("\n", "\n> "))
    return outcome


def _quick(
    session: Session,
    board: Board,
    person: Person | None,
    form: QuickForm,
    now: datetime,
    key: str | None,
) -> Outcome:
    if form.rag is None and not form.note:
        # "/progress 2.4b" alone would record nothing but a time, and reset the stale clock.
        return Outcome(NOTHING_FOR.format(ref=escape(form.ref or form.words)))
    change = Change(rag=form.rag, note=form.note or None, key=key)
    views = action_views(session, board)
    if form.ref is not None:
        view = next((v for v in views if v.ref.lower() == form.ref.lower()), None)
        if view is None:
            stream = [v for v in views if v.workstream_ref.lower() == form.ref.lower()]
            return _choose(session, board, person, stream, form.ref, change, views, now)
        return _try_record(session, board, person, view, change, now)
    member = membership(session, person, board)
    index = PlanIndex([v for v in views if member.may_update(v)] or views)
    hits = index.search(tokens(form.words))
    found = [h.view for h in hits if h.score >= 0.5]
    return _choose(session, board, person, found, form.words, change, views, now)


def _choose(
    session: Session,
    board: Board,
    person: Person | None,
    found: list[ActionView],
    words: str,
    change: Change,
    views: list[ActionView],
    now: datetime,
) -> Outcome:
    if len(found) == 1:
        return _try_record(session, board, person, found[0], change, now)
    if not found:
        message = NO_MATCH.format(words=escape(words), board=escape(board.short_name))
        nearest = PlanIndex(views).search(tokens(words))[:3]
        if nearest:
            options = ", ".join(
                f"*{escape(h.view.ref)}* {escape(_short(h.view.text, 40))}" for h in nearest
            )
            message += NO_MATCH_NEAREST.format(options=options, example=escape(nearest[0].view.ref))
        return Outcome(message)
    member = membership(session, person, board)
    mine = [v for v in found if member.may_update(v)]
    ordered = (mine + [v for v in found if v not in mine])[:MAX_CANDIDATES]
    return Outcome(PICK_ONE.format(words=escape(words)), candidates=ordered, change=change)


def _try_record(
    session: Session,
    board: Board,
    person: Person | None,
    view: ActionView,
    change: Change,
    now: datetime,
) -> Outcome:
    try:
        return record_update(session, board, person, view, change, now)
    except Refused as refused:
        return Outcome(str(refused), view)


def record_candidate(
    session: Session,
    board: Board,
    person: Person | None,
    ref: str,
    change: Change,
    now: datetime,
) -> Outcome:
    """The user picked one of the offered actions: record the update they already typed."""
    view = find_action(session, board, ref)
    if view is None:
        return Outcome(NO_MATCH.format(words=escape(ref), board=escape(board.short_name)))
    return _try_record(session, board, person, view, change, now)


# -- undo and correction -----------------------------------------------------------------------


def _when(at: datetime) -> str:
    """'14:05 on 23 Nov 2026', in England's time."""
    local = at.astimezone(LONDON)
    return f"{local:%H:%M} on {fmt_date(local.date())}"


def _state_words(view: ActionView) -> str:
    """'amber, due 30 Jun 2021': where an action stands, for a reply."""
    status = f"complete ({fmt_date(view.completed)})" if view.completed else view.status
    return f"{status}, due {fmt_date(view.due)}" if view.due else status


def _described(session: Session, view: ActionView, update: ProgressUpdate) -> str:
    """describe_change for one stored update, against the state before it."""
    found = [e.changes for e in _entries(session, view) if e.update_id == update.id]
    return found[0] if found else NO_CHANGE


def _withdraw(
    session: Session,
    board: Board,
    person: Person,
    update: ProgressUpdate,
    kind: str,
    now: datetime,
    replaced_by_id: int | None = None,
) -> tuple[ActionView, ActionView, str] | None:
    """Withdraw `update` and audit it: (the action before, after, what it had changed), or
    None when it was already withdrawn."""
    action_id = update.action_id
    before = next(v for v in action_views(session, board) if v.action_id == action_id)
    changes = _described(session, before, update)
    if not withdrawals.withdraw(
        session,
        update=update,
        kind=kind,
        by=person.slack_user_id,
        at=now,
        replaced_by_id=replaced_by_id,
    ):
        return None
    after = next(v for v in action_views(session, board) if v.action_id == action_id)
    audit.record(
        session,
        actor=person.slack_user_id,
        event=f"action.progress.{kind}",
        entity="action",
        ref=before.ref,
        board_id=board.id,
        before=_audit_state(before) | {"update_id": update.id},
        after=_audit_state(after) | {"replaced_by": replaced_by_id},
        at=now,
    )
    logger.info("progress update %s on %s %s", kind, board.code, before.ref)
    return before, after, changes


def _audit_state(view: ActionView) -> dict[str, Any]:
    return {
        "status": view.status,
        "due": _iso(view.due),
        "completed": _iso(view.completed),
        "percent": view.percent,
    }


def undo(
    session: Session,
    board: Board | None,
    person: Person | None,
    now: datetime,
    update_id: int | None = None,
) -> Outcome:
    """`/progress undo` (the person's newest update on the board) or an Undo button (that
    update): withdraw it if it is theirs and at most UNDO_MINUTES old, restoring the state."""
    if board is None:
        return Outcome(PICK_BOARD)
    if person is None:
        return Outcome(UNDO_NONE.format(board=escape(board.short_name)))
    if update_id is None:
        update = withdrawals.latest_live(session, author=person.slack_user_id, board_id=board.id)
        if update is None:
            return Outcome(UNDO_NONE.format(board=escape(board.short_name)))
    else:
        update = session.get(ProgressUpdate, update_id)
        if update is None or update.author_slack_user_id != person.slack_user_id:
            return Outcome(UNDO_NOT_YOURS)
    view = next((v for v in action_views(session, board) if v.action_id == update.action_id), None)
    if view is None:  # a button from another board, or an action since archived
        return Outcome(UNDO_NOT_YOURS)
    if update.id in withdrawals.withdrawals(session, update.action_id):
        return Outcome(UNDO_ALREADY.format(ref=escape(view.ref)), view)
    ref, when = escape(view.ref), _when(update.created_at)
    if now - update.created_at > timedelta(minutes=UNDO_MINUTES):
        return Outcome(UNDO_TOO_OLD.format(ref=ref, when=when, m=UNDO_MINUTES), view)
    if not membership(session, person, board).may_update(view):
        return Outcome(NOT_ALLOWED.format(ref=ref, owners=owners(view)), view)
    done = _withdraw(session, board, person, update, withdrawals.UNDO, now)
    if done is None:
        return Outcome(UNDO_ALREADY.format(ref=ref), view)
    _, after, changes = done
    text = escape(_short(view.text))
    message = UNDONE.format(
        ref=ref, text=text, when=when, changes=changes, state=_state_words(after)
    )
    announcement = ANNOUNCE_UNDO.format(user=person.slack_user_id, ref=ref, text=text, when=when)
    from bot.channels import announce_channels

    channels = announce_channels(session, board, view.subgroups)
    return Outcome(message, after, recorded=True, posts=[(c, announcement) for c in channels])


def correct(
    session: Session,
    board: Board | None,
    person: Person | None,
    text: str,
    now: datetime,
    key: str | None = None,
) -> Outcome:
    """`/progress correct <ref> [status] [note]` (board admins): withdraw the action's newest
    update and, given a status or a note, record the admin's in its place; history kept."""
    if board is None:
        return Outcome(PICK_BOARD)
    form = parse_quick(text)
    if form.error or form.ref is None:
        return Outcome(CORRECT_USAGE)
    if person is None or not is_board_admin(session, person, board):
        return Outcome(CORRECT_NOT_ADMIN.format(m=UNDO_MINUTES))
    view = find_action(session, board, form.ref)
    if view is None:
        return Outcome(NO_MATCH.format(words=escape(form.ref), board=escape(board.short_name)))
    update = withdrawals.latest_live(session, action_id=view.action_id)
    if update is None:
        return Outcome(CORRECT_NOTHING.format(ref=escape(view.ref)), view)
    replaced = ""
    posts: list[Post] = []
    try:
        with session.begin_nested():  # the withdrawal and its replacement: both or neither
            done = _withdraw(session, board, person, update, withdrawals.CORRECTION, now)
            if done is None:
                return Outcome(UNDO_ALREADY.format(ref=escape(view.ref)), view)
            after, changes = done[1], done[2]
            if form.rag or form.note:
                change = Change(rag=form.rag, note=form.note or None, key=key)
                recorded = record_update(session, board, person, after, change, now)
                if not recorded.recorded:
                    raise Refused(recorded.message)
                withdrawn = session.get(ProgressWithdrawal, update.id)
                assert withdrawn is not None
                withdrawn.replaced_by_id = recorded.update_id
                session.add(withdrawn)
                replaced = REPLACED.format(changes=recorded.changes)
                after, posts = recorded.action or after, recorded.posts
    except Refused as refused:
        return Outcome(str(refused), view)
    message = CORRECTED.format(
        ref=escape(view.ref),
        text=escape(_short(view.text)),
        when=_when(update.created_at),
        author=update.author_slack_user_id,
        changes=changes,
        replaced=replaced,
        state=_state_words(after),
    )
    return Outcome(message, after, recorded=True, posts=posts)


# -- history -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    author: str
    rag: str | None
    note: str | None
    percent: int | None
    completed_on: date | None
    new_due: date | None
    reason: str | None
    changes: str = ""  # describe_change against the state before it
    withdrawn: str | None = None  # "undone by <@U> at 14:07 on 23 Nov 2026", or corrected
    update_id: int | None = None


WITHDRAWN = {"undo": "undone by <@{by}> at {when}", "correction": "corrected by <@{by}> at {when}"}


def history(
    session: Session, board: Board, ref: str
) -> tuple[ActionView | None, list[HistoryEntry]]:
    """An action's updates, oldest first, each described against the state before it; updates
    taken back are listed, marked, and left out of the state the later ones are described
    against."""
    view = find_action(session, board, ref)
    if view is None:
        return None, []
    return view, _entries(session, view)


def _entries(session: Session, view: ActionView) -> list[HistoryEntry]:
    rows = session.exec(
        select(ProgressUpdate)
        .where(ProgressUpdate.action_id == view.action_id)
        .order_by(col(ProgressUpdate.id))
    ).all()
    taken_back = withdrawals.withdrawals(session, view.action_id)
    state = State(NO_UPDATE, view.original_due, None)
    entries = []
    for u in rows:
        rag = None if u.completed_on else u.rag
        changes = describe_change(
            state,
            rag=rag,
            percent=u.percent,
            completed_on=u.completed_on,
            new_due=u.new_due,
            reason=u.retarget_reason,
            noted=bool(u.note),
        )
        w = taken_back.get(u.id or 0)
        mark = None
        if w is not None:
            mark = WITHDRAWN.get(w.kind, WITHDRAWN["correction"]).format(
                by=w.withdrawn_by, when=_when(w.withdrawn_at)
            )
        entries.append(
            HistoryEntry(
                u.created_at,
                u.author_slack_user_id,
                u.rag,
                u.note,
                u.percent,
                u.completed_on,
                u.new_due,
                u.retarget_reason,
                changes,
                mark,
                u.id,
            )
        )
        if w is None:
            state = State(
                COMPLETE if u.completed_on or state.status == COMPLETE else (u.rag or state.status),
                u.new_due or state.due,
                u.percent if u.percent is not None else state.percent,
            )
    return entries
