"""Channel links: `/lscb channel <sub-group>|board`, `/lscb channels`, `/lscb updates on|off`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from rapidfuzz import fuzz, process
from slack_sdk.models.blocks import ActionsBlock, ButtonElement
from sqlmodel import Session, col, select

from bot.identity import PICK_BOARD, is_board_admin, mentioned_user, person_for
from bot.questions import parse_date
from bot.render import BlockBuilder, Reply, clip, escape, fmt_date
from store import audit
from store.models import Board, Person, PersonSubgroup, Subgroup
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
WHICH_GROUP = "“{text}” could be more than one of {board}'s sub-groups. Which one?"
# Whether the bot can post in the channel it is asked to link (digests go there a week later).
JOINED = " I've joined the channel so I can post its digests here."
INVITE_FIRST = (
    "I'm not in this channel, so I couldn't post its digests here. Invite me with "
    "`/invite {bot}`, then run `/lscb channel {text}` again. Nothing was changed."
)
NOT_CHECKED = (
    " (I couldn't check that I'm in the channel: {why}. If digests don't arrive, invite me "
    "with `/invite {bot}`.)"
)
NO_SLACK = "there is no Slack here"
BOT_NAME = "@lscb-plan"  # the bot user's display name in manifest.json
PICK_ACTION = "lscb_pick_"  # buttons that finish a command with one of several names
UPDATES_USAGE = "Usage: `/lscb updates on` or `/lscb updates off`, in a sub-group's channel."
UPDATES_NOT_LINKED = "This channel isn't linked to a sub-group: `/lscb channel <sub-group>` first."
UPDATES_SET = "Progress updates on *{name}*'s actions will {now} be posted here."


@dataclass(frozen=True)
class Membership:
    """Whether the bot is in a channel: already, joined just now, must be invited, or unknown."""

    state: Literal["member", "joined", "invite", "unknown"]
    detail: str = ""  # for "unknown": why (Slack's error code)
    bot: str = BOT_NAME  # how to name the bot in `/invite …`


class ChannelAccess(Protocol):
    """The one Slack call linking needs; the handler passes it in (the console has none)."""

    def ensure_member(self, channel_id: str) -> Membership:
        """Join the channel if the bot can (public), else say it must be invited."""
        ...


def resolve_subgroup(session: Session, board: Board, text: str) -> Subgroup | list[Subgroup]:
    """The sub-group `text` names: by name or alias, by words of its name ("training" for
    "Training Sub-Committee"), or by a close spelling; else the likely ones (maybe none)."""
    assert board.id is not None
    groups = board_subgroups(session, board.id)
    wanted = " ".join(text.split()).casefold()
    spellings: dict[str, Subgroup] = {}
    for group in groups:
        for spelling in (group.name, *group.aliases):
            spellings.setdefault(" ".join(spelling.split()).casefold(), group)
    if wanted in spellings:
        return spellings[wanted]
    words = re.findall(r"[\w&]+", wanted)
    by_words = {
        group.id: group
        for spelling, group in spellings.items()
        if words and _words_start(words, re.findall(r"[\w&]+", spelling))
    }
    if len(by_words) == 1:
        return next(iter(by_words.values()))
    if by_words:
        return list(by_words.values())[:5]
    # Whole-name typos ("Traning Sub-Comittee"); WRatio would also match on one shared word.
    scored = process.extract(wanted, list(spellings), scorer=fuzz.ratio, limit=10)
    ranked: dict[int | None, tuple[Subgroup, float]] = {}
    for spelling, score, _ in scored:
        group = spellings[spelling]
        if group.id not in ranked and score >= CLOSE:
            ranked[group.id] = (group, score)
    best = sorted(ranked.values(), key=lambda pair: -pair[1])
    if best and best[0][1] >= SURE and (len(best) == 1 or best[0][1] - best[1][1] >= GAP):
        return best[0][0]
    return [group for group, _ in best[:5]]


SURE, GAP, CLOSE = 90, 6, 75  # rapidfuzz ratios: one clear winner, or a short list
TYPO = 80  # a typed word of 4+ letters this close to a word of the name counts as that word


def _words_start(words: list[str], name_words: list[str]) -> bool:
    """Each typed word begins a word of the name, in order: "qual review" → "Quality and Review"."""
    at = 0
    for word in words:
        while at < len(name_words) and not _word_matches(word, name_words[at]):
            at += 1
        if at == len(name_words):
            return False
        at += 1
    return True


def _word_matches(word: str, name_word: str) -> bool:
    if name_word.startswith(word):
        return True
    if len(word) > 3 and word.endswith("s") and name_word.startswith(word[:-1]):
        return True  # "comms" for Communication
    return len(word) >= 4 and fuzz.ratio(word, name_word) >= TYPO


def _pick(
    board: Board, text: str, groups: list[Subgroup], command: str, channel_id: str | None = None
) -> Reply:
    """"Which one?" with a button per sub-group; a click runs `command` with its name."""
    question = WHICH_GROUP.format(text=escape(text), board=escape(board.short_name))
    b = BlockBuilder()
    b.section(question)
    buttons = [
        ButtonElement(
            text=clip(group.name, 75),
            action_id=f"{PICK_ACTION}{i}",
            value=json.dumps({"t": f"{command} {group.name}", "b": board.code, "c": channel_id}),
        )
        for i, group in enumerate(groups)
    ]
    b.blocks.append(ActionsBlock(elements=buttons))
    return Reply(text=question, blocks=b.blocks)


def _not_a_group(session: Session, board: Board, text: str) -> Reply:
    assert board.id is not None
    names = ", ".join(escape(s.name) for s in board_subgroups(session, board.id))
    return Reply(
        text=NOT_A_GROUP.format(text=escape(text), board=escape(board.short_name), names=names)
    )


def link(
    session: Session,
    person: Person,
    board: Board | None,
    channel_id: str | None,
    text: str,
    slack: ChannelAccess | None = None,
) -> Reply:
    """Link `channel_id` to a sub-group (admins and its chair) or the board (admins), once the
    bot is sure it can post there (with `slack`; the console cannot check)."""
    if board is None or board.id is None:
        return Reply(text=PICK_BOARD)
    if not channel_id or channel_id.startswith("D"):
        return Reply(text=NOT_IN_CHANNEL)
    text = text.strip()
    if not text:
        return Reply(text=USAGE)
    if text.lower() in ("board", "the board", "executive", "exec"):
        if not is_board_admin(session, person, board):
            return Reply(text=NOT_ADMIN.format(board=escape(board.short_name)))
        access, note = _access(slack, channel_id, "board")
        if access is not None:
            return access
        was = _was(board.slack_channel_id, channel_id)
        audit.change(
            session,
            board,
            field="slack_channel_id",
            value=channel_id,
            actor=person.slack_user_id,
            entity="board",
            ref=board.code,
            board_id=board.id,
        )
        return Reply(text=LINKED_BOARD.format(board=escape(board.short_name), was=was) + note)
    found = resolve_subgroup(session, board, text)
    if isinstance(found, list):
        if not found:
            return _not_a_group(session, board, text)
        return _pick(board, text, found, "/lscb channel", channel_id)
    group = found
    if not _may_manage(session, person, board, group):
        return Reply(text=NOT_ALLOWED.format(name=escape(group.name)))
    access, note = _access(slack, channel_id, group.name)
    if access is not None:
        return access
    was = _was(group.slack_channel_id, channel_id)
    _change_group(session, person, group, "slack_channel_id", channel_id)
    linked = LINKED.format(name=escape(group.name), board=escape(board.short_name), was=was)
    return Reply(text=linked + note)


def _access(slack: ChannelAccess | None, channel_id: str, name: str) -> tuple[Reply | None, str]:
    """A refusal when the bot must be invited first, else what to add to the confirmation."""
    if slack is None:
        return None, NOT_CHECKED.format(why=NO_SLACK, bot=BOT_NAME)
    member = slack.ensure_member(channel_id)
    if member.state == "invite":
        return Reply(text=INVITE_FIRST.format(bot=member.bot, text=escape(name))), ""
    if member.state == "joined":
        return None, JOINED
    if member.state == "unknown":
        return None, NOT_CHECKED.format(why=f"Slack said `{escape(member.detail)}`", bot=member.bot)
    return None, ""


def _may_manage(session: Session, person: Person, board: Board, group: Subgroup) -> bool:
    """Admins of the sub-group's board and its chair may link and configure its channel."""
    assert person.id is not None
    if group.board_id != board.id:
        return False
    return is_board_admin(session, person, board) or group.id in chaired_subgroup_ids(
        session, person.id
    )


def set_chair(session: Session, actor: Person, board: Board | None, text: str) -> Reply:
    """Admin: `/lscb chair @person <sub-group>` makes them a member and the chair."""
    if board is None or board.id is None:
        return Reply(text=PICK_BOARD)
    if not is_board_admin(session, actor, board):
        return Reply(text=NOT_ADMIN_CHAIR.format(board=escape(board.short_name)))
    user_text, _, group_text = text.strip().partition(" ")
    user_id = mentioned_user(user_text)
    group_text = group_text.strip()
    if user_id is None or not group_text:
        return Reply(text=CHAIR_USAGE)
    found = resolve_subgroup(session, board, group_text)
    if isinstance(found, list):
        if not found:
            return _not_a_group(session, board, group_text)
        return _pick(board, group_text, found, f"/lscb chair <@{user_id}>")
    group = found
    assert group.id is not None
    target = person_for(session, user_id)
    assert target.id is not None
    if target.board_id not in (None, board.id):
        return Reply(text=CHAIR_OTHER_BOARD.format(user=user_id, code=board.code))
    target.board_id = board.id
    session.add(target)
    link = session.get(PersonSubgroup, (target.id, group.id))
    before = bool(link and link.is_chair)
    if link is None:
        link = PersonSubgroup(person_id=target.id, subgroup_id=group.id)
    link.is_chair = True
    session.add(link)
    audit.record(
        session,
        actor=actor.slack_user_id,
        event="subgroup.chair",
        entity="subgroup",
        ref=group.name,
        board_id=board.id,
        before={"chair": before},
        after={"chair": target.slack_user_id},
    )
    return Reply(text=CHAIR_SET.format(user=target.slack_user_id, name=escape(group.name)))


def _was(old: str | None, new: str) -> str:
    return f" (It was <#{old}> before.)" if old and old != new else ""


def links(session: Session, board: Board | None) -> str:
    """The board's channel links, one a line."""
    if board is None or board.id is None:
        return PICK_BOARD
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
        _change_group(session, person, group, "post_updates", choice == "on")
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


def _change_group(
    session: Session, person: Person, group: Subgroup, field: str, value: object
) -> None:
    audit.change(
        session,
        group,
        field=field,
        value=value,
        actor=person.slack_user_id,
        entity="subgroup",
        ref=group.name,
        board_id=group.board_id,
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
    _change_person(session, person, "away_until", day)
    return AWAY_SET.format(day=fmt_date(day))


def set_nudges(session: Session, person: Person, on: bool) -> str:
    """`/lscb quiet` / `/lscb nudges on`."""
    _change_person(session, person, "nudges_off", not on)
    if on and person.away_until is not None:
        _change_person(session, person, "away_until", None)
    return NUDGES_ON if on else QUIET_SET


def set_schedule(session: Session, person: Person, board: Board | None, text: str) -> str:
    """Admin: `/lscb digest <weekday> <HH:MM>` sets when the board's digests go out."""
    if board is None:
        return PICK_BOARD
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
    audit.record(
        session,
        actor=person.slack_user_id,
        event="board.digest_time",
        entity="board",
        ref=board.code,
        board_id=board.id,
        before={"weekday": board.digest_weekday, "time": board.digest_time},
        after={"weekday": day, "time": new},
    )
    board.digest_weekday, board.digest_time = day, new
    session.add(board)
    return SCHEDULE_SET.format(
        board=escape(board.short_name), weekday=days[day].capitalize(), time=new
    )


def _change_person(session: Session, person: Person, field: str, value: object) -> None:
    audit.change(
        session,
        person,
        field=field,
        value=value,
        actor=person.slack_user_id,
        entity="person",
        ref=person.slack_user_id,
        board_id=person.board_id,
    )
