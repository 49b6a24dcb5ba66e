"""Two `web` processes and one `worker` on one PostgreSQL database, as a deployment runs them.

Skipped without TEST_DATABASE_URL. Uses a schema of its own, so it never meets other tests' data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.clock import LONDON
from store.db import make_engine
from store.models import Board, ProgressUpdate, Subgroup
from tests.fake_slack import TEAM_ID, FakeSlack
from tests.web_server import (
    WebServer,
    base_env,
    post,
    procfile,
    release,
    signature_headers,
    start_web,
)

PG_URL = os.environ.get("TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
ADMIN = "U0MPADMIN"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[list[WebServer], FakeSlack, dict[str, str], str]]:
    assert PG_URL
    schema = f"mp_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    fake = FakeSlack()
    env = base_env(url, fake.api_url, ADMIN_USER_IDS=ADMIN, DEFAULT_BOARD="WSCB")
    release(env, tmp_path)
    webs = [start_web(env, tmp_path), start_web(env, tmp_path)]
    try:
        yield webs, fake, env, url
    finally:
        for web in webs:
            web.stop()
        fake.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def slash(web: WebServer, fake: FakeSlack, command: str, text_: str, name: str) -> int:
    body = urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": "C0GENERAL",
            "user_id": ADMIN,
            "command": command,
            "text": text_,
            "response_url": fake.response_url(name),
            "trigger_id": f"{uuid.uuid4().int % 10**9}.mp",
        }
    ).encode()
    return post(f"{web.url}/slack/events", body, FORM, signature_headers(body))[0]


def event(web: WebServer, payload: dict[str, object], event_id: str, retry: int = 0) -> int:
    body = json.dumps(
        {"type": "event_callback", "team_id": TEAM_ID, "event": payload, "event_id": event_id}
    ).encode()
    headers = signature_headers(body)
    if retry:
        headers["X-Slack-Retry-Num"] = str(retry)
    return post(f"{web.url}/slack/events", body, "application/json", headers)[0]


def test_two_webs_and_a_worker_serve_every_surface_and_post_digests_once(
    deployment: tuple[list[WebServer], FakeSlack, dict[str, str], str], tmp_path: Path
) -> None:
    (web1, web2), fake, env, url = deployment

    # Slash commands and /progress, one through each web process.
    assert slash(web1, fake, "/lscb", "help", "help") == 200
    assert "Worcestershire SCB" in fake.wait_for("help")[0].args["text"]
    assert slash(web2, fake, "/progress", "1.1a amber multi-process note", "prog") == 200
    assert fake.wait_for("prog")[0].args["text"].startswith("Recorded for *1.1a*")

    # A DM, its retry landing on the other process: one reply.
    dm = {"type": "message", "channel_type": "im", "channel": "D0MP00001", "user": ADMIN,
          "text": "overview", "ts": "1700000000.000100"}
    assert event(web1, dm, "EvMP000001") == 200
    assert event(web2, dm, "EvMP000001", retry=1) == 200
    fake.wait_until(lambda: fake.delivered("D0MP00001"))
    time.sleep(0.5)
    assert len(fake.delivered("D0MP00001")) == 1

    # App Home and the action picker's options load.
    assert event(web2, {"type": "app_home_opened", "user": ADMIN, "tab": "home"}, "EvMP2") == 200
    fake.wait_for("views.publish")
    suggestion = {
        "type": "block_suggestion",
        "user": {"id": ADMIN},
        "team": {"id": TEAM_ID},
        "action_id": "progress_action",
        "block_id": "action",
        "value": "neglect",
        "view": {"id": "V1", "private_metadata": json.dumps({"board": "WSCB"})},
    }
    body = urlencode({"payload": json.dumps(suggestion)}).encode()
    status, options = post(f"{web1.url}/slack/events", body, FORM, signature_headers(body))
    assert status == 200 and json.loads(options)["options"]

    engine = make_engine(url)
    with Session(engine) as s:
        notes = [u.note for u in s.exec(select(ProgressUpdate))]
        for group in s.exec(select(Subgroup).join(Board).where(Board.code == "WSCB")):
            group.slack_channel_id = f"C{group.id:08d}"
            s.add(group)
        s.commit()
        channels = [g.slack_channel_id for g in s.exec(select(Subgroup)) if g.slack_channel_id]
    engine.dispose()
    assert notes == ["multi-process note"]

    # Scheduled work: the worker's scheduler (Procfile) and two cron `digest` runs at once.
    today = datetime.now(LONDON).date().isoformat()
    worker = subprocess.Popen(procfile("worker"), env=env, cwd=tmp_path, stderr=subprocess.PIPE)
    crons = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "digest", "--as-of", today],
            env={**env, "SLACK_SIGNING_SECRET": ""},  # cron has the bot token only
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0] for p in crons]
    assert all(p.returncode == 0 for p in crons), outs
    try:
        time.sleep(3)  # the worker's first pass starts at once; let it finish
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert sorted({len(fake.delivered(c)) for c in channels}) == [1]
    with urllib.request.urlopen(f"{web2.url}/healthz", timeout=5) as health:
        assert health.status == 200
