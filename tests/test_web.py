"""The `web` process as deployed: gunicorn from the Procfile on a loopback port, a fake Slack."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine

from bot import health
from store.db import make_engine, upgrade
from tests.fake_slack import TEAM_ID, FakeSlack
from tests.web_server import (
    TRACEBACK,
    WebServer,
    base_env,
    post,
    release,
    signature_headers,
    start_web,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
USER = "U0WEB0001"


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def web(slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """One gunicorn `web` (2 processes) on a temporary, released SQLite database."""
    tmp = tmp_path_factory.mktemp("web")
    env = base_env(f"sqlite:///{tmp / 'web.db'}", slack.api_url)
    release(env, tmp)
    server = start_web(env, tmp)
    yield server
    server.stop()


def command_body(slack: FakeSlack, text: str, reply_to: str, command: str = "/lscb") -> bytes:
    return urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": "C0GENERAL",
            "user_id": USER,
            "command": command,
            "text": text,
            "response_url": slack.response_url(reply_to),
            "trigger_id": f"{uuid.uuid4().int % 10**9}.1.x",
        }
    ).encode()


def signed_post(web: WebServer, body: bytes, content_type: str = FORM) -> tuple[int, str]:
    return post(f"{web.url}/slack/events", body, content_type, signature_headers(body))


def test_healthz_ok_on_a_released_database(web: WebServer) -> None:
    status, text = post_get(f"{web.url}/healthz")
    assert (status, text.strip()) == (200, "ok")


def post_get(url: str) -> tuple[int, str]:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def test_healthz_names_a_schema_behind_and_an_unreachable_database(tmp_path: Path) -> None:
    behind = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(behind, "0001")
    ok, reason = health.check(behind)
    assert not ok and "0001" in reason and "migrate" in reason
    nowhere: Engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert health.check(nowhere) == (False, health.UNREACHABLE)


def test_a_slash_command_is_acked_and_answered(web: WebServer, slack: FakeSlack) -> None:
    status, _ = signed_post(web, command_body(slack, "help", "help"))
    assert status == 200
    [reply] = slack.wait_for("help")
    assert "Worcestershire SCB" in reply.args["text"]  # DEFAULT_BOARD's help, from the database


def test_web_starts_and_says_ok_while_slack_is_unreachable(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}/api/"
    env = base_env(f"sqlite:///{tmp_path / 'web.db'}", nowhere)
    release(env, tmp_path)
    server = start_web(env, tmp_path)  # returns once /healthz answers
    try:
        assert post_get(f"{server.url}/healthz") == (200, "ok\n")
    finally:
        server.stop()


def test_url_verification_challenge(web: WebServer) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-42", "token": "x"}).encode()
    status, text = signed_post(web, body, "application/json")
    assert status == 200 and "c-42" in text


def test_bodies_over_a_megabyte_are_refused_before_parsing(web: WebServer) -> None:
    body = b"payload=" + b"x" * (1024 * 1024 + 1)
    status, text = signed_post(web, body)
    assert status == 413 and "too large" in text
    assert test_healthz_ok_on_a_released_database(web) is None  # and the server serves on


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "1" * 40, "X-Slack-Signature": "v0=00"},
        {},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=bad"},
    ],
)
def test_malformed_or_wrong_signatures_get_401(web: WebServer, headers: dict[str, str]) -> None:
    status, text = post(f"{web.url}/slack/events", b"command=%2Flscb", FORM, headers)
    assert status == 401 and not TRACEBACK.search(text)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=%7Bnot-json", FORM),
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"type": "event_callback", "event": "\xff\xfe"}', "application/json"),
    ],
)
def test_malformed_payloads_get_400_and_a_log_line(
    web: WebServer, body: bytes, content_type: str
) -> None:
    before = web.log().count("refused a malformed Slack payload")
    status, text = signed_post(web, body, content_type)
    assert status == 400 and text.strip() == "malformed Slack payload"
    deadline = time.monotonic() + 5
    while web.log().count("refused a malformed Slack payload") == before:
        assert time.monotonic() < deadline, web.log()
        time.sleep(0.05)


def test_odd_but_signed_payloads_never_leak_a_traceback(web: WebServer) -> None:
    odd = [
        (json.dumps({"type": "event_callback"}).encode(), "application/json"),
        (json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode(), JSON),
        (b"payload=" + json.dumps({"type": "block_actions"}).encode(), FORM),
        (b"payload=" + json.dumps({"type": "view_submission", "view": {}}).encode(), FORM),
        (b"command=%2Fprogress", FORM),
        (b"", FORM),
    ]
    for body, content_type in odd:
        status, text = signed_post(web, body, content_type)
        assert status < 500 or text.strip() in ("", "internal error"), (body, status, text)
        assert not TRACEBACK.search(text)
    assert test_healthz_ok_on_a_released_database(web) is None


def test_idle_and_slow_clients_do_not_block_others(web: WebServer, slack: FakeSlack) -> None:
    idle = []
    for i in range(40):
        sock = socket.create_connection(("127.0.0.1", web.port))
        if i % 2:  # half send the start of a request and then stall
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Le")
        idle.append(sock)
    try:
        with ThreadPoolExecutor(10) as pool:
            results = list(
                pool.map(
                    lambda n: signed_post(web, command_body(slack, "help", f"idle{n}")),
                    range(20),
                )
            )
        assert [status for status, _ in results] == [200] * 20
        slack.wait_for("idle19")
    finally:
        for sock in idle:
            sock.close()


def test_retried_events_over_http_get_one_reply(web: WebServer, slack: FakeSlack) -> None:
    channel = f"D{uuid.uuid4().hex[:8].upper()}"
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": USER,
        "text": "help",
        "ts": "1700000000.000100",
    }
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "event": event,
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
        }
    ).encode()

    def deliver(attempt: int) -> int:
        headers = signature_headers(body)
        if attempt:
            headers |= {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        return post(f"{web.url}/slack/events", body, JSON, headers)[0]

    with ThreadPoolExecutor(3) as pool:  # at once, so they spread over both web processes
        assert list(pool.map(deliver, range(3))) == [200, 200, 200]
    slack.wait_until(lambda: slack.delivered(channel))
    time.sleep(1.0)  # room for a second reply, were one coming
    assert len(slack.delivered(channel)) == 1
