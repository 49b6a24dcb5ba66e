"""Benchmark: how long the bot takes to answer a question, beside the floor of Bolt itself.

Builds a synthetic deployment (default 150 boards × 100 actions, text drawn from the five real
plans) in a SQLite file, then times, per question:

* answer  - `bot.conversation.respond()` in-process (parse, query, search, render);
* bolt    - a signed `message.im` event dispatched through the real Bolt app, reply posted to a
            loopback fake of Slack's Web API;
* floor   - the same signed event dispatched through a Bolt app whose listener does nothing.

Run: .venv/bin/python benchmarks/ask.py [--boards 150] [--actions 100] [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import App  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.conversation import respond  # noqa: E402
from bot.settings import Settings  # noqa: E402
from seed.loader import Plan, PlanFile, load_plan, parse_plan, plan_files  # noqa: E402
from store.db import make_engine, upgrade  # noqa: E402
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, event_request  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

QUESTIONS = [
    "status of neglect strategy",
    "what's overdue for MEG",
    "who leads 1.2",
    "what are my actions",
    "what's due in the next 30 days",
    "update on child sexual exploitation",
    "trainning programme",
    "what are the priorities",
    "flibble wibble",
]


def synthetic_plans(n_boards: int, n_actions: int, seed: int = 7) -> list[Plan]:
    """Boards shaped like the real ones, with action text sampled from the real plans."""
    rng = random.Random(seed)
    real = [parse_plan(p).data for p in plan_files()]
    texts = [a.text for d in real for a in d.actions]
    streams = [w.title for d in real for w in d.workstreams]
    leads = sorted({lead for d in real for a in d.actions for lead in a.leads}) or ["MEG"]
    groups = [
        "MEG",
        "IFPG",
        "Training Sub-Committee",
        "QAP sub group",
        "CSE sub group",
        "L&I",
        "P&P",
    ]
    plans = []
    for b in range(n_boards):
        code = f"B{b:03d}SCB"
        per_stream = 5
        n_streams = max(1, n_actions // per_stream)
        doc = {
            "board": {
                "code": code,
                "name": f"Board {b} Safeguarding Children Board",
                "short_name": f"Board{b} SCB",
                "period": "2018-19",
                "period_start": "2018-04-01",
                "period_end": "2019-03-31",
                "source": "synthetic",
                "shape": "objectives",
            },
            "subgroups": [{"name": g} for g in groups],
            "priorities": [{"ref": str(p), "title": rng.choice(streams)} for p in range(1, 5)],
            "workstreams": [
                {
                    "ref": f"{1 + w % 4}.{1 + w // 4}",
                    "priority": str(1 + w % 4),
                    "title": rng.choice(streams),
                }
                for w in range(n_streams)
            ],
            "actions": [],
        }
        for a in range(n_actions):
            w = doc["workstreams"][a % n_streams]
            lead = rng.choice(leads)
            doc["actions"].append(
                {
                    "ref": f"{w['ref']}{chr(97 + a // n_streams)}",
                    "workstream": w["ref"],
                    "text": rng.choice(texts),
                    "lead": lead,
                    "leads": [lead],
                    "subgroups": [rng.choice(groups)],
                    "due": date(2018, rng.randint(5, 12), rng.randint(1, 28)),
                }
            )
        plans.append(Plan(Path(f"{code}.toml"), PlanFile.model_validate(doc)))
    return plans


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summarise(name: str, samples: list[float], floor: float | None) -> dict[str, float | str]:
    p50, p99 = percentile(samples, 50) * 1000, percentile(samples, 99) * 1000
    row: dict[str, float | str] = {
        "what": name,
        "n": len(samples),
        "p50_ms": round(p50, 3),
        "p99_ms": round(p99, 3),
    }
    if floor:
        row["p50_vs_floor"] = round(p50 / floor, 1)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", type=int, default=150)
    parser.add_argument("--actions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    upgrade(engine)
    started = time.perf_counter()
    for plan in synthetic_plans(args.boards, args.actions):
        load_plan(engine, plan)
    print(
        f"built {args.boards} boards x {args.actions} actions in "
        f"{time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    boards = [f"B{b:03d}SCB" for b in range(args.boards)]
    rng = random.Random(1)

    # give one user per board a role so "my actions" has something to find
    for code in boards:
        respond(engine, user_id=f"U{code}", text="/lscb iam MEG", board_name=code)

    fake = FakeSlack()
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
        }
    )
    client = WebClient(token=BOT_TOKEN, base_url=fake.api_url)
    real_app = create_app(settings, engine, client, process_before_response=True)
    floor_app = App(client=client, signing_secret=SIGNING_SECRET, process_before_response=True)

    @floor_app.event({"type": "message", "channel_type": "im"})
    def noop() -> None:
        pass

    floor, answer, bolt = [], [], []
    for _ in range(args.rounds):
        for question in QUESTIONS:
            code = rng.choice(boards)
            event = {
                "type": "message",
                "channel_type": "im",
                "channel": "D1",
                "text": question,
                "user": f"U{code}",
                "ts": "1.1",
            }
            req = event_request(event)
            t0 = time.perf_counter()
            floor_app.dispatch(req)
            floor.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            respond(engine, user_id=f"U{code}", text=question)
            answer.append(time.perf_counter() - t0)

            req = event_request(event)
            t0 = time.perf_counter()
            real_app.dispatch(req)
            bolt.append(time.perf_counter() - t0)
    fake.close()

    floor_p50 = percentile(floor, 50) * 1000
    rows = [
        summarise("floor: Bolt no-op listener", floor, None),
        summarise("answer: respond() in-process", answer, floor_p50),
        summarise("bolt: signed DM -> reply posted", bolt, floor_p50),
    ]
    machine = (
        f"{platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}"
    )
    print(
        json.dumps(
            {
                "machine": machine,
                "boards": args.boards,
                "actions_per_board": args.actions,
                "results": rows,
            },
            indent=2,
        )
    )
    worst = percentile(answer, 99) * 1000
    print(
        f"answer p99 {worst:.1f} ms (target < 50 ms): {'OK' if worst < 50 else 'OVER'}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
