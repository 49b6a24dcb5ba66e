"""Run every benchmark and print one table: each figure beside its floor from the same run.

Run: .venv/bin/python benchmarks/all.py [--short] [--backend sqlite|postgresql|both]
(--short: small counts, as CI runs them; the numbers are then only a smoke test.)
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> tuple[dict[str, Any] | None, float, int]:
    """Run benchmarks/SCRIPT, parse the JSON it prints; (result, seconds, exit code)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        timeout=1800,
    )
    seconds = time.monotonic() - started
    text = done.stdout.strip()
    start = text.find("{")
    try:
        return json.loads(text[start:]) if start >= 0 else None, seconds, done.returncode
    except json.JSONDecodeError:
        return None, seconds, done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    args = parser.parse_args(argv)
    short = ["--short"] if args.short else []
    rows: list[tuple[str, str, str, str]] = []
    failed = []

    ask, _, code = run("ask.py", "--json", "--backend", args.backend, *short)
    if ask:
        for r in ask["runs"]:
            for row in r["results"]:
                vs = f"p99 x{row['p99_vs_floor']} its floor" if "p99_vs_floor" in row else "(floor)"
                rows.append(
                    (
                        "ask.py",
                        f"{r['backend']}: {row['what']}",
                        f"p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms",
                        vs,
                    )
                )
            rows.append(
                (
                    "ask.py",
                    f"{r['backend']}: targets (answer p99 <= 10 ms, /progress p99 <= 20 ms)",
                    f"{r['answer_p99_ms']} ms, {r['progress_p99_ms']} ms",
                    "met" if r["ok"] else "MISSED",
                )
            )
    if not ask or (code and not args.short):
        failed.append("ask.py")

    digest, _, code = run("digest.py", "--json", *short)
    if digest:
        rows.append(
            (
                "digest.py",
                f"{digest['digests_composed']} digests, {digest['subgroup_channels']} channels",
                f"{digest['digests_total_s']} s",
                f"floor {digest['floor_read_rows_s']} s (x{digest['ratio_to_floor']}, "
                f"target x{digest['target_ratio']})",
            )
        )
    if not digest or (code and not args.short):
        failed.append("digest.py")

    cold, _, code = run("coldstart.py", "--json", *short)
    if cold:
        for name, r in cold["results"].items():
            rows.append(("coldstart.py", name, f"median {r['median_s']} s", f"max {r['max_s']} s"))
    if not cold or (code and not args.short):
        failed.append("coldstart.py")

    load, _, code = run("load.py", "--json", *short)
    if load:
        for name in ("floor", "load"):
            r = load[name]
            rows.append(
                (
                    "load.py",
                    f"{name}: {r['sent']} requests, {load['clients']} clients",
                    f"{r['throughput_rps']} req/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms",
                    f"errors {r['errors']}, resets {r['resets']}",
                )
            )
        u = load["updates"]
        rows.append(
            (
                "load.py",
                "acknowledged updates stored",
                f"{u['stored_once']} of {u['acknowledged']} once",
                f"duplicates {u['duplicates']}, missing {u['missing']}",
            )
        )
    if not load or code:
        failed.append("load.py")

    faults, _, code = run("faults.py", "--json", *short)
    if faults:
        for name, r in faults["drills"].items():
            detail = ", ".join(f"{k} {v}" for k, v in r.items() if k not in ("ok", "drill_s"))
            rows.append(("faults.py", name, "OK" if r["ok"] else "FAIL", detail))
    if not faults or code:
        failed.append("faults.py")

    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    width = max(len(r[1]) for r in rows) if rows else 10
    for script, name, value, floor in rows:
        print(f"{script:10} {name:{width}}  {value}  {floor}".rstrip())
    if failed:
        print("did not pass or did not run: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
