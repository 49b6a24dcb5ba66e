"""The one entry point for anything a person types: Slack DMs, mentions, the console and `say`."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from time import monotonic
from weakref import WeakKeyDictionary

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock
from sqlalchemy import Engine
from sqlmodel import Session

from bot import answers, channels, identity, progress
from bot.clock import LONDON, noon_london, now_utc, today_london
from bot.questions import Intent, parse
from bot.render import RAG_EMOJI, BlockBuilder, Reply, clip, escape, join_counts
from store.db import session_scope
from store.models import Board, Person
from store.queries import (
    COMPLETE,
    NO_UPDATE,
    UnknownBoard,
    action_views,
    asker_board,
    board_name_index,
    board_priorities,
    board_subgroups,
    find_board,
    find_person,
    list_boards,
)

logger = logging.getLogger(__name__)

# -- wording -----------------------------------------------------------------------------------

NO_BOARD = (
    "I don't know which board you're on yet. Pick one with `/lscb board <name>`, "
    "or name it in your question, e.g. “Dudley's MASH actions”. Boards: {boards}."
)
HELP_INTRO = "I answer questions about *{board}*'s business plan ({period}). Try:"
HELP_SETUP = (
    "Tell me who you are with `/lscb iam <role or sub-group>` (e.g. `/lscb iam {lead}`), "
    "and “my actions” will find yours. `/lscb whoami` shows what I know about you."
)
HELP_GENERAL = [
    "what's due in the next 30 days",
    "what are the priorities",
    "what changed this week",
]
EMPTY = "Ask me about the business plan: try `help`."
UNKNOWN_COMMAND = "I don't know the command `{command}`. Commands: {known}."


@dataclass(frozen=True)
class Context:
    """Who is asking, about which board, where, and what day it is for them."""

    user_id: str
    board: Board | None
    person: Person | None = None
    channel_id: str | None = None
    today: date = field(default_factory=today_london)
    now: datetime = field(default_factory=now_utc)
    admin_ids: frozenset[str] = frozenset()
    request_key: str | None = None  # Slack's id for this request: a retry records nothing twice
    page: int = 0  # which ten of a long answer to show ("Show the next 10")
    slack: channels.ChannelAccess | None = None  # Slack calls a command may need (none: console)


def make_context(
    session: Session,
    *,
    user_id: str,
    board_name: str | None = None,
    default_board: str | None = None,
    channel_id: str | None = None,
    today: date | None = None,
    admin_ids: frozenset[str] = frozenset(),
    request_key: str | None = None,
    page: int = 0,
) -> Context:
    """Build the asker's context: the board named, else their own, else the default board.

    Raises UnknownBoard when `board_name` names no board.
    """
    person, _own_board = find_person(session, user_id)  # held: asker_board finds it read
    board = asker_board(session, person, board_name, default_board)
    now = noon_london(today) if today is not None else now_utc()
    return Context(
        user_id,
        board,
        person,
        channel_id,
        today or today_london(now),
        now,
        admin_ids,
        request_key,
        page,
    )


def handle(session: Session, ctx: Context, text: str) -> Reply:
    """Answer `text` as the bot would in Slack, whoever is at the other end."""
    text = _clean(text)
    if not text:
        return Reply(text=EMPTY)
    if text.startswith("/"):
        command, _, rest = text.partition(" ")
        handler = COMMANDS.get(command.lower())
        if handler is None:
            known = ", ".join(f"`{c}`" for c in COMMANDS)
            return Reply(text=UNKNOWN_COMMAND.format(command=escape(command), known=known))
        return handler(session, ctx, rest.strip())
    return ask(session, ctx, text)


def _clean(text: str) -> str:
    """Drop a leading @mention and surrounding space."""
    return re.sub(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*", "", text or "").strip()


def ask(session: Session, ctx: Context, text: str) -> Reply:
    """Answer a plain-words question about the plan."""
    board, text = _board_in_question(session, ctx.board, text)
    query = parse(text, ctx.today)
    if board is None:
        return _no_board(session)
    if query.intent is Intent.HELP:
        return help_reply(session, ctx, board)
    if query.intent is Intent.OVERVIEW:
        if query.topic:  # "overview Narnia": a board name we did not recognise
            try:
                board = find_board(session, query.topic)
            except UnknownBoard as exc:
                if len(query.topic.split()) > 1:  # "a summary of the neglect work"
                    query = replace(query, intent=Intent.ACTIONS)
                else:
                    return Reply(text=escape(str(exc)))
        if query.intent is Intent.OVERVIEW:
            return overview(session, ctx, board)
    if query.intent is Intent.PRIORITIES:
        return overview(session, ctx, board, title="Strategic priorities of ")
    if query.intent is Intent.SUBGROUPS:
        return subgroups_reply(session, board)
    person = ctx.person if ctx.person is None or ctx.person.board_id == board.id else None
    views = action_views(session, board)
    return answers.answer(session, board, person, query, views, ctx.today, ctx.now, ctx.page)


def _board_in_question(
    session: Session, board: Board | None, text: str
) -> tuple[Board | None, str]:
    """A board the question names ("Dudley's MASH actions"), and the text without its name.

    Looks each run of up to five words up in a cached name index, so the cost does not grow
    with the number of boards.
    """
    index = _board_names(session)
    words = text.split()
    keys = [re.sub(r"(?:'s|s'|’s)$", "", w.lower()).strip("?,.!:;") for w in words]
    # "Worcs'": a name that ends in s, with the apostrophe after it.
    plain = [re.sub(r"(?:'s|’s)$", "", w.lower()).strip("?,.!:;'’") for w in words]
    for size in range(min(5, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            phrase = " ".join(keys[start : start + size])
            board_id = index.get(phrase, index.get(" ".join(plain[start : start + size])))
            if board_id is None and size == 1 and phrase.endswith("s"):
                board_id = index.get(phrase[:-1])  # "dudleys early help actions"
            if board_id is not None:
                found = session.get(Board, board_id)
                if found is not None:
                    rest = words[:start] + words[start + size :]
                    if (
                        rest
                        and rest[-1].lower() in ("for", "in", "at", "on", "of")
                        and (start + size == len(words))
                    ):
                        rest = rest[:-1]
                    return found, " ".join(rest)
    return board, text


_NAME_CACHE: WeakKeyDictionary[Engine, tuple[float, dict[str, int]]] = WeakKeyDictionary()
NAME_CACHE_SECONDS = 60.0


def _board_names(session: Session) -> dict[str, int]:
    """board_name_index(), cached per engine for a minute (boards change only on seeding)."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    cached = _NAME_CACHE.get(engine)
    if cached is not None and monotonic() - cached[0] < NAME_CACHE_SECONDS:
        return cached[1]
    index = {k: v for k, v in board_name_index(session).items() if len(k) > 2}
    _NAME_CACHE[engine] = (monotonic(), index)
    return index


def _no_board(session: Session) -> Reply:
    boards = ", ".join(f"{b.code} ({escape(b.short_name)})" for b in list_boards(session))
    return Reply(text=NO_BOARD.format(boards=boards or "none loaded"))


def help_reply(session: Session, ctx: Context, board: Board | None = None) -> Reply:
    """What the bot can do, with examples from the asker's own board."""
    board = board or ctx.board
    if board is None:
        return _no_board(session)
    views = action_views(session, board)
    examples = answers.example_questions(views) + HELP_GENERAL
    b = BlockBuilder()
    intro = HELP_INTRO.format(board=escape(board.short_name), period=escape(board.period))
    b.section(intro + "\n" + "\n".join(f"• `{escape(example)}`" for example in examples))
    b.context(HELP_SETUP.format(lead=escape(answers.example_role(views))))
    return Reply(text=intro, blocks=b.blocks)


def subgroups_reply(session: Session, board: Board) -> Reply:
    """The board's sub-groups with how many actions each owns."""
    assert board.id is not None
    views = action_views(session, board)
    counts = Counter(name for v in views for name in v.subgroups)
    b = BlockBuilder()
    lines = [f"*Sub-groups of {escape(board.short_name)}*"]
    for sg in board_subgroups(session, board.id):
        aka = f" (also: {escape(', '.join(sg.aliases))})" if sg.aliases else ""
        lines.append(f"• {escape(sg.name)}{aka}: {counts.get(sg.name, 0)} actions")
    b.section("\n".join(lines))
    return Reply(text=f"Sub-groups of {board.short_name}", blocks=b.blocks)


def overview(session: Session, ctx: Context | None, board: Board, title: str = "") -> Reply:
    """The plan at a glance: each priority with its work streams, actions and RAG counts."""
    today = ctx.today if ctx is not None else today_london()
    assert board.id is not None
    views = action_views(session, board)
    by_priority: dict[str | None, list] = {}
    for view in views:
        by_priority.setdefault(view.priority_ref, []).append(view)

    priorities = board_priorities(session, board.id)
    b = BlockBuilder()
    b.header(f"{title}{board.short_name} business plan {board.period}")
    overdue = sum(v.is_overdue(today) for v in views)
    summary = (
        f"{len(views)} actions across {len(priorities)} priorities"
        f" · {_rag_summary(views)}" + (f" · *{overdue} overdue*" if overdue else "")
    )
    b.context(summary)
    for priority in priorities:
        items = by_priority.get(priority.ref, [])
        streams = dict.fromkeys((v.workstream_ref, v.workstream) for v in items)
        lines = [f"*{escape(priority.ref)}. {escape(priority.title)}*"]
        lines += [f"• {escape(ref)} {escape(title)}" for ref, title in streams]
        lines.append(f"_{len(items)} actions · {_rag_summary(items)}_")
        b.section("\n".join(lines))
    extra = by_priority.get(None, [])
    if extra:
        streams = dict.fromkeys((v.workstream_ref, v.workstream) for v in extra)
        lines = ["*Also monitored*"] + [f"• {escape(r)} {escape(t)}" for r, t in streams]
        noun = "item" if len(extra) == 1 else "items"
        lines.append(f"_{len(extra)} {noun} · {_rag_summary(extra)}_")
        b.section("\n".join(lines))
    text = f"{title}{board.short_name} business plan {board.period}: {summary}"
    return Reply(text=text, blocks=b.blocks)


def _rag_summary(views: list) -> str:
    counts = Counter(v.status for v in views)
    order = ["red", "amber", "green", COMPLETE, NO_UPDATE]
    return join_counts((f"{RAG_EMOJI[s]} {s}", counts[s]) for s in order)


# -- /lscb subcommands: one registry, which the dispatch, the help line and "did you mean" read --

SubcommandRun = Callable[[Session, Context, Person, str], Reply]


@dataclass(frozen=True)
class Subcommand:
    """An `/lscb` subcommand: what it runs (with the asker's person row) and its help entry."""

    run: SubcommandRun
    usage: str | None  # None: listed with the entry before it


def _text(run: Callable[[Session, Context, Person, str], str]) -> SubcommandRun:
    """A subcommand whose answer is plain text."""
    return lambda session, ctx, person, args: Reply(text=run(session, ctx, person, args))


def _nudges(session: Session, ctx: Context, person: Person, args: str) -> str:
    return channels.set_nudges(session, person, on=args.lower() != "off")


# Files in and out (spreadsheets, PDF) are loaded by the subcommands that use them, not by
# every question.
def _export(session: Session, ctx: Context, person: Person, args: str) -> Reply:
    from bot import plan_files

    return plan_files.export_reply(session, ctx.board, ctx.today)


def _report(session: Session, ctx: Context, person: Person, args: str) -> Reply:
    from bot import plan_files

    return plan_files.report_reply(session, ctx.board, args, ctx.today)


def _import(session: Session, ctx: Context, person: Person, args: str) -> Reply:
    from bot import plan_files

    return plan_files.import_help(session, person, ctx.board)


SUBCOMMANDS: dict[str, Subcommand] = {
    "iam": Subcommand(
        lambda s, c, p, a: identity.iam(s, p, c.board, a), "`/lscb iam <role or sub-group>`"
    ),
    "board": Subcommand(
        _text(lambda s, c, p, a: identity.set_board(s, p, a)), "`/lscb board <name>`"
    ),
    "whoami": Subcommand(_text(lambda s, c, p, a: identity.whoami(s, p)), "`/lscb whoami`"),
    "assign": Subcommand(
        _text(lambda s, c, p, a: identity.assign(s, p, c.board, a)),
        "`/lscb assign @person <role>` (admins)",
    ),
    "channel": Subcommand(
        lambda s, c, p, a: channels.link(s, p, c.board, c.channel_id, a, c.slack),
        "`/lscb channel <sub-group>`",
    ),
    "channels": Subcommand(
        _text(lambda s, c, p, a: channels.links(s, c.board)), "`/lscb channels`"
    ),
    "updates": Subcommand(
        _text(lambda s, c, p, a: channels.set_updates(s, p, c.board, c.channel_id, a)),
        "`/lscb updates on|off`",
    ),
    "away": Subcommand(
        _text(lambda s, c, p, a: channels.set_away(s, p, a, c.today)), "`/lscb away until <date>`"
    ),
    "quiet": Subcommand(
        _text(lambda s, c, p, a: channels.set_nudges(s, p, on=False)), "`/lscb quiet`"
    ),
    "nudges": Subcommand(_text(_nudges), "`/lscb nudges on`"),
    "export": Subcommand(_export, "`/lscb export` (the plan as a spreadsheet)"),
    "report": Subcommand(_report, "`/lscb report [2018Q3] [xlsx]` (the quarter's progress report)"),
    "import": Subcommand(_import, "`/lscb import` (admins: a plan from a spreadsheet)"),
    "digest": Subcommand(
        _text(lambda s, c, p, a: channels.set_schedule(s, p, c.board, a)),
        "`/lscb digest <weekday> <HH:MM>`",
    ),
    "chair": Subcommand(
        lambda s, c, p, a: channels.set_chair(s, p, c.board, a), "`/lscb chair @person <sub-group>`"
    ),
    "admin": Subcommand(
        _text(lambda s, c, p, a: identity.admin_command(s, p, c.board, a)),
        "`/lscb admin @person`, `/lscb admin remove @person` (admins)",
    ),
    "pending": Subcommand(
        lambda s, c, p, a: identity.pending(s, p, c.board),
        "`/lscb pending` (admins and chairs: role requests to approve)",
    ),
}
LSCB_HELP = " · ".join(
    [sub.usage for sub in SUBCOMMANDS.values() if sub.usage] + ["`/lscb <any question>`"]
)
DID_YOU_MEAN = "`/lscb {typed}` isn't a command: did you mean `/lscb {command}`? Commands: {known}."
QUESTION_WORDS = frozenset({"update"})  # near a command's name, but how questions start


def _lscb_command(session: Session, ctx: Context, rest: str) -> Reply:
    sub, _, args = rest.partition(" ")
    sub, args = sub.lower(), args.strip()
    if sub in ("", "help"):
        reply = help_reply(session, ctx)
        reply.blocks.append(SectionBlock(text=MarkdownTextObject(text=LSCB_HELP)))
        return reply
    command = SUBCOMMANDS.get(sub)
    if command is not None:
        person = identity.person_for(session, ctx.user_id, ctx.admin_ids)
        return command.run(session, ctx, person, args)
    meant = _misspelt_subcommand(session, ctx, sub)
    if meant is not None:  # never search the plan for a mistyped command word
        return _did_you_mean(ctx, sub, meant, args)
    return ask(session, ctx, rest)


def _misspelt_subcommand(session: Session, ctx: Context, word: str) -> str | None:
    """The subcommand `word` is a slip of the keyboard for, if any ("exprot", "chanel")."""
    if len(word) < 4 or word in QUESTION_WORDS or not word.isalpha():
        return None
    from rapidfuzz.distance import OSA

    best: tuple[int, str] | None = None
    for name in SUBCOMMANDS:
        if word.startswith(name):
            return None  # "reports", "assigned": a word of its own, so a question
        if word[0] != name[0]:
            continue  # slips keep the first letter; "spending" is not "pending"
        limit = 1 if len(name) <= 5 else 2
        distance = OSA.distance(word, name)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, name)
    if best is None:
        return None
    # A word the plan itself uses ("spending", say) starts a question, not a command.
    if ctx.board is not None and word in _plan_words(session, ctx.board):
        return None
    return best[1]


def _plan_words(session: Session, board: Board) -> set[str]:
    return {
        w
        for v in action_views(session, board)
        for w in re.findall(r"[a-z]+", f"{v.text} {v.workstream} {v.priority or ''}".lower())
    }


def _did_you_mean(ctx: Context, typed: str, meant: str, args: str) -> Reply:
    known = ", ".join(f"`{name}`" for name in SUBCOMMANDS)
    text = DID_YOU_MEAN.format(typed=escape(typed), command=meant, known=known)
    corrected = f"/lscb {meant} {args}".strip()
    b = BlockBuilder()
    b.section(text)
    b.blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=clip(f"Run {corrected}", 75),
                    action_id=f"{channels.PICK_ACTION}0",
                    value=json.dumps(
                        {
                            "t": corrected,
                            "b": ctx.board.code if ctx.board else None,
                            "c": ctx.channel_id,
                        }
                    )[:2000],
                )
            ]
        )
    )
    return Reply(text=text, blocks=b.blocks)


def _progress_command(session: Session, ctx: Context, rest: str) -> Reply:
    if rest.lower().startswith("history"):
        return progress_history(session, ctx, rest[len("history") :].strip())
    if not rest:
        return Reply(text=progress.USAGE)
    person = identity.person_for(session, ctx.user_id, ctx.admin_ids)
    word, _, args = rest.partition(" ")
    if word.lower() == "undo" and not args.strip():
        return progress_reply(progress.undo(session, ctx.board, person, ctx.now), ctx.board)
    if word.lower() == "correct":
        outcome = progress.correct(session, ctx.board, person, args, ctx.now, ctx.request_key)
        return progress_reply(outcome, ctx.board)
    outcome = progress.quick_update(session, ctx.board, person, rest, ctx.now, ctx.request_key)
    return progress_reply(outcome, ctx.board)


def progress_reply(outcome: progress.Outcome, board: Board | None) -> Reply:
    """An update's outcome as a reply: a confirmation (with Undo), a refusal, or candidates
    as buttons."""
    if outcome.update_id is not None and outcome.board is not None:
        b = BlockBuilder()
        b.section(outcome.message)
        b.blocks.append(ActionsBlock(elements=[undo_button(outcome.board, outcome.update_id)]))
        b.context(progress.UNDO_HINT.format(m=progress.UNDO_MINUTES))
        return Reply(
            text=outcome.message,
            blocks=b.blocks,
            actions=[outcome.action] if outcome.action else [],
            posts=outcome.posts,
        )
    if not outcome.candidates or board is None or outcome.change is None:
        return Reply(
            text=outcome.message,
            actions=[outcome.action] if outcome.action else [],
            posts=outcome.posts,
        )
    b = BlockBuilder()
    b.section(outcome.message)
    buttons = [
        ButtonElement(
            text=clip(f"{view.ref} {' '.join(view.text.split())}", 75),
            action_id=f"{PICK_ACTION}{i}",
            value=json.dumps(
                {"board": board.code, "ref": view.ref, "change": outcome.change.to_value()}
            ),
        )
        for i, view in enumerate(outcome.candidates)
    ]
    b.blocks.append(ActionsBlock(elements=buttons))
    return Reply(text=outcome.message, blocks=b.blocks, actions=outcome.candidates)


PICK_ACTION = "progress_pick_"
UNDO_ACTION = "progress_undo"


def undo_button(board_code: str, update_id: int) -> ButtonElement:
    """The Undo button on a confirmation: takes back that update (its author, for a while)."""
    return ButtonElement(
        text="Undo",
        action_id=UNDO_ACTION,
        value=json.dumps({"board": board_code, "update": update_id}),
        accessibility_label="Undo this update",
    )


def progress_history(session: Session, ctx: Context, ref: str) -> Reply:
    """`/progress history <ref>`: the action's updates, oldest first."""
    if ctx.board is None:
        return _no_board(session)
    if not ref:
        return Reply(text="Usage: `/progress history <ref>`, e.g. `/progress history 1.2a`.")
    view, entries = progress.history(session, ctx.board, ref)
    if view is None:
        return Reply(text=f"No action {escape(ref)} on {escape(ctx.board.short_name)}.")
    if not entries:
        return Reply(
            text=progress.NO_HISTORY.format(ref=escape(view.ref), text=escape(view.text)),
            actions=[view],
        )
    b = BlockBuilder()
    b.section(f"*History of {escape(view.ref)}* {escape(view.text)}")
    lines = []
    for e in entries:
        line = f"{e.at.astimezone(LONDON):%-d %b %Y %H:%M} · <@{e.author}> · {e.changes}"
        if e.withdrawn:
            line = f"~{line}~ _({e.withdrawn})_"
        if e.note:
            line += f"\n> {escape(e.note)}"
        lines.append(line)
    for line in lines[-(b.room - 1) :]:
        b.section(line)
    return Reply(
        text=f"History of {view.ref}: {len(entries)} updates", blocks=b.blocks, actions=[view]
    )


COMMANDS = {"/lscb": _lscb_command, "/progress": _progress_command}


def respond(
    engine: Engine,
    *,
    user_id: str,
    text: str,
    board_name: str | None = None,
    default_board: str | None = None,
    channel_id: str | None = None,
    today: date | None = None,
    admin_ids: frozenset[str] = frozenset(),
    request_key: str | None = None,
    page: int = 0,
    slack: channels.ChannelAccess | None = None,
) -> tuple[Reply, Context]:
    """Open a session, build the context and answer: the door Slack, console and `say` share.

    Raises UnknownBoard when `board_name` names no board.
    """
    with session_scope(engine) as session:
        ctx = make_context(
            session,
            user_id=user_id,
            board_name=board_name,
            default_board=default_board,
            channel_id=channel_id,
            today=today,
            admin_ids=admin_ids,
            request_key=request_key,
            page=page,
        )
        if slack is not None:
            ctx = replace(ctx, slack=slack)
        return handle(session, ctx, text), ctx
