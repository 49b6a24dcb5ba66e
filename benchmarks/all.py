"""Run every benchmark and print one table: each figure beside its floor from the same run.

Run: .venv/bin/python benchmarks/all.py [--short]
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
    args = parser.parse_args(argv)
    short = ["--short"] if args.short else []
    rows: list[tuple[str, str, str, str]] = []
    failed = []

    ask, _, code = run("ask.py", *(["--boards", "20", "--rounds", "3"] if args.short else []))
    if ask:
        for r in ask["results"]:
            vs = f"x{r['p50_vs_floor']} the floor's p50" if "p50_vs_floor" in r else "(floor)"
            rows.append(("ask.py", r["what"], f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms", vs))
    else:
        failed.append("ask.py")

    digest, _, code = run("digest.py", *(["--boards", "20"] if args.short else []))
    if digest:
        rows.append(
            (
                "digest.py",
                f"{digest['digests_composed']} digests, {digest['boards']} boards",
                f"{digest['digests_total_s']} s",
                f"floor {digest['floor_read_rows_s']} s (x{digest['ratio_to_floor']})",
            )
        )
    else:
        failed.append("digest.py")

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
