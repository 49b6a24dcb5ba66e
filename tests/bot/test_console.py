"""The console as a newcomer meets it: `python -m bot` with no Slack tokens, in a real terminal.

Each test starts the real program on a pseudo-terminal, waits for each prompt as a person
would, types a line and reads what the screen shows.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from time import monotonic

import pytest

from seed.loader import load_all
from store.db import upgrade
from tests.conftest import SUBPROCESS_URLS, _new_engine

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # seconds to wait for a prompt before failing (a deadline, not a measurement)


class Terminal:
    """A program on a pseudo-terminal: type lines, read the screen."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        master, slave = os.openpty()
        self.proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True
        )
        os.close(slave)
        self.master = master
        self.screen = ""
        self.seen = 0  # how much of the screen earlier waits have consumed

    def wait_for(self, text: str) -> str:
        """Read until `text` appears after what was already read; return the new screen part."""
        deadline = monotonic() + WAIT
        while text not in self.screen[self.seen :]:
            left = deadline - monotonic()
            ready, _, _ = select.select([self.master], [], [], max(left, 0))
            chunk = b""
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the program has exited and the terminal is closed
                    chunk = b""
            if not chunk:
                raise AssertionError(f"never saw {text!r}; the screen:\n{self.screen}")
            self.screen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        end = self.screen.index(text, self.seen) + len(text)
        part, self.seen = self.screen[self.seen : end], end
        return part

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def answer(self, prompt: str, line: str) -> None:
        """Wait for `prompt`, then type `line`."""
        self.wait_for(prompt)
        self.type(line)

    def finish(self) -> int:
        """Wait for the program to end; its exit code."""
        try:
            code = self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the program did not end; the screen:\n{self.screen}") from None
        finally:
            try:
                while os.read(self.master, 65536):
                    pass
            except OSError:
                pass
            os.close(self.master)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded SQLite database the console processes share (each test acts as its own user)."""
    engine, dispose = _new_engine("sqlite", tmp_path_factory.mktemp("console"))
    upgrade(engine)
    load_all(engine)
    yield SUBPROCESS_URLS[engine]
    dispose()


@pytest.fixture
def terminal(database: str, tmp_path: Path) -> Iterator[object]:
    """Start `python -m bot ARGS` (no Slack tokens: the console) on a pseudo-terminal."""
    started: list[Terminal] = []

    def start(*args: str, default_board: str = "WDSCB") -> Terminal:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env |= {"DATABASE_URL": database, "DEFAULT_BOARD": default_board, "TERM": "dumb"}
        env.pop("ADMIN_USER_IDS", None)
        term = Terminal([sys.executable, "-m", "bot", *args], env, tmp_path)
        started.append(term)
        return term

    yield start
    for term in started:
        term.kill()


def test_a_question_at_the_first_prompt_is_answered(terminal) -> None:
    term = terminal()  # as `bash scripts/run` starts it
    term.answer("Board [WDSCB]: ", "what's overdue")
    first = term.wait_for("> ")
    assert "No board called" not in first
    assert "overdue on Wakefield & District SCB" in first
    # …and it says how to change board and user later.
    assert ":board" in first and ":user" in first and ":help" in first
    term.type("what are my actions")  # not taken for a user id
    mine = term.wait_for("> ")
    assert "I don't know your role on Wakefield & District SCB" in mine
    term.type(":quit")
    assert term.finish() == 0
    assert "Traceback" not in term.screen


def test_a_mistyped_board_is_asked_again_and_a_question_for_the_user_is_answered(
    terminal,
) -> None:
    term = terminal("console")
    term.answer("Board [WDSCB]: ", "Dudly")
    mistyped = term.wait_for("Board [WDSCB]: ")  # asked again, nothing else taken from it
    assert "No board called 'Dudly'" in mistyped and "Did you mean DSCB" in mistyped
    term.type("dscb")
    term.answer("Your Slack user id [UCONSOLE]: ", "who leads 1.1")
    led = term.wait_for("> ")
    assert "Who leads 1.1" in led and "Dudley SCB" in led
    assert "UCONSOLE" in led  # says who it answered as
    term.type("overview")
    assert "Dudley SCB business plan 2015/16" in term.wait_for("> ")
    term.type(":quit")
    assert term.finish() == 0


def test_console_commands_work_at_every_prompt(terminal) -> None:
    term = terminal()
    term.answer("Board [WDSCB]: ", ":help")
    listed = term.wait_for("Board [WDSCB]: ")
    for command in (":board CODE", ":user", ":today", ":quit"):
        assert command in listed
    term.type("hscb")
    term.answer("Your Slack user id [UCONSOLE]: ", ":user U0CONS0L2")
    ready = term.wait_for("> ")
    assert "Now acting as U0CONS0L2" in ready and "as U0CONS0L2" in ready
    term.type(":user nonsense")
    assert "isn't a Slack user id" in term.wait_for("> ")
    term.type(":board Narnia")
    assert "No board called 'Narnia'" in term.wait_for("> ")
    term.type(":board sscb")
    assert "Board: Shropshire SCB (SSCB)" in term.wait_for("> ")
    term.type("overview")
    assert "Shropshire SCB business plan" in term.wait_for("> ")
    term.type(":today 2012-13-40")
    assert "YYYY-MM-DD" in term.wait_for("> ")
    term.type(":frobnicate")
    assert ":help" in term.wait_for("> ")
    term.type(":quit")
    assert term.finish() == 0


def test_quit_at_the_first_prompt_leaves(terminal) -> None:
    term = terminal()
    term.answer("Board [WDSCB]: ", ":quit")
    assert term.finish() == 0
    assert "No board called" not in term.screen


def test_choosing_a_board_with_lscb_moves_the_console_too(terminal) -> None:
    term = terminal()
    term.answer("Board [WDSCB]: ", "")
    term.answer("Your Slack user id [UCONSOLE]: ", "U0CONS0L3")
    term.answer("> ", "/lscb board Worcestershire")
    moved = term.wait_for("> ")
    assert "now asks about WSCB" in moved
    term.type("overview")
    assert "Worcestershire SCB business plan" in term.wait_for("> ")
    term.type(":quit")
    assert term.finish() == 0


@pytest.mark.parametrize("typed", ["", "wdscb\n", "wdscb\nU0CONS0L4\n"])
def test_end_of_input_at_any_prompt_leaves_cleanly(database: str, typed: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = database
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input=typed,
        text=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=WAIT,
    )
    assert result.returncode == 0
    assert "Traceback" not in result.stderr + result.stdout
