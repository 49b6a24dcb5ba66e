"""Shared fixtures: real databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the seeded plans, a loopback fake of Slack's Web API, and a Bolt app wired to both."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot.app import create_app
from bot.clock import now_utc
from bot.conversation import respond
from bot.settings import Settings
from seed.loader import load_all
from store.db import make_engine, upgrade
from store.models import Action, ProgressUpdate
from store.state import apply_update
from tests.fake_slack import TEAM_ID, FakeSlack

SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
#: For each test engine, a DATABASE_URL that another process can use to reach the same data.
SUBPROCESS_URLS: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _new_engine(backend: str, tmp: Path) -> tuple[Engine, Any]:
    """A fresh, empty database of `backend`, and a function that disposes of it."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp / 'test.db'}")
        SUBPROCESS_URLS[engine] = f"sqlite:///{tmp / 'test.db'}"
        return engine, engine.dispose
    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    SUBPROCESS_URLS[engine] = f"{PG_URL}?options=-csearch_path%3D{schema}"

    def drop() -> None:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, drop


@pytest.fixture
def empty_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A database with no schema at all (for migration tests)."""
    engine, dispose = _new_engine(backend, tmp_path)
    yield engine
    dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A database upgraded to the newest schema, with no plans loaded."""
    upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """A fresh database with the five seed plans, safe to write to."""
    load_all(engine)
    return engine


@pytest.fixture(scope="session")
def shared_seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One seeded SQLite database for read-only tests across the session."""
    engine, dispose = _new_engine("sqlite", tmp_path_factory.mktemp("shared"))
    upgrade(engine)
    load_all(engine)
    yield engine
    dispose()


# -- Slack ------------------------------------------------------------------------------------


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def slack_settings(fake_slack: FakeSlack) -> Settings:
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "DEFAULT_BOARD": "WSCB",
        }
    )


@pytest.fixture
def slack_app(slack_settings: Settings, seeded: Engine) -> App:
    """The real Bolt app, talking to the fake Web API, on a seeded database."""
    return create_app(slack_settings, seeded)


def signed_request(body: str, content_type: str, secret: str = SIGNING_SECRET) -> BoltRequest:
    """A request as Slack sends it: body plus X-Slack-Signature and timestamp headers."""
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    headers = {
        "content-type": [content_type],
        "x-slack-signature": [signature],
        "x-slack-request-timestamp": [timestamp],
    }
    return BoltRequest(body=body, headers=headers)


def event_request(event: dict[str, Any], secret: str = SIGNING_SECRET) -> BoltRequest:
    """A signed Events API callback wrapping `event`."""
    body = {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": "A0APP0001",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOTUSER1", "is_bot": True}],
    }
    return signed_request(json.dumps(body), "application/json", secret)


def command_request(
    command: str, text: str, *, user_id: str, response_url: str, channel_id: str = "C0GENERAL"
) -> BoltRequest:
    """A signed, form-encoded slash command."""
    body = urlencode(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "team_domain": "lscb",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0APP0001",
            "response_url": response_url,
            "trigger_id": "1337.42.abcdef",
        }
    )
    return signed_request(body, "application/x-www-form-urlencoded")


MINI_PLANS = Path(__file__).parent / "data" / "plans"


@pytest.fixture
def mini(engine: Engine) -> Engine:
    """A database holding only the small Testshire plan (tests/data/plans/mini.toml)."""
    load_all(engine, MINI_PLANS)
    return engine


def interaction_request(payload: dict[str, Any]) -> BoltRequest:
    """A signed interactivity request (block_actions, view_submission, block_suggestion)."""
    body = urlencode({"payload": json.dumps(payload)})
    return signed_request(body, "application/x-www-form-urlencoded")


ADMIN_ID = "U0ADMIN01"


@pytest.fixture
def mini_app(fake_slack: FakeSlack, mini: Engine) -> App:
    """The real Bolt app on the small Testshire plan, with one admin."""
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "DEFAULT_BOARD": "TSCB",
            "ADMIN_USER_IDS": ADMIN_ID,
        }
    )
    return create_app(settings, mini)


def lscb(
    engine: Engine, user: str, text: str, channel: str | None = None, board: str = "TSCB"
) -> str:
    """What `user` is told after typing `/lscb TEXT` (in `channel`), with ADMIN_ID as admin."""
    reply, _ = respond(
        engine,
        user_id=user,
        text=f"/lscb {text}",
        board_name=board,
        channel_id=channel,
        admin_ids=frozenset({ADMIN_ID}),
    )
    return reply.text


def add_update(engine: Engine, ref: str, **fields: Any) -> None:
    """Store a progress update on the action `ref` directly (for tests of what reads them)."""
    with Session(engine) as s:
        action = s.exec(select(Action).where(Action.ref == ref)).one()
        fields.setdefault("author_slack_user_id", "U9")
        fields.setdefault("created_at", now_utc())
        apply_update(s, ProgressUpdate(action_id=action.id, **fields))
        s.commit()



def submission(user: str, values: dict[str, Any], view_id: str = "V123") -> dict[str, Any]:
    """A signed-ready progress-modal submission: `values` maps block ids to element states
    (and "action" to the picked action's value), as Slack sends them."""
    state = {
        "action": {
            "progress_action": {
                "type": "external_select",
                "selected_option": {
                    "value": values.pop("action"),
                    "text": {"type": "plain_text", "text": "x"},
                },
            }
        },
    }
    for block, value in values.items():
        state[block] = {block: value}
    return {
        "type": "view_submission",
        "user": {"id": user},
        "team": {"id": TEAM_ID},
        "trigger_id": "1.2",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": "progress_modal",
            "private_metadata": json.dumps({"board": "TSCB"}),
            "state": {"values": state},
        },
    }


def button_click(
    user: str, button: dict[str, Any], response_url: str, channel: str = "D0DM00001"
) -> dict[str, Any]:
    """A `block_actions` payload: `user` presses `button` (as the app rendered it) in a message
    in `channel`, with Slack's response URL for the reply."""
    return {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": TEAM_ID},
        "trigger_id": "123.456",
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": "1700000000.000100"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "value": button.get("value", ""),
                "block_id": "b",
                "action_ts": "1700000001.0",
            }
        ],
    }

def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the measures tests record (accuracy, guard rates), also from xdist workers."""
    measures = [
        value
        for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
            "failed", []
        )
        if report.when == "call"
        for key, value in report.user_properties
        if key == "measure"
    ]
    if measures:
        terminalreporter.section("measures")
        for line in sorted(set(measures)):
            terminalreporter.write_line(str(line))
