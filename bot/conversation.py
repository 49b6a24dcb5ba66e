"""The one entry point for anything a person types: Slack DMs, mentions, the console and `say`."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import noon_london, now_utc, today_london
from bot.render import RAG_EMOJI, BlockBuilder, Reply, escape, join_counts
from store.db import session_scope
from store.models import Board, Person
from store.queries import (
    COMPLETE,
    NO_UPDATE,
    UnknownBoard,
    action_views,
    board_priorities,
    find_board,
    list_boards,
)

logger = logging.getLogger(__name__)

# -- wording -----------------------------------------------------------------------------------

NO_BOARD = (
    "I don't know which board you're on yet. Ask an admin to set it, or name a board, "
    "e.g. `overview WSCB`. Boards: {boards}."
)
HELP_INTRO = "I answer questions about *{board}*'s business plan ({period}). Try:"
HELP_EXAMPLES = ("overview", "help")
NOT_UNDERSTOOD = (
    "Sorry, I didn't understand {text}. I can give you the plan *overview* or this *help*."
)
EMPTY = "Ask me about the business plan: try `overview` or `help`."
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


def make_context(
    session: Session,
    *,
    user_id: str,
    board_name: str | None = None,
    default_board: str | None = None,
    channel_id: str | None = None,
    today: date | None = None,
) -> Context:
    """Build the asker's context: the board named, else their own, else the default board.

    Raises UnknownBoard when `board_name` names no board.
    """
    person = session.exec(select(Person).where(Person.slack_user_id == user_id)).first()
    board: Board | None = None
    if board_name:
        board = find_board(session, board_name)
    elif person is not None and person.board_id is not None:
        board = session.get(Board, person.board_id)
    elif default_board:
        try:
            board = find_board(session, default_board)
        except UnknownBoard:
            logger.warning("DEFAULT_BOARD names no known board")
    if today is not None:
        return Context(user_id, board, person, channel_id, today, noon_london(today))
    return Context(user_id, board, person, channel_id)


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
    return answer(session, ctx, text)


def _clean(text: str) -> str:
    """Drop a leading @mention and surrounding space."""
    return re.sub(r"^\s*<@[A-Z0-9]+>\s*", "", text or "").strip()


def answer(session: Session, ctx: Context, text: str) -> Reply:
    """Answer a plain-words question."""
    words = text.lower().strip(" ?!.")
    board_name = None
    match = re.match(r"^(overview|plan|summary|priorities)(?:\s+(?:of|for)?\s*(.+))?$", words)
    if match:
        board_name = match.group(2)
        try:
            board = find_board(session, board_name) if board_name else ctx.board
        except UnknownBoard as exc:
            return Reply(text=escape(str(exc)))
        if board is None:
            return _no_board(session)
        return overview(session, ctx, board)
    if words in ("help", "hi", "hello", "?"):
        return help_reply(session, ctx)
    return Reply(text=NOT_UNDERSTOOD.format(text=f"“{escape(text)}”"))


def _no_board(session: Session) -> Reply:
    boards = ", ".join(f"{b.code} ({escape(b.short_name)})" for b in list_boards(session))
    return Reply(text=NO_BOARD.format(boards=boards or "none loaded"))


def help_reply(session: Session, ctx: Context) -> Reply:
    """What the bot can do, with examples from the asker's own board."""
    if ctx.board is None:
        return _no_board(session)
    b = BlockBuilder()
    intro = HELP_INTRO.format(board=escape(ctx.board.short_name), period=escape(ctx.board.period))
    b.section(intro + "\n" + "\n".join(f"• `{example}`" for example in HELP_EXAMPLES))
    return Reply(text=intro, blocks=b.blocks)


def overview(session: Session, ctx: Context, board: Board) -> Reply:
    """The plan at a glance: each priority with its work streams, actions and RAG counts."""
    assert board.id is not None
    views = action_views(session, board)
    by_priority: dict[str | None, list] = {}
    for view in views:
        by_priority.setdefault(view.priority_ref, []).append(view)

    b = BlockBuilder()
    b.header(f"{board.short_name} business plan {board.period}")
    overdue = sum(v.is_overdue(ctx.today) for v in views)
    summary = (
        f"{len(views)} actions across {len(board_priorities(session, board.id))} priorities"
        f" · {_rag_summary(views)}" + (f" · *{overdue} overdue*" if overdue else "")
    )
    b.context(summary)
    for priority in board_priorities(session, board.id):
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
        lines.append(f"_{len(extra)} items · {_rag_summary(extra)}_")
        b.section("\n".join(lines))
    text = f"{board.short_name} business plan {board.period}: {summary}"
    return Reply(text=text, blocks=b.blocks)


def _rag_summary(views: list) -> str:
    counts = Counter(v.status for v in views)
    order = ["red", "amber", "green", COMPLETE, NO_UPDATE]
    return join_counts((f"{RAG_EMOJI[s]} {s}", counts[s]) for s in order)


def _lscb_command(session: Session, ctx: Context, rest: str) -> Reply:
    sub = rest.split(" ", 1)[0].lower() if rest else "help"
    if sub in ("help", ""):
        return help_reply(session, ctx)
    return answer(session, ctx, rest)


COMMANDS = {"/lscb": _lscb_command}


def respond(
    engine: Engine,
    *,
    user_id: str,
    text: str,
    board_name: str | None = None,
    default_board: str | None = None,
    channel_id: str | None = None,
    today: date | None = None,
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
        )
        return handle(session, ctx, text), ctx
