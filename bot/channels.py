"""Channel links: `/lscb channel <sub-group>|board`, `/lscb channels`, `/lscb updates on|off`."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session, col, select

from bot.identity import is_board_admin, mentioned_user, person_for, resolve_role
from bot.questions import parse_date
from bot.render import escape, fmt_date
from store.models import AuditEvent, Board, Person, PersonSubgroup, Subgroup
from store.queries import board_subgroups, chaired_subgroup_ids

CHAIR_USAGE = "Usage: `/lscb chair @person <sub-group>` (board admins)."
CHAIR_OTHER_BOARD = (
    "<@{user}> is on another board. An admin of both can move them first with "
    "`/lscb board {code} <@{user}>`."
)
CHAIR_SET = "<@{user}> now chairs *{name}*: they can link its channel and set its updates."
NOT_IN_CHANNEL = "Run this in the channel you want to link (not in a DM or the console)."
# "A board admin" is an admin of the board in question: rights on one board are not on another.
NOT_ALLOWED = "Only a board admin or the chair of *{name}* can change its channel settings."
NOT_ADMIN = "Only a board admin can link {board}'s board-level channel."
NOT_ADMIN_CHAIR = "Only a board admin can name a sub-group's chair on {board}."
NOT_ADMIN_SCHEDULE = "Only {board}'s admins can change when digests go out."
LINKED = "This channel is now *{name}*'s channel on {board}.{was}"
LINKED_BOARD = "This channel is now {board}'s board-level channel.{was}"
USAGE = "Usage: `/lscb channel <sub-group>` or `/lscb channel board`, in the channel to link."
NO_LINKS = "No channels are linked on {board} yet. In a channel: `/lscb channel <sub-group>`."
NOT_A_GROUP = "“{text}” isn't one of {board}'s sub-groups. Sub-groups: {names}."
UPDATES_USAGE = "Usage: `/lscb updates on` or `/lscb updates off`, in a sub-group's channel."
UPDATES_NOT_LINKED = "This channel isn't linked to a sub-group: `/lscb channel <sub-group>` first."
UPDATES_SET = "Progress updates on *{name}*'s actions will {now} be posted here."


def link(
    session: Session, person: Person, board: Board | None, channel_id: str | None, text: str
) -> str:
    """Link `channel_id` to a sub-group (admins and its members) or the board (admins)."""
    if board is None or board.id is None:
        return "Pick your board first with `/lscb board <name>`."
    if not channel_id or channel_id.startswith("D"):
        return NOT_IN_CHANNEL
    if not text:
        return USAGE
    if text.strip().lower() in ("board", "the board", "executive", "exec"):
        if not is_board_admin(session, person, board):
            return NOT_ADMIN.format(board=escape(board.short_name))
        was = _was(board.slack_channel_id, channel_id)
        _audit(session, board, person, "board", board.code, board.slack_channel_id, channel_id)
        board.slack_channel_id = channel_id
        session.add(board)
        return LINKED_BOARD.format(board=escape(board.short_name), was=was)
    found = resolve_role(session, board, text)
    group = found.subgroup if not isinstance(found, list) else None
    if group is None:
        names = ", ".join(escape(s.name) for s in board_subgroups(session, board.id))
        return NOT_A_GROUP.format(text=escape(text), board=escape(board.short_name), names=names)
    if not _may_manage(session, person, board, group):
        return NOT_ALLOWED.format(name=escape(group.name))
    was = _was(group.slack_channel_id, channel_id)
    _audit(session, board, person, "subgroup", group.name, group.slack_channel_id, channel_id)
    group.slack_channel_id = channel_id
    session.add(group)
    return LINKED.format(name=escape(group.name), board=escape(board.short_name), was=was)


def _may_manage(session: Session, person: Person, board: Board, group: Subgroup) -> bool:
    """Admins of the sub-group's board and its chair may link and configure its channel."""
    assert person.id is not None
    if group.board_id != board.id:
        return False
    return is_board_admin(session, person, board) or group.id in chaired_subgroup_ids(
        session, person.id
    )


def set_chair(session: Session, actor: Person, board: Board | None, text: str) -> str:
    """Admin: `/lscb chair @person <sub-group>` makes them a member and the chair."""
    if board is None or board.id is None:
        return "Pick your board first with `/lscb board <name>`."
    if not is_board_admin(session, actor, board):
        return NOT_ADMIN_CHAIR.format(board=escape(board.short_name))
    user_text, _, group_text = text.strip().partition(" ")
    user_id = mentioned_user(user_text)
    found = resolve_role(session, board, group_text) if group_text.strip() else None
    group = found.subgroup if found is not None and not isinstance(found, list) else None
    if user_id is None or group is None or group.id is None:
        return CHAIR_USAGE
    target = person_for(session, user_id)
    assert target.id is not None
    if target.board_id not in (None, board.id):
        return CHAIR_OTHER_BOARD.format(user=user_id, code=board.code)
    target.board_id = board.id
    session.add(target)
    link = session.get(PersonSubgroup, (target.id, group.id))
    before = bool(link and link.is_chair)
    if link is None:
        link = PersonSubgroup(person_id=target.id, subgroup_id=group.id)
    link.is_chair = True
    session.add(link)
    _audit(
        session, board, actor, "subgroup", group.name, before, target.slack_user_id, field="chair"
    )
    return CHAIR_SET.format(user=target.slack_user_id, name=escape(group.name))


def _was(old: str | None, new: str) -> str:
    return f" (It was <#{old}> before.)" if old and old != new else ""


def links(session: Session, board: Board | None) -> str:
    """The board's channel links, one a line."""
    if board is None or board.id is None:
        return "Pick your board first with `/lscb board <name>`."
    lines = []
    if board.slack_channel_id:
        lines.append(f"• Board level: <#{board.slack_channel_id}>")
    for group in board_subgroups(session, board.id):
        if group.slack_channel_id:
            posting = " (posts progress updates)" if group.post_updates else ""
            lines.append(f"• {escape(group.name)}: <#{group.slack_channel_id}>{posting}")
    if not lines:
        return NO_LINKS.format(board=escape(board.short_name))
    return f"*Channels on {escape(board.short_name)}*\n" + "\n".join(lines)


def set_updates(
    session: Session, person: Person, board: Board | None, channel_id: str | None, text: str
) -> str:
    """Turn posting of confirmed progress updates into this sub-group channel on or off."""
    choice = text.strip().lower()
    if choice not in ("on", "off"):
        return UPDATES_USAGE
    if board is None or not channel_id:
        return UPDATES_NOT_LINKED
    groups = session.exec(
        select(Subgroup).where(
            Subgroup.board_id == board.id, col(Subgroup.slack_channel_id) == channel_id
        )
    ).all()
    if not groups:
        return UPDATES_NOT_LINKED
    names = []
    for group in groups:
        if not _may_manage(session, person, board, group):
            return NOT_ALLOWED.format(name=escape(group.name))
        _audit(
            session,
            board,
            person,
            "subgroup",
            group.name,
            group.post_updates,
            choice == "on",
            field="post_updates",
        )
        group.post_updates = choice == "on"
        session.add(group)
        names.append(group.name)
    return UPDATES_SET.format(
        name=escape(", ".join(names)), now="now" if choice == "on" else "no longer"
    )


def announce_channels(session: Session, board: Board, subgroups: tuple[str, ...]) -> list[str]:
    """Channels that asked to see progress updates on an action owned by `subgroups`."""
    if not subgroups:
        return []
    rows = session.exec(
        select(Subgroup.slack_channel_id).where(
            Subgroup.board_id == board.id,
            col(Subgroup.name).in_(subgroups),
            col(Subgroup.post_updates).is_(True),
            col(Subgroup.slack_channel_id).is_not(None),
        )
    ).all()
    return sorted({r for r in rows if r})


def _audit(
    session: Session,
    board: Board,
    person: Person,
    entity: str,
    ref: str,
    before: object,
    after: object,
    field: str = "slack_channel_id",
) -> None:
    session.add(
        AuditEvent(
            board_id=board.id,
            actor=person.slack_user_id,
            event=f"{entity}.{field}",
            entity=entity,
            entity_ref=ref,
            before={field: before},
            after={field: after},
        )
    )


AWAY_USAGE = (
    "Usage: `/lscb away until <date>`, e.g. `/lscb away until 2026-12-31` or `… 31 December`."
)
AWAY_SET = "No nudges until after {day}. Welcome back then!"
QUIET_SET = "Nudges are off. `/lscb nudges on` turns them back on."
NUDGES_ON = "Nudges are on: at most one a week, about your stale or imminent actions."
SCHEDULE_USAGE = "Usage: `/lscb digest <weekday> <HH:MM>`, e.g. `/lscb digest monday 09:00`."
SCHEDULE_SET = "{board}'s weekly digests now go out on {weekday} at {time} (UK time)."


def set_away(session: Session, person: Person, text: str, today: date) -> str:
    """`/lscb away until <date>`: pause nudges."""
    words = text.strip().removeprefix("until").strip()
    day = parse_date(words, today, end_of_month=True) if words else None
    if day is None:
        return AWAY_USAGE
    if day < today and not re.search(r"\d{4}", words):
        day = day.replace(year=day.year + 1)
    _person_audit(session, person, "away_until", person.away_until, day)
    person.away_until = day
    session.add(person)
    return AWAY_SET.format(day=fmt_date(day))


def set_nudges(session: Session, person: Person, on: bool) -> str:
    """`/lscb quiet` / `/lscb nudges on`."""
    _person_audit(session, person, "nudges_off", person.nudges_off, not on)
    person.nudges_off = not on
    if on:
        person.away_until = None
    session.add(person)
    return NUDGES_ON if on else QUIET_SET


def set_schedule(session: Session, person: Person, board: Board | None, text: str) -> str:
    """Admin: `/lscb digest <weekday> <HH:MM>` sets when the board's digests go out."""
    if board is None:
        return "Pick your board first with `/lscb board <name>`."
    if not is_board_admin(session, person, board):
        return NOT_ADMIN_SCHEDULE.format(board=escape(board.short_name))
    match = re.fullmatch(r"\s*([a-z]+)\s+(\d{1,2})[:.](\d{2})\s*", text.lower())
    days = ("monday", "tuesday", "wednesday", "thursday", "friday")
    day = next((i for i, d in enumerate(days) if match and d.startswith(match.group(1))), None)
    if match is None or day is None or len(match.group(1)) < 3:
        return SCHEDULE_USAGE
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        return SCHEDULE_USAGE
    new = f"{hour:02d}:{minute:02d}"
    session.add(
        AuditEvent(
            board_id=board.id,
            actor=person.slack_user_id,
            event="board.digest_time",
            entity="board",
            entity_ref=board.code,
            before={"weekday": board.digest_weekday, "time": board.digest_time},
            after={"weekday": day, "time": new},
        )
    )
    board.digest_weekday, board.digest_time = day, new
    session.add(board)
    return SCHEDULE_SET.format(
        board=escape(board.short_name), weekday=days[day].capitalize(), time=new
    )


def _person_audit(
    session: Session, person: Person, field: str, before: object, after: object
) -> None:
    session.add(
        AuditEvent(
            board_id=person.board_id,
            actor=person.slack_user_id,
            event=f"person.{field}",
            entity="person",
            entity_ref=person.slack_user_id,
            before={field: str(before) if before is not None else None},
            after={field: str(after) if after is not None else None},
        )
    )
