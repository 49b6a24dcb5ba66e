"""Benchmark: the `web` process under 50 concurrent Slack clients, beside a floor from the same run.

Starts `web` exactly as the Procfile does (gunicorn, on a loopback port, on a fresh database
released with `python -m bot migrate`), with a loopback fake of Slack's Web API in this
process. Then, from 50 concurrent clients, each on a new connection:

* floor - signed `url_verification` requests: the same server, signature check and Bolt
          dispatch, with no listener work at all;
* load  - a fixed number of signed requests, a third each: `/progress <ref> amber <note>`,
          a DM question, an App Home open.

Prints throughput, p50/p99/max acknowledgement time, errors and connection resets for both,
then checks that every acknowledged `/progress` update is stored exactly once, and that every
acknowledged request got its one answer (DM reply, App Home, `/progress` confirmation; they may
follow the ack) and how long after the last ack the last came. Loopback only, bounded in count
(--requests) and time (--deadline).

Run: .venv/bin/python benchmarks/load.py [--requests 3000] [--clients 50] [--short] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from store.db import make_engine  # noqa: E402
from store.models import Action, Board, ProgressUpdate  # noqa: E402
from tests.fake_slack import TEAM_ID  # noqa: E402
from tests.web_server import ROOT, base_env, release, signature_headers, start_web  # noqa: E402

TARGET_P99_MS = 300.0
FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def send(port: int, body: bytes, content_type: str) -> tuple[str, float]:
    """One signed POST on a new connection: ('ok' | 'error' | 'reset' | 'timeout', seconds)."""
    headers = {"Content-Type": content_type, **signature_headers(body)}
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/slack/events", body, headers)
        response = conn.getresponse()
        response.read()
        outcome = "ok" if response.status == 200 else "error"
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        outcome = "reset"
    except TimeoutError:
        outcome = "timeout"
    except OSError:
        outcome = "error"
    finally:
        conn.close()
    return outcome, time.perf_counter() - started


class Mix:
    """The requests Slack would send while 50 people use the bot at once."""

    def __init__(self, fake: SlackProcess, users: list[str], refs: list[str], run: str) -> None:
        self.fake, self.users, self.refs, self.run = fake, users, refs, run

    def note(self, i: int) -> str:
        return f"load {self.run} n{i}"

    def request(self, i: int) -> tuple[str, bytes, str]:
        user = self.users[i % len(self.users)]
        kind = ("progress", "question", "home")[i % 3]
        if kind == "progress":
            ref = self.refs[i % len(self.refs)]
            body = urlencode(
                {
                    "team_id": TEAM_ID,
                    "channel_id": "C0LOAD001",
                    "user_id": user,
                    "command": "/progress",
                    "text": f"{ref} amber {self.note(i)}",
                    "response_url": self.fake.response_url(f"load{i}"),
                    "trigger_id": f"{i}.{self.run}",
                }
            ).encode()
            return kind, body, FORM
        if kind == "question":
            event: dict[str, Any] = {
                "type": "message",
                "channel_type": "im",
                "channel": "D" + user[1:],
                "user": user,
                "text": "what's overdue",
                "ts": f"1700000000.{i:06d}",
            }
        else:
            event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:]}
            event["tab"] = "home"
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM_ID,
                "event": event,
                "event_id": f"Ev{self.run}{i:07d}",
                "event_time": int(time.time()),
            }
        ).encode()
        return kind, body, JSON_TYPE


class SlackProcess:
    """tests/fake_slack.py in a process of its own, so its work is not timed as ours."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_slack"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base = self.proc.stdout.readline().strip()
        self.api_url = f"{self.base}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/response/{name}"

    def answered(self) -> Counter[str]:
        """Calls the fake has answered so far, by method ("response" for response_url posts)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return Counter(json.loads(self.proc.stdout.readline()))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def floor_request(i: int) -> tuple[str, bytes, str]:
    body = json.dumps({"type": "url_verification", "challenge": f"c{i}", "token": "x"}).encode()
    return "floor", body, JSON_TYPE


def hammer(port: int, make: Any, n: int, clients: int, deadline: float) -> dict[str, Any]:
    """Send n requests from `clients` threads; results per request index."""

    def one(i: int) -> tuple[int, str, str, float]:
        if time.monotonic() > deadline:
            return i, "", "not sent", 0.0
        kind, body, ctype = make(i)
        outcome, seconds = send(port, body, ctype)
        return i, kind, outcome, seconds

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(n)))
    wall = time.perf_counter() - started
    sent = [r for r in results if r[2] != "not sent"]
    times = [r[3] * 1000 for r in sent]
    outcomes = Counter(r[2] for r in results)
    by_kind: dict[str, list[float]] = {}
    for _, kind, _, seconds in sent:
        by_kind.setdefault(kind, []).append(seconds * 1000)
    return {
        "requests": n,
        "sent": len(sent),
        "throughput_rps": round(len(sent) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(times, 50), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "max_ms": round(max(times, default=0.0), 1),
        "errors": outcomes["error"] + outcomes["timeout"],
        "resets": outcomes["reset"],
        "not_sent": outcomes["not sent"],
        "p99_ms_by_kind": {k: round(percentile(v, 99), 1) for k, v in sorted(by_kind.items())},
        "_acked": [r[0] for r in results if r[1] == "progress" and r[2] == "ok"],
        "_acked_by_kind": Counter(r[1] for r in results if r[2] == "ok"),
    }


def stored_once(database_url: str, mix: Mix, acked: list[int], wait: float) -> dict[str, int]:
    """How many acknowledged updates are stored once, twice, or not (yet) at all."""
    engine = make_engine(database_url)
    wanted = {mix.note(i) for i in acked}
    deadline = time.monotonic() + wait
    while True:
        with Session(engine) as s:
            rows = s.exec(
                select(ProgressUpdate.note, func.count())
                .where(col(ProgressUpdate.note).like(f"load {mix.run} %"))
                .group_by(col(ProgressUpdate.note))
            ).all()
        counts = {note: n for note, n in rows if note in wanted}
        if len(counts) >= len(wanted) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    engine.dispose()
    return {
        "acknowledged": len(wanted),
        "stored_once": sum(1 for n in counts.values() if n == 1),
        "duplicates": sum(1 for n in counts.values() if n > 1),
        "missing": len(wanted) - len(counts),
    }


#: What answers each kind of request, once: the DM reply, App Home, /progress's confirmation.
ANSWERED_BY = {"question": "chat.postMessage", "home": "views.publish", "progress": "response"}


def answers(
    fake: SlackProcess, before: Counter[str], acked: Counter[str], wait: float
) -> dict[str, Any]:
    """Whether every acknowledged request got its one answer, and how long after the last ack
    the last one came (answers may follow the ack)."""
    want = {ANSWERED_BY[kind]: n for kind, n in acked.items() if kind in ANSWERED_BY}
    started = time.monotonic()
    while True:
        now = fake.answered()
        got = {method: now[method] - before[method] for method in want}
        if all(got[m] >= n for m, n in want.items()) or time.monotonic() - started > wait:
            break
        time.sleep(0.05)
    return {
        "expected": sum(want.values()),
        "answered": sum(min(got[m], n) for m, n in want.items()),
        "extra": sum(max(got[m] - n, 0) for m, n in want.items()),
        "last_after_s": round(time.monotonic() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--deadline", type=float, default=180.0, help="seconds for the load")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--short", action="store_true", help="CI: 300 requests")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args(argv)
    if args.short:
        args.requests = min(args.requests, 300)

    tmp = Path(tempfile.mkdtemp(prefix="lscb-load-"))
    url = args.database_url or f"sqlite:///{tmp / 'load.db'}"
    fake = SlackProcess()
    users = [f"U0LOAD{i:03d}" for i in range(args.clients)]
    env = base_env(
        url, fake.api_url, ADMIN_USER_IDS=",".join(users), LOG_LEVEL="WARNING", DEFAULT_BOARD="WSCB"
    )
    release(env, tmp)
    engine = make_engine(url)
    with Session(engine) as s:
        every = list(
            s.exec(select(Action.ref)
                .join(Board)
                .where(Board.code == "WSCB", Action.kind == "action")
                .order_by(col(Action.id)))
        )
    # A ref that begins another (1.1 and 1.1a) offers a choice instead of recording: leave it out.
    refs = [r for r in every if not any(o != r and o.startswith(r) for o in every)]
    engine.dispose()
    server = start_web(env, tmp)
    try:
        run = uuid.uuid4().hex[:6]
        mix = Mix(fake, users, refs, run)
        warm = Mix(fake, users, refs, run + "w")
        hammer(server.port, warm.request, 3 * args.clients, args.clients, time.monotonic() + 60)
        until = time.monotonic() + args.deadline
        floor = hammer(server.port, floor_request, args.requests, args.clients, until)
        until = time.monotonic() + args.deadline
        before = fake.answered()
        load = hammer(server.port, mix.request, args.requests, args.clients, until)
        replies = answers(fake, before, load.pop("_acked_by_kind"), wait=60)
        check = stored_once(url, mix, load.pop("_acked"), wait=60)
        floor.pop("_acked")
        floor.pop("_acked_by_kind")
    finally:
        server.stop()
        fake.close()

    result = {
        "machine": f"{platform.machine()}, python {platform.python_version()}",
        "server": "gunicorn gthread (Procfile web, bot/gunicorn_conf.py)",
        "clients": args.clients,
        "floor": floor,
        "load": load,
        "updates": check,
        "answers": replies,
        "target_p99_ms": TARGET_P99_MS,
        "ok": load["errors"] == 0
        and load["resets"] == 0
        and load["not_sent"] == 0
        and check["duplicates"] == 0
        and check["missing"] == 0
        and replies["answered"] == replies["expected"]
        and replies["extra"] == 0,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{'':8} {'sent':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'errors':>6} {'resets':>6}")
        for name in ("floor", "load"):
            r = result[name]
            print(f"{name:8} {r['sent']:>6} {r['throughput_rps']:>7} {r['p50_ms']:>7} "
                  f"{r['p99_ms']:>7} {r['max_ms']:>7} {r['errors']:>6} {r['resets']:>6}")
        kinds = result["load"]["p99_ms_by_kind"]
        print("load p99 by kind: " + ", ".join(f"{k} {v} ms" for k, v in kinds.items()))
        print(f"acknowledged updates {check['acknowledged']}: stored once {check['stored_once']}, "
              f"twice or more {check['duplicates']}, missing {check['missing']}")
        print(f"answers to acknowledged requests {replies['expected']}: answered "
              f"{replies['answered']}, extra {replies['extra']}, the last "
              f"{replies['last_after_s']} s after the last ack")
        print(f"p99 target {TARGET_P99_MS:.0f} ms: "
              f"{'met' if load['p99_ms'] <= TARGET_P99_MS else 'MISSED'}; {result['machine']}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
