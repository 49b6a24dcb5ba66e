"""The local console: type what you would type in Slack, on the real database, no Slack needed.

Every prompt takes a question: a newcomer's first line is usually one, whatever the prompt
says. Lines starting with `:` are the console's own commands, at any prompt.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.conversation import respond
from bot.render import plain_text, save_files
from bot.settings import Settings
from store.models import Board, Person
from store.queries import UnknownBoard, board_names, find_board, list_boards

BANNER = (
    "LSCB plan bot - local console (no Slack tokens set).\n"
    "Type what you would type to the bot in Slack, e.g. `what's overdue`, `overview` or `help`.\n"
)
CONSOLE_HELP = (
    "Console commands, at any prompt:\n"
    "  :board CODE        switch board ({boards})\n"
    "  :user U012ABCDEF   act as this Slack user id\n"
    "  :today YYYY-MM-DD  pretend today is that date (`:today` alone: really today)\n"
    "  :help              this list\n"
    "  :quit              leave (Ctrl-D does too)\n"
    "Anything else goes to the bot as if typed in Slack: questions, `/lscb …`, `/progress …`."
)
ASK_BOARD = "Which board? Press Enter for {default}, type a code, or just ask a question."
BOARD_PROMPT = "Board [{default}]: "
ASK_USER = (
    "Which Slack user are you? Press Enter for {user}, type an id like U012ABCDEF, "
    "or just ask a question."
)
USER_PROMPT = "Your Slack user id [{user}]: "
PROMPT = "> "
BOARD_CHOSEN = "Board: {name} ({code}), plan {period}."
QUESTION_FIRST = "Answering that on {name} ({code}), plan {period}:"
NO_SUCH_BOARD = "No board called '{text}'.{hint} Boards: {boards}. Or just ask a question."
DID_YOU_MEAN = " Did you mean {code} ({name})?"
READY = (
    "Asking about {code} as {user}. Change with `:board CODE` or `:user U…`; "
    "`:help` lists console commands, `:quit` leaves."
)
NOW_USER = "Now acting as {user}."
BAD_USER = "'{text}' isn't a Slack user id: they look like U012ABCDEF. Still acting as {user}."
USER_IS = "Acting as {user} (`:user U012ABCDEF` to change)."
TODAY_IS = "Today is now {today}."
TODAY_REAL = "Today is really today again."
BAD_TODAY = "Give the date as YYYY-MM-DD, e.g. `:today 2019-01-31`."
UNKNOWN_CONSOLE_COMMAND = "I don't know `{command}`. " + "`:help` lists console commands."
BOARD_FOLLOWS = "The console now asks about {code}, your board."
QUIT = (":quit", ":q", ":exit", "quit", "exit")

# A Slack user id as people paste it: U012ABCDEF, @U012ABCDEF or <@U012ABCDEF>.
_USER_ID = re.compile(r"^<?@?([UW][A-Z0-9]{5,})(?:\|[^>]*)?>?$")
# How close a short answer must be to a board's name to be a mistyped board, not a question.
BOARD_LIKENESS = 75
MAX_BOARD_WORDS = 3


@dataclass
class _State:
    """What the console asks as: board code, Slack user id and the pretend date."""

    code: str | None
    user: str
    today: date | None


class _Quit(Exception):
    """The person asked to leave, or input ended."""


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
    """Pick a board and user (or start with a question), then answer each line until :quit."""
    if read is input and sys.stdin.isatty():
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (arrow keys and history at the prompt)
    write(BANNER)
    with Session(engine) as session:
        boards = list_boards(session)
    if not boards:
        write("No boards are loaded: run `python -m bot seed`.")
        return 1
    write("Boards: " + _board_list(boards))
    default = _default_board(engine, board or settings.default_board) or boards[0].code
    state = _State(code=None, user=user, today=today)
    console = _Console(settings, engine, state, read, write)
    try:
        asked = console.pick_board(default)
        if not asked:
            console.pick_user()
        write(READY.format(code=state.code, user=state.user))
        while True:
            console.line(console.read(PROMPT))
    except _Quit:
        return 0


class _Console:
    """The session loop: each line is a console command or goes to the bot."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        state: _State,
        read: Callable[[str], str],
        write: Callable[[str], object],
    ) -> None:
        self.settings, self.engine, self.state = settings, engine, state
        self._read, self.write = read, write

    def read(self, prompt: str) -> str:
        """One line, stripped; end of input or Ctrl-C leaves."""
        try:
            return self._read(prompt).strip()
        except (EOFError, KeyboardInterrupt):
            self.write("")
            raise _Quit from None

    def pick_board(self, default: str) -> bool:
        """Ask for the board until one is chosen; True when the answer was a question instead."""
        self.write(ASK_BOARD.format(default=default))
        while self.state.code is None:
            text = self.read(BOARD_PROMPT.format(default=default))
            if text.startswith(":") or text.lower() in QUIT:
                self.command(text)
                continue
            board = self._find(text or default)
            if board is not None:
                self._use(board)
                return False
            if _mistyped_board(self.engine, text) is not None:
                self._no_board(text)
                continue
            # A question: answer it on the default board rather than refuse it.
            found = self._find(default)
            if found is None:
                self._no_board(default)
                continue
            self.state.code = found.code
            self.write(
                QUESTION_FIRST.format(name=found.short_name, code=found.code, period=found.period)
            )
            self.answer(text)
            return True
        return False

    def pick_user(self) -> None:
        """Ask who to act as; a question here is answered as the default user."""
        self.write(ASK_USER.format(user=self.state.user))
        while True:
            text = self.read(USER_PROMPT.format(user=self.state.user))
            if not text:
                return
            if text.startswith(":") or text.lower() in QUIT:
                before = self.state.user
                self.command(text)
                if self.state.user != before:
                    return
                continue
            match = _USER_ID.match(text)
            if match:
                self.state.user = match.group(1)
                self.write(NOW_USER.format(user=self.state.user))
                return
            self.write(USER_IS.format(user=self.state.user))
            self.answer(text)
            return

    def line(self, text: str) -> None:
        """One line at the main prompt."""
        if not text:
            return
        if text.startswith(":") or text.lower() in QUIT:
            self.command(text)
        else:
            self.answer(text)

    def command(self, text: str) -> None:
        """A console command: :board, :user, :today, :help, :quit."""
        name, _, arg = text.partition(" ")
        name, arg = name.lower(), arg.strip()
        if name in QUIT:
            raise _Quit
        if name in (":help", ":h", ":?"):
            with Session(self.engine) as session:
                boards = ", ".join(b.code for b in list_boards(session))
            self.write(CONSOLE_HELP.format(boards=boards))
        elif name == ":board":
            board = self._find(arg) if arg else None
            if board is not None:
                self._use(board)
            elif arg:
                self._no_board(arg)
            else:
                with Session(self.engine) as session:
                    boards = _board_list(list_boards(session))
                self.write(f"Board: {self.state.code or 'none yet'}. Boards: {boards}.")
        elif name == ":user":
            match = _USER_ID.match(arg)
            if match:
                self.state.user = match.group(1)
                self.write(NOW_USER.format(user=self.state.user))
            else:
                self.write(BAD_USER.format(text=arg, user=self.state.user))
        elif name == ":today":
            if not arg:
                self.state.today = None
                self.write(TODAY_REAL)
                return
            try:
                self.state.today = date.fromisoformat(arg)
                self.write(TODAY_IS.format(today=self.state.today.isoformat()))
            except ValueError:
                self.write(BAD_TODAY)
        else:
            self.write(UNKNOWN_CONSOLE_COMMAND.format(command=name))

    def answer(self, text: str) -> None:
        """Send `text` to the bot as the console's user, on the console's board, and print it."""
        before = self._person_board()
        reply, _ = respond(
            self.engine,
            user_id=self.state.user,
            text=text,
            board_name=self.state.code,
            today=self.state.today,
            admin_ids=self.settings.admin_user_ids,
        )
        self.write(plain_text(reply))
        # Files Slack would upload to the person (an export, a report) land in this directory.
        for attachment, path in zip(reply.files, save_files(reply.files, Path.cwd()), strict=True):
            self.write(f"Saved {attachment.title}: {path}")
        after = self._person_board()
        if after is not None and after != before and after != self.state.code:
            # `/lscb board X` moved this user: the console follows, or the next answer would
            # still come from the old board.
            self.state.code = after
            self.write(BOARD_FOLLOWS.format(code=after))

    def _person_board(self) -> str | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(Board.code)
                .join(Person, Person.board_id == Board.id)  # type: ignore[arg-type]
                .where(Person.slack_user_id == self.state.user)
            ).first()
        return row

    def _find(self, name: str) -> Board | None:
        with Session(self.engine) as session:
            try:
                return find_board(session, name)
            except UnknownBoard:
                return None

    def _use(self, board: Board) -> None:
        self.state.code = board.code
        self.write(BOARD_CHOSEN.format(name=board.short_name, code=board.code, period=board.period))

    def _no_board(self, text: str) -> None:
        near = _mistyped_board(self.engine, text)
        hint = DID_YOU_MEAN.format(code=near.code, name=near.short_name) if near else ""
        with Session(self.engine) as session:
            boards = _board_list(list_boards(session))
        self.write(NO_SUCH_BOARD.format(text=text, hint=hint, boards=boards))


def _board_list(boards: list[Board]) -> str:
    return ", ".join(f"{b.code} ({b.short_name})" for b in boards)


def _default_board(engine: Engine, name: str | None) -> str | None:
    """The code of the board `name` names, or None (a bad DEFAULT_BOARD is no default)."""
    if not name:
        return None
    with Session(engine) as session:
        try:
            return find_board(session, name).code
        except UnknownBoard:
            return None


def _mistyped_board(engine: Engine, text: str) -> Board | None:
    """The board a short answer nearly names ("Dudly", "WSBC"), else None: it is a question."""
    wanted = " ".join(text.split()).casefold()
    if not wanted or len(wanted.split()) > MAX_BOARD_WORDS:
        return None
    best: tuple[float, Board | None] = (0.0, None)
    with Session(engine) as session:
        for board in list_boards(session):
            for name in board_names(board):
                score = fuzz.ratio(wanted, name.casefold())
                if score > best[0]:
                    best = (score, board)
    return best[1] if best[0] >= BOARD_LIKENESS else None
