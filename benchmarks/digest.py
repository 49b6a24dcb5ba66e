"""Benchmark: composing the weekly digests for ~1,000 sub-group channels (150 boards).

Times, in one run on the same SQLite file:

* floor   - simply reading the rows a digest needs (each board's action views and updates);
* digests - `run_digests(..., dry_run=True)`: every sub-group, board and nudge digest composed.

Run: .venv/bin/python benchmarks/digest.py [--boards 150] [--actions 100]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, select  # noqa: E402

from benchmarks.ask import percentile, synthetic_plans  # noqa: E402
from bot.clock import LONDON  # noqa: E402
from bot.digest import run_digests  # noqa: E402
from seed.loader import load_plan  # noqa: E402
from store.db import make_engine, upgrade  # noqa: E402
from store.models import Board, Subgroup  # noqa: E402
from store.queries import action_views, updates_since  # noqa: E402

NOW = datetime(2018, 11, 19, 10, 0, tzinfo=LONDON)  # a Monday after the 09:00 run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", type=int, default=150)
    parser.add_argument("--actions", type=int, default=100)
    args = parser.parse_args()

    engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    upgrade(engine)
    for plan in synthetic_plans(args.boards, args.actions):
        load_plan(engine, plan)
    with Session(engine) as s:
        channels = 0
        for group in s.exec(select(Subgroup)):
            group.slack_channel_id = f"C{group.id:08d}"
            s.add(group)
            channels += 1
        s.commit()
        boards = list(s.exec(select(Board)))

    floor: list[float] = []
    started = time.perf_counter()
    with Session(engine) as s:
        for b in boards:
            t0 = time.perf_counter()
            action_views(s, b)
            assert b.id is not None
            updates_since(s, b.id, NOW - timedelta(days=7))
            floor.append(time.perf_counter() - t0)
    floor_total = time.perf_counter() - started

    started = time.perf_counter()
    report = run_digests(engine, None, now=NOW, dry_run=True)
    total = time.perf_counter() - started

    print(
        json.dumps(
            {
                "machine": f"{platform.machine()}, python {platform.python_version()}",
                "boards": len(boards),
                "subgroup_channels": channels,
                "digests_composed": len(report.previews),
                "floor_read_rows_s": round(floor_total, 3),
                "floor_per_board_p50_ms": round(percentile(floor, 50) * 1000, 2),
                "floor_per_board_p99_ms": round(percentile(floor, 99) * 1000, 2),
                "digests_total_s": round(total, 3),
                "ratio_to_floor": round(total / floor_total, 1),
                "target": "under 5 s in total",
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
