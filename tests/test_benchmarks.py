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


def test_scale_benchmarks_short_answer_record_and_compose() -> None:
    """ask.py, digest.py and coldstart.py on a small deployment: every question answered,
    every /progress acknowledged and stored, every linked channel's digest composed."""
    ask = run("ask.py")
    [sqlite] = ask["runs"]  # type: ignore[misc]
    counts = {row["what"].split(":")[0]: row["n"] for row in sqlite["results"]}
    assert counts["answer"] == counts["/progress"] == 60
    assert sqlite["updates_stored"] == 20_000 + 20 + 60  # warm-up and measured updates kept
    digest = run("digest.py")
    assert digest["subgroup_channels"] == 70 and digest["digests_composed"] >= 70
    cold = run("coldstart.py")
    assert set(cold["results"]) == {  # type: ignore[arg-type]
        "floor: python -c pass",
        "libs: import sqlmodel",
        "say: python -m bot say",
    }
