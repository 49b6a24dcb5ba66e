"""Benchmark: answering questions and `/progress` at scale, beside floors from the same run.

The deployment (benchmarks/dataset.py, cached under /tmp): by default 1,000 boards × 100 actions,
every action's text different, and 1,000,000 progress updates over five years. Questions are
drawn per board from its own plan (its actions' words, its sub-groups, its leads) and from the
usual kinds (overdue, due soon, my actions, who leads, what changed, typos, nonsense), asked by
the board's leads. Slack's side is tests/fake_slack.py in a process of its own.

Start-up is done as the worker does it (bot.runtime.warm: caches filled, start-up objects frozen
out of the garbage collector), then warm-up questions, then the measured ones. Per sample:

* floor read  - the board's actions read as raw rows (one SQL statement, no objects built);
* floor bolt  - a signed DM through a Bolt app whose listener does nothing;
* answer      - `bot.conversation.respond()` in-process (target p99 ≤ 10 ms);
* bolt DM     - a signed DM through the real app, the reply posted to the fake Slack;
* /progress   - a signed `/progress <ref> <status> <note>` through the real app: the update
                recorded and the reply sent to the response URL (target p99 ≤ 20 ms);
* floor cmd   - the same slash command through a Bolt app whose listener only acknowledges.

Run: .venv/bin/python benchmarks/ask.py [--backend sqlite|postgresql|both] [--samples 3000]
     [--boards 1000 --actions 100 --updates 1000000] [--short] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import App  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from benchmarks.dataset import Spec, database, lead_user  # noqa: E402
from benchmarks.load import SlackProcess  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.conversation import respond  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, event_request  # noqa: E402
from tests.faults import slash  # noqa: E402

ANSWER_TARGET_MS = 10.0
PROGRESS_TARGET_MS = 20.0
#: The dataset's history ends on this Monday: in-process answers are asked as of that day.
TODAY = date(2018, 11, 19)
KINDS = [
    "status of {topic}",
    "what's happening with {topic}",
    "who leads {topic}",
    "{topic}",
    "what's overdue for {group}",
    "what is {group} doing",
    "what are my actions",
    "what's due in the next 30 days",
    "what's overdue",
    "what changed since last week",
    "who leads {ref}",
    "status of {ref}",
    "{typo} progress",
    "what are the priorities",
    "flibble wibble",
]
STATUSES = ["red", "amber", "green", "amber on track", "green done soon"]
FREEZE = True  # --no-freeze: start-up objects stay in the collector's way


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summarise(name: str, samples: list[float], floor: list[float] | None = None) -> dict[str, Any]:
    """n, p50, p99, max in ms (and p99 as a multiple of the floor's p99)."""
    p50, p99 = percentile(samples, 50) * 1000, percentile(samples, 99) * 1000
    row: dict[str, Any] = {
        "what": name,
        "n": len(samples),
        "p50_ms": round(p50, 3),
        "p99_ms": round(p99, 3),
        "max_ms": round(max(samples) * 1000, 3),
    }
    if floor:
        row["p99_vs_floor"] = round(p99 / (percentile(floor, 99) * 1000), 1)
    return row


class Board:
    """What the question generator needs to know about one board (read once, raw)."""

    def __init__(self, code: str, rows: list[tuple[str, str, str | None]], groups: list[str]):
        self.code = code
        self.refs = [r[0] for r in rows]
        self.texts = [r[1] for r in rows]
        self.action_leads = [r[2] or "" for r in rows]
        # The dataset's lead users: user k holds the k-th of these roles (benchmarks/dataset.py).
        self.leads = sorted(set(self.action_leads))
        self.groups = groups


def read_boards(engine: Any, codes: list[str]) -> dict[str, Board]:
    with engine.connect() as conn:
        actions: dict[str, list[tuple[str, str, str | None]]] = {c: [] for c in codes}
        for code, ref, text_, lead in conn.execute(
            text(
                "SELECT board.code, action.ref, action.text, action.lead FROM action "
                "JOIN board ON board.id = action.board_id ORDER BY action.id"
            )
        ):
            if code in actions:
                actions[code].append((ref, text_, lead))
        groups: dict[str, list[str]] = {c: [] for c in codes}
        for code, name in conn.execute(
            text("SELECT board.code, subgroup.name FROM subgroup JOIN board ON board.id = board_id")
        ):
            if code in groups:
                groups[code].append(name)
    return {c: Board(c, actions[c], groups[c]) for c in codes}


def question(rng: random.Random, board: Board) -> tuple[str, str]:
    """(the kind of question, the question) about one of the board's actions or owners."""
    i = rng.randrange(len(board.texts))
    words = [w for w in board.texts[i].split() if len(w) > 3]
    start = rng.randrange(max(1, len(words) - 1))
    topic = " ".join(words[start : start + rng.choice((1, 2, 3))]).lower() or "neglect"
    typo = words[start][:-1].lower() if words else "trainnig"
    kind = rng.choice(KINDS)
    group = rng.choice(board.groups)
    return kind, kind.format(topic=topic, group=group, ref=board.refs[i], typo=typo)


def warm_up(engine: Any, freeze: bool) -> float:
    """Start-up as the worker does it (bot.runtime.warm, when there is one); seconds taken."""
    started = time.perf_counter()
    try:
        from bot.runtime import warm
    except ImportError:  # an older tree, measured for the "before" figures
        return 0.0
    warm(engine)
    if not freeze:  # to measure what gc.freeze() saves
        gc.unfreeze()
    return time.perf_counter() - started


class GcPauses:
    """Every garbage collection's pause while measuring, by generation."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)

    def report(self) -> dict[str, Any]:
        full = self.pauses[2]
        return {
            "full_collections": len(full),
            "full_max_ms": round(max(full, default=0.0) * 1000, 1),
            "young_max_ms": round(max(self.pauses[0] + self.pauses[1], default=0.0) * 1000, 2),
            "frozen_objects": gc.get_freeze_count(),
        }


def measure(backend: str, spec: Spec, samples: int, warmups: int) -> dict[str, Any]:
    rng = random.Random(11)
    with database(spec, backend) as db:
        engine = db.engine
        codes = spec.codes()
        boards = read_boards(engine, codes)
        fake = SlackProcess()
        try:
            return _measure(engine, boards, fake, rng, samples, warmups, backend)
        finally:
            fake.close()


def _measure(
    engine: Any,
    boards: dict[str, Board],
    fake: SlackProcess,
    rng: random.Random,
    samples: int,
    warmups: int,
    backend: str,
) -> dict[str, Any]:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
        }
    )
    client = WebClient(token=BOT_TOKEN, base_url=fake.api_url)
    real = create_app(settings, engine, client, process_before_response=True)
    noop = App(client=client, signing_secret=SIGNING_SECRET, process_before_response=True)

    @noop.event({"type": "message", "channel_type": "im"})
    def _noop() -> None:
        pass

    @noop.command("/progress")
    def _ack(ack: Callable[[], None]) -> None:
        ack()

    codes = list(boards)
    warm_s = warm_up(engine, FREEZE)
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT code, id FROM board")).all())
    raw_read = text(
        "SELECT action.id, action.ref, action.text, action.lead, action.due, s.rag, s.due, "
        "s.completed, s.percent, s.last_update, s.retargets FROM action "
        "LEFT JOIN actionstate AS s ON s.action_id = action.id WHERE action.board_id = :b"
    )
    try:
        with engine.connect() as conn:
            conn.execute(raw_read, {"b": 1}).all()
    except Exception:  # noqa: BLE001  an older schema: the floor reads the actions alone
        raw_read = text(
            "SELECT action.id, action.ref, action.text, action.lead, action.due FROM action "
            "WHERE action.board_id = :b"
        )

    def one(code: str, measured: dict[str, list[float]] | None, n: int) -> None:
        board = boards[code]
        k = rng.randrange(len(board.leads))
        user = lead_user(code, k)
        kind, asked = question(rng, board)
        t0 = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(raw_read, {"b": ids[code]}).all()
        t1 = time.perf_counter()
        respond(engine, user_id=user, text=asked, today=TODAY)
        t2 = time.perf_counter()
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": "D" + user[1:],
            "text": asked,
            "user": user,
            "ts": f"1700000000.{n:06d}",
        }
        floor_req, real_req = event_request(event), event_request(event)
        t3 = time.perf_counter()
        noop.dispatch(floor_req)
        t4 = time.perf_counter()
        real.dispatch(real_req)
        t5 = time.perf_counter()
        # The lead updates one of their own actions.
        mine = [
            r for r, lead in zip(board.refs, board.action_leads, strict=True)
            if lead == board.leads[k]
        ]
        ref = rng.choice(mine or board.refs)
        words = f"{ref} {rng.choice(STATUSES)} bench note number {n}"
        # Each with its own trigger_id, as Slack sends them (one id is one update, however
        # often it is delivered).
        cmd_floor = slash("/progress", words, user_id=user, response_url=fake.response_url(f"f{n}"))
        cmd_real = slash("/progress", words, user_id=user, response_url=fake.response_url(f"p{n}"))
        t6 = time.perf_counter()
        noop.dispatch(cmd_floor)
        t7 = time.perf_counter()
        response = real.dispatch(cmd_real)
        t8 = time.perf_counter()
        assert response.status == 200, response.body
        if measured is not None:
            measured["floor read"].append(t1 - t0)
            measured["answer"].append(t2 - t1)
            by_kind.setdefault(kind, []).append(t2 - t1)
            measured["floor bolt"].append(t4 - t3)
            measured["bolt DM"].append(t5 - t4)
            measured["floor cmd"].append(t7 - t6)
            measured["/progress"].append(t8 - t7)

    for n in range(warmups):
        one(rng.choice(codes), None, n)
    measured: dict[str, list[float]] = {
        k: [] for k in ("floor read", "answer", "floor bolt", "bolt DM", "floor cmd", "/progress")
    }
    by_kind: dict[str, list[float]] = {}
    pauses = GcPauses()
    gc.callbacks.append(pauses)
    started = time.perf_counter()
    try:
        for n in range(samples):
            one(rng.choice(codes), measured, warmups + n)
    finally:
        gc.callbacks.remove(pauses)
    wall = time.perf_counter() - started
    with engine.connect() as conn:
        updates = conn.execute(text("SELECT count(*) FROM progressupdate")).scalar_one()
    m = measured
    rows = [
        summarise("floor read: one board's actions, raw rows", m["floor read"]),
        summarise("answer: respond() in-process", m["answer"], m["floor read"]),
        summarise("floor bolt: signed DM, no-op listener", m["floor bolt"]),
        summarise("bolt DM: signed DM -> reply posted", m["bolt DM"], m["floor bolt"]),
        summarise("floor cmd: signed /progress, ack only", m["floor cmd"]),
        summarise("/progress: signed, recorded, replied", m["/progress"], m["floor cmd"]),
    ]
    answer_p99 = percentile(m["answer"], 99) * 1000
    progress_p99 = percentile(m["/progress"], 99) * 1000
    return {
        "backend": backend,
        "updates_stored": updates,
        "warm_start_s": round(warm_s, 2),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "measure_wall_s": round(wall, 1),
        "gc": pauses.report(),
        "results": rows,
        "answer_p99_ms_by_kind": {
            k: round(percentile(v, 99) * 1000, 1)
            for k, v in sorted(by_kind.items(), key=lambda kv: -percentile(kv[1], 99))
        },
        "answer_p99_ms": round(answer_p99, 2),
        "answer_target_ms": ANSWER_TARGET_MS,
        "progress_p99_ms": round(progress_p99, 2),
        "progress_target_ms": PROGRESS_TARGET_MS,
        "ok": answer_p99 <= ANSWER_TARGET_MS and progress_p99 <= PROGRESS_TARGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=100)
    parser.add_argument("--updates", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--short", action="store_true", help="CI: a small deployment, few samples")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    parser.add_argument("--no-freeze", action="store_true", help="warm up without gc.freeze()")
    args = parser.parse_args(argv)
    global FREEZE
    FREEZE = not args.no_freeze
    if args.short:
        args.boards, args.actions, args.updates = 20, 50, 20_000
        args.samples, args.warmup = min(args.samples, 60), min(args.warmup, 20)
    spec = Spec(args.boards, args.actions, args.updates)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    runs = [measure(b, spec, args.samples, args.warmup) for b in backends]
    result = {
        "machine": f"{platform.machine()}, {_cores()} cores, python {platform.python_version()}",
        "boards": spec.boards,
        "actions_per_board": spec.actions,
        "updates": spec.updates,
        "samples": args.samples,
        "runs": runs,
        "ok": all(r["ok"] for r in runs),
    }
    if args.json:
        print(json.dumps(result))
        return 0 if result["ok"] or args.short else 1
    print(f"{result['machine']}; {spec.boards} boards x {spec.actions} actions, "
          f"{spec.updates} updates; {args.samples} samples after {args.warmup} warm-up")
    for r in runs:
        print(f"\n{r['backend']} (warm start {r['warm_start_s']} s, peak RSS {r['max_rss_mb']} MB, "
              f"gc {r['gc']})")
        print(f"  {'':44} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  vs floor p99")
        for row in r["results"]:
            vs = f"x{row['p99_vs_floor']}" if "p99_vs_floor" in row else "(floor)"
            print(f"  {row['what']:44} {row['n']:>5} {row['p50_ms']:>8} {row['p99_ms']:>8} "
                  f"{row['max_ms']:>8}  {vs}")
        slowest = list(r["answer_p99_ms_by_kind"].items())[:4]
        print("  slowest kinds (p99 ms): " + "; ".join(f"{k!r} {v}" for k, v in slowest))
        print(f"  answer p99 {r['answer_p99_ms']} ms (target {ANSWER_TARGET_MS:.0f}), "
              f"/progress p99 {r['progress_p99_ms']} ms (target {PROGRESS_TARGET_MS:.0f}): "
              f"{'met' if r['ok'] else 'MISSED'}")
    return 0 if result["ok"] else 1


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
