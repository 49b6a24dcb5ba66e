"""Fault drills: digests exactly once and updates never lost when processes die or Slack fails.

Each drill runs the real processes (`python -m bot digest` as the scheduled worker runs it, and
`web` as the Procfile starts it) against a loopback fake of Slack's Web API, on a fresh SQLite
database, and checks what Slack received and what the database holds:

* kill-digest  - SIGKILL the digest worker mid-run while Slack is slow to answer; run again
                 at once, then after the claim lease: exactly one post per channel;
* kill-updates - SIGKILL `web` while 10 clients send /progress; restart it: every update that
                 was acknowledged is stored, once;
* hung-call    - one channel's post never answers: that target fails alone (timeout), the
                 others post; the next run finds the post in the channel history, no repeat;
* unreachable  - no Slack at all: the run stops at once and holds no claim; the next run, with
                 Slack back, posts everything once.

Run: .venv/bin/python benchmarks/faults.py [--short] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, select  # noqa: E402

from benchmarks.load import FORM, send  # noqa: E402
from bot.clock import LONDON  # noqa: E402
from store import digests  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.models import Board, ProgressUpdate, Subgroup  # noqa: E402
from tests.fake_slack import TEAM_ID, FakeSlack  # noqa: E402
from tests.web_server import base_env, release, start_web  # noqa: E402

AS_OF = "2026-11-27"  # a Friday: that week's Monday digests are due
LEASE, TIMEOUT = 8, 1  # seconds: scaled down from 120 and 10, the same rule (lease > 6 x timeout)


class Drill:
    """A fresh database with every sub-group linked to a channel, and a fake Slack."""

    def __init__(self, boards: int) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="lscb-faults-"))
        self.url = f"sqlite:///{self.tmp / 'faults.db'}"
        self.fake = FakeSlack()
        day = datetime.fromisoformat(AS_OF).replace(hour=12, tzinfo=LONDON)
        self.fake.clock = day.timestamp
        self.env = base_env(
            self.url,
            self.fake.api_url,
            DIGEST_LEASE_SECONDS=str(LEASE),
            SLACK_TIMEOUT_SECONDS=str(TIMEOUT),
            LOG_LEVEL="WARNING",
        )
        release(self.env, self.tmp)
        engine = make_engine(self.url)
        with Session(engine) as s:
            keep = [b.id for b in s.exec(select(Board).order_by(Board.id))][:boards]
            for group in s.exec(select(Subgroup)):
                if group.board_id in keep:
                    group.slack_channel_id = f"C{group.id:08d}"
                    s.add(group)
            self.channels = sorted(
                g.slack_channel_id for g in s.exec(select(Subgroup)) if g.slack_channel_id
            )
            s.commit()
        engine.dispose()

    def digest(self, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """`python -m bot digest` as cron or the worker's scheduler runs it."""
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "digest", "--as-of", AS_OF, *extra],
            env=env or self.env,
            cwd=self.tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def posts(self) -> Counter[str]:
        return Counter(
            channel for channel, msgs in self.fake.messages.items() for _ in msgs
        )

    def exactly_once(self) -> bool:
        posts = self.posts()
        return all(posts[c] == 1 for c in self.channels)

    def close(self) -> None:
        self.fake.close()


def kill_digest(boards: int) -> dict[str, Any]:
    d = Drill(boards)
    d.fake.delays["chat.postMessage"] = 0.4  # Slack posts, then answers slowly
    worker = d.digest()
    while sum(d.posts().values()) < max(2, len(d.channels) // 3):
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    posted_before_kill = sum(d.posts().values())
    d.fake.delays.clear()
    again = d.digest()
    again.communicate(timeout=120)
    time.sleep(LEASE + 1)  # the dead worker's last claim expires
    last = d.digest()
    out, _ = last.communicate(timeout=120)
    runs = digests.runs(make_engine(d.url))
    result = {
        "channels": len(d.channels),
        "posted_before_kill": posted_before_kill,
        "posts_per_channel": sorted(set(d.posts().values())),
        "all_marked_posted": all(r.status == "posted" for r in runs),
        "last_run": out.strip(),
        "ok": d.exactly_once() and all(r.status == "posted" for r in runs),
    }
    d.close()
    return result


def hung_call(boards: int) -> dict[str, Any]:
    d = Drill(boards)
    stuck = d.channels[0]
    d.fake.delays[f"chat.postMessage:{stuck}"] = 5.0  # posted, never answered in time
    first = d.digest()
    started = time.monotonic()
    out1, _ = first.communicate(timeout=120)
    seconds = time.monotonic() - started
    d.fake.delays.clear()
    out2, _ = d.digest().communicate(timeout=120)
    result = {
        "channels": len(d.channels),
        "first_run": out1.strip().splitlines()[0] if out1.strip() else "",
        "first_run_s": round(seconds, 1),
        "second_run": out2.strip().splitlines()[0] if out2.strip() else "",
        "ok": d.exactly_once() and "failed 1" in out1,
    }
    d.close()
    return result


def unreachable(boards: int) -> dict[str, Any]:
    d = Drill(boards)
    gone = FakeSlack()
    gone.close()
    started = time.monotonic()
    down = d.digest(env={**d.env, "SLACK_API_URL": gone.api_url})
    out1, _ = down.communicate(timeout=120)
    seconds = time.monotonic() - started
    held = [r for r in digests.runs(make_engine(d.url)) if r.status == "claimed"]
    out2, _ = d.digest().communicate(timeout=120)
    result = {
        "channels": len(d.channels),
        "down_run_s": round(seconds, 1),
        "claims_held_after": len(held),
        "second_run": out2.strip().splitlines()[0] if out2.strip() else "",
        "ok": not held and d.exactly_once() and "slack_unreachable" in out1,
    }
    d.close()
    return result


def kill_updates(requests: int) -> dict[str, Any]:
    d = Drill(1)
    users = [f"U0FLT{i:04d}" for i in range(10)]
    env = {**d.env, "ADMIN_USER_IDS": ",".join(users)}
    server = start_web(env, d.tmp)
    acked: list[int] = []

    def one(i: int) -> None:
        from urllib.parse import urlencode

        body = urlencode(
            {
                "team_id": TEAM_ID,
                "channel_id": "C0FAULT01",
                "user_id": users[i % len(users)],
                "command": "/progress",
                "text": f"1.1a amber fault drill n{i}",
                "response_url": d.fake.response_url(f"f{i}"),
                "trigger_id": f"{i}.fault",
            }
        ).encode()
        outcome, _ = send(server.port, body, FORM)
        if outcome == "ok":
            acked.append(i)

    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(one, i) for i in range(requests)]
        while len(acked) < requests // 3:
            time.sleep(0.01)
        for pid in _children(server.proc.pid) + [server.proc.pid]:
            os.kill(pid, signal.SIGKILL)
        for f in futures:
            f.result()
    server.proc.wait()
    server.stop()
    server = start_web(env, d.tmp)  # restarted as the platform would
    server.stop()
    engine = make_engine(d.url)
    with Session(engine) as s:
        notes = Counter(
            n for n in s.exec(select(ProgressUpdate.note)) if n and n.startswith("fault drill")
        )
    lost = [i for i in acked if notes[f"fault drill n{i}"] == 0]
    twice = [i for i in acked if notes[f"fault drill n{i}"] > 1]
    d.close()
    return {
        "sent": requests,
        "acknowledged": len(acked),
        "lost": len(lost),
        "stored_twice": len(twice),
        "ok": not lost and not twice,
    }


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="CI: one board, fewer updates")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args(argv)
    boards, requests = (1, 60) if args.short else (5, 300)
    drills = {
        "kill-digest": lambda: kill_digest(boards),
        "kill-updates": lambda: kill_updates(requests),
        "hung-call": lambda: hung_call(boards),
        "unreachable": lambda: unreachable(boards),
    }
    results: dict[str, Any] = {}
    for name, drill in drills.items():
        started = time.monotonic()
        results[name] = drill()
        results[name]["drill_s"] = round(time.monotonic() - started, 1)
    ok = all(r["ok"] for r in results.values())
    if args.json:
        print(json.dumps({"drills": results, "ok": ok}))
    else:
        for name, r in results.items():
            detail = ", ".join(f"{k} {v}" for k, v in r.items() if k != "ok")
            print(f"{name:13} {'OK  ' if r['ok'] else 'FAIL'} {detail}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
