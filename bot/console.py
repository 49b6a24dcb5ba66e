"""The local console: type what you would type in Slack, on the real database, no Slack needed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from bot.conversation import respond
from bot.render import plain_text, save_files
from bot.settings import Settings
from store.queries import UnknownBoard, find_board, list_boards

BANNER = (
    "LSCB plan bot - local console (no Slack tokens set).\n"
    "Type what you would type to the bot in Slack, e.g. `overview` or `help`.\n"
    "Console commands: :board CODE, :user USER_ID, :today YYYY-MM-DD, :quit\n"
)


def run_console(
    settings: Settings,
    engine: Engine,
    *,
    board: str | None = None,
    user: str = "UCONSOLE",
    today: date | None = None,
    read: Callable[[str], str] = input,
    write: Callable[[str], object] = print,
) -> int:
    """Pick a board and user, then answer each line until :quit or end of input."""
    write(BANNER)
    with Session(engine) as session:
        boards = list_boards(session)
    if not boards:
        write("No boards are loaded: run `python -m bot seed`.")
        return 1
    write("Boards: " + ", ".join(f"{b.code} ({b.short_name})" for b in boards))
    default = board or settings.default_board or boards[0].code
    lines = _lines(read, default)
    code = _pick_board(engine, lines, default, write)
    if code is None:
        return 0
    answer = next(lines, None)
    if answer is None:
        return 0
    user = answer.strip() or user
    for line in lines:
        text = line.strip()
        if text in (":quit", ":q", "quit", "exit"):
            break
        if text.startswith(":board"):
            code = _choose(engine, text.removeprefix(":board").strip(), write) or code
            continue
        if text.startswith(":user"):
            user = text.removeprefix(":user").strip() or user
            write(f"Now acting as {user}.")
            continue
        if text.startswith(":today"):
            try:
                today = date.fromisoformat(text.removeprefix(":today").strip())
                write(f"Today is now {today.isoformat()}.")
            except ValueError:
                write("Give the date as YYYY-MM-DD.")
            continue
        reply, _ = respond(
            engine,
            user_id=user,
            text=text,
            board_name=code,
            today=today,
            admin_ids=settings.admin_user_ids,
        )
        write(plain_text(reply))
        # Files Slack would upload to the person (an export, a report) land in this directory.
        for attachment, path in zip(reply.files, save_files(reply.files, Path.cwd()), strict=True):
            write(f"Saved {attachment.title}: {path}")
    return 0


def _lines(read: Callable[[str], str], default_board: str) -> Iterator[str]:
    prompts = iter((f"Board [{default_board}]: ", "Your Slack user id [UCONSOLE]: "))
    while True:
        prompt = next(prompts, "> ")
        try:
            yield read(prompt)
        except EOFError:
            return


def _pick_board(
    engine: Engine, lines: Iterator[str], default: str, write: Callable[[str], object]
) -> str | None:
    while True:
        answer = next(lines, None)
        if answer is None:
            return None
        code = _choose(engine, answer.strip() or default, write)
        if code:
            return code


def _choose(engine: Engine, name: str, write: Callable[[str], object]) -> str | None:
    with Session(engine) as session:
        try:
            board = find_board(session, name)
        except UnknownBoard as exc:
            write(str(exc))
            return None
    write(f"Board: {board.short_name} ({board.code}), plan {board.period}.")
    return board.code
