"""Benchmark: composing the weekly digests of 1,000 sub-group channels, beside the raw-read floor.

On benchmarks/dataset.py's deployment (1,000 boards, 1,000,000 updates stored), sub-groups of
the first boards are linked to channels until --channels are. Then, in one run:

* floor   - reading, as raw rows (SQL only, no objects), what those boards' digests need: each
            action with its current state, its sub-groups, the last five weeks' updates, the
            board's people;
* digests - `run_digests(..., dry_run=True)` for those boards: every linked channel's digest,
            each board's digest and each lead's nudge composed (target ≤ 3 × the floor).

Run: .venv/bin/python benchmarks/digest.py [--channels 1000] [--backend sqlite|postgresql]
     [--short] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from benchmarks.dataset import Spec, database  # noqa: E402
from bot.clock import LONDON  # noqa: E402
from bot.digest import MAX_LOOKBACK, run_digests  # noqa: E402

NOW = datetime(2018, 11, 19, 10, 0, tzinfo=LONDON)  # a Monday after the 09:00 run
TARGET_RATIO = 3.0
FLOOR_SQL = [
    "SELECT action.id, action.ref, action.text, action.lead, action.leads, action.due, "
    "action.completed, action.kind, workstream.ref, workstream.title, priority.ref, "
    "priority.title, s.rag, s.due, s.completed, s.percent, s.last_update, s.retargets "
    "FROM action JOIN workstream ON workstream.id = action.workstream_id "
    "LEFT JOIN priority ON priority.id = workstream.priority_id "
    "LEFT JOIN actionstate AS s ON s.action_id = action.id "
    "WHERE action.board_id = :b AND action.archived_at IS NULL",
    "SELECT actionsubgroup.action_id, subgroup.name, subgroup.slack_channel_id "
    "FROM actionsubgroup JOIN subgroup ON subgroup.id = actionsubgroup.subgroup_id "
    "WHERE subgroup.board_id = :b",
    "SELECT p.action_id, p.author_slack_user_id, p.created_at, p.rag, p.note, p.percent, "
    "p.new_due FROM progressupdate AS p JOIN action ON action.id = p.action_id "
    "WHERE action.board_id = :b AND p.created_at >= :since",
    "SELECT person.slack_user_id, person.roles, person.away_until FROM person "
    "WHERE person.board_id = :b",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--short", action="store_true", help="CI: a small deployment")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    spec = Spec(20, 50, 20_000) if args.short else Spec()
    if args.short:
        args.channels = min(args.channels, 70)
    with database(spec, args.backend) as db:
        engine = db.engine
        with engine.begin() as conn:
            groups = conn.execute(
                text(
                    "SELECT subgroup.id, board.code FROM subgroup JOIN board "
                    "ON board.id = subgroup.board_id ORDER BY board.id, subgroup.id"
                )
            ).all()[: args.channels]
            for group_id, _ in groups:
                conn.execute(
                    text("UPDATE subgroup SET slack_channel_id = :c WHERE id = :g"),
                    {"c": f"C{group_id:08d}", "g": group_id},
                )
            codes = list(dict.fromkeys(code for _, code in groups))
            ids = dict(conn.execute(text("SELECT code, id FROM board")).all())
        since = (NOW - MAX_LOOKBACK).astimezone(LONDON)

        def read_floor() -> int:
            rows = 0
            with engine.connect() as conn:
                for code in codes:
                    for sql in FLOOR_SQL:
                        params = {"b": ids[code], "since": since}
                        rows += len(conn.execute(text(sql), params).all())
            return rows

        # Warm-up (not measured): a process's caches and the database's pages, for both. The
        # floor's reads once, so that neither pays for reading the fresh copy from disk (the
        # first to read would); five boards' digests for the code's own warm-up.
        read_floor()
        for code in codes[:5]:
            run_digests(engine, None, now=NOW, dry_run=True, board_name=code)
        started, cpu_started = time.perf_counter(), time.process_time()
        rows_read = read_floor()
        floor = time.perf_counter() - started
        floor_cpu = time.process_time() - cpu_started

        composed = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        for code in codes:
            report = run_digests(engine, None, now=NOW, dry_run=True, board_name=code)
            composed += len(report.previews)
        total = time.perf_counter() - started
        total_cpu = time.process_time() - cpu_started
    ratio = total / floor if floor else float("inf")
    result = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"python {platform.python_version()}",
        "backend": args.backend,
        "boards_stored": spec.boards,
        "updates_stored": spec.updates,
        "boards": len(codes),
        "subgroup_channels": len(groups),
        "digests_composed": composed,
        "floor_rows_read": rows_read,
        "floor_read_rows_s": round(floor, 3),
        "digests_total_s": round(total, 3),
        "ratio_to_floor": round(ratio, 1),
        # This process's CPU time for each (the database is in-process): on a busy shared
        # machine the wall-clock ratio above moves with the load, this one much less.
        "floor_cpu_s": round(floor_cpu, 3),
        "digests_cpu_s": round(total_cpu, 3),
        "cpu_ratio_to_floor": round(total_cpu / floor_cpu, 1) if floor_cpu else None,
        "target_ratio": TARGET_RATIO,
        "ok": ratio <= TARGET_RATIO,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    return 0 if result["ok"] or args.short else 1


if __name__ == "__main__":
    sys.exit(main())
