"""Benchmark: cold start of `python -m bot say`, beside the bare interpreter's, in one run.

Each run is a new process, as a person or a script would start it, on an up-to-date database
(benchmarks/dataset.py's deployment, or with --short a small one): imports, settings, opening
the store (Alembic only when behind), one question answered and printed.

* floor - `python -c pass`: the interpreter alone;
* libs  - `python -c "import sqlmodel"`: the ORM the store is written in, which any command needs;
* say   - `python -m bot say --board B --user U "what's overdue"` (target ≤ 0.5 s).

Run: .venv/bin/python benchmarks/coldstart.py [--runs 15] [--short] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.dataset import Spec, board_code, database, lead_user  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.5


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `argv` as a new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--short", action="store_true", help="CI: a small deployment, 3 runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    spec = Spec(20, 50, 20_000) if args.short else Spec()
    runs = 3 if args.short else args.runs
    code = board_code(spec.boards // 2)
    with database(spec) as db:
        db.engine.dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
        env.update({"DATABASE_URL": db.url, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"})
        cwd = Path(tempfile.mkdtemp(prefix="lscb-cold-"))  # no .env of ours is read
        # Bytecode as a deployment has it (pip compiles the libraries; Python caches ours on
        # the first run): written once, by the warm-up run below, to a folder of this run's
        # own, even where the environment says PYTHONDONTWRITEBYTECODE (as sandboxes often
        # do, which would make every run compile all of the bot's modules again).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cwd / "pycache")
        py = sys.executable
        say = [py, "-m", "bot", "say", "--board", code, "--user", lead_user(code, 0)]
        say.append("what's overdue")
        timed(say, env, cwd)  # the first run compiles bytecode: not a cold start's cost
        timed([py, "-c", "import sqlmodel"], env, cwd)
        commands = {
            "floor: python -c pass": [py, "-c", "pass"],
            "libs: import sqlmodel": [py, "-c", "import sqlmodel"],
            "say: python -m bot say": say,
        }
        # Taken in turns, so a busy moment of a shared machine falls on all three alike.
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                samples[name].append(timed(command, env, cwd))
        shutil.rmtree(cwd, ignore_errors=True)
        rows = {}
        for name, taken in samples.items():
            walls = [wall for wall, _ in taken]
            rows[name] = {
                "runs": runs,
                "median_s": round(statistics.median(walls), 3),
                "max_s": round(max(walls), 3),
                # CPU time is what a run costs however busy the machine is.
                "cpu_median_s": round(statistics.median(cpu for _, cpu in taken), 3),
            }
    say_median = rows["say: python -m bot say"]["median_s"]
    result = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"python {platform.python_version()}",
        "boards": spec.boards,
        "results": rows,
        "target_s": TARGET_S,
        "ok": say_median <= TARGET_S,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for name, r in rows.items():
            print(f"{name:26} median {r['median_s']:.3f} s, max {r['max_s']:.3f} s, "
                  f"CPU median {r['cpu_median_s']:.3f} s ({r['runs']} runs)")
        print(f"say median {say_median:.3f} s (target {TARGET_S} s): "
              f"{'met' if result['ok'] else 'MISSED'}; {result['machine']}")
    return 0 if result["ok"] or args.short else 1


if __name__ == "__main__":
    sys.exit(main())
