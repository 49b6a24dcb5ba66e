"""Faults injected through the real database engine, and slash commands with their own ids.

No mocks of our code: a failure is raised by a real SQLAlchemy engine event (as the driver
would raise it), or by a real lock held by another connection.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from slack_bolt import BoltRequest
from sqlalchemy import Engine, event

from tests.conftest import SUBPROCESS_URLS, signed_request
from tests.fake_slack import TEAM_ID


@contextmanager
def failing(engine: Engine, statement_start: str) -> Iterator[list[str]]:
    """Make the database refuse every statement that starts with `statement_start`
    (e.g. "INSERT INTO auditevent"), as a full disk would; yields the statements refused."""
    refused: list[str] = []

    def refuse(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(statement_start.upper()):
            refused.append(statement)
            raise conn.dialect.loaded_dbapi.OperationalError("injected failure: disk I/O error")

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield refused
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


@contextmanager
def write_locked(engine: Engine) -> Iterator[None]:
    """Another connection holds a write transaction on the engine's SQLite file."""
    url = SUBPROCESS_URLS[engine]
    assert url.startswith("sqlite:///")
    other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def slash(
    command: str, text: str, *, user_id: str, response_url: str, channel_id: str = "C0GENERAL"
) -> BoltRequest:
    """A signed slash command with its own trigger_id (Slack's id for each invocation)."""
    body = {
        "team_id": TEAM_ID,
        "channel_id": channel_id,
        "user_id": user_id,
        "command": command,
        "text": text,
        "api_app_id": "A0APP0001",
        "response_url": response_url,
        "trigger_id": f"{uuid.uuid4().int % 10**12}.42.{uuid.uuid4().hex[:8]}",
    }
    return signed_request(urlencode(body), "application/x-www-form-urlencoded")
