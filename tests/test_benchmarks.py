"""The load and fault benchmarks run in short mode, so CI keeps them working (not timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(script: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--short", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("script", ["load.py"])
def test_load_short_acknowledges_everything_and_stores_each_update_once(script: str) -> None:
    result = run(script)
    load, updates = result["load"], result["updates"]
    assert isinstance(load, dict) and isinstance(updates, dict)
    assert (load["errors"], load["resets"], load["not_sent"]) == (0, 0, 0)
    assert updates["acknowledged"] == 100
    assert (updates["duplicates"], updates["missing"]) == (0, 0)


def test_fault_drills_short_post_once_and_lose_nothing() -> None:
    result = run("faults.py")
    drills = result["drills"]
    assert isinstance(drills, dict)
    assert set(drills) == {"kill-digest", "kill-updates", "hung-call", "unreachable"}
    assert {name: d["ok"] for name, d in drills.items()} == dict.fromkeys(drills, True), drills
