"""A large, honest benchmark deployment: many boards, all-different plan texts, years of history.

Boards are shaped like the five real plans. Every action's text is different: phrases of the
real plans' actions recombined (so the words are a safeguarding board's words, not "lorem"),
and so are work-stream and priority titles. Each board has leads with roles, and the progress
history is spread over five years, unevenly across actions, with notes, percentages,
re-targets and completions, as a board's fifth year would hold.

Built once per set of parameters into a SQLite file under /tmp (a few minutes for 1,000 boards
and 1,000,000 updates) and reused; a benchmark works on a copy (or, for PostgreSQL, on a
schema of its own filled from that file with COPY and dropped afterwards). Never committed.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from seed.loader import Plan, PlanFile, load_plan, parse_plan, plan_files
from store.db import make_engine, upgrade
from store.models import Person, ProgressUpdate

#: Bump when the generator changes, so cached files built by an older one are not reused.
GENERATOR_VERSION = 1
CACHE_DIR = Path(os.environ.get("LSCB_BENCH_CACHE", "/tmp/lscb-bench"))
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: The history runs up to this moment (a Monday morning in the plans' year).
HISTORY_END = datetime(2018, 11, 19, 8, 0, tzinfo=UTC)
HISTORY_YEARS = 5
LEADS_PER_BOARD = 6
_CONNECTORS = re.compile(
    r"\s+(?=(?:to|and|for|with|through|including|in|on|across|by|so that|within)\s)", re.I
)


@dataclass(frozen=True)
class Spec:
    boards: int = 1000
    actions: int = 100
    updates: int = 1_000_000
    seed: int = 7

    @property
    def name(self) -> str:
        return f"b{self.boards}-a{self.actions}-u{self.updates}-s{self.seed}-g{GENERATOR_VERSION}"

    def codes(self) -> list[str]:
        return [board_code(b) for b in range(self.boards)]


def board_code(i: int) -> str:
    return f"B{i:04d}SCB"


def lead_user(code: str, k: int) -> str:
    """The Slack user id of lead number k on a board (they hold that board's k-th lead role)."""
    return f"U{code}L{k}"


class Phrases:
    """Beginnings and continuations of the real plans' action texts, for recombining."""

    def __init__(self) -> None:
        real = [parse_plan(p).data for p in plan_files()]
        self.heads: list[str] = []
        self.tails: list[str] = []
        for text_ in (a.text for d in real for a in d.actions):
            parts = [p.strip(" ,;.") for p in _CONNECTORS.split(" ".join(text_.split()))]
            parts = [p for p in parts if len(p.split()) >= 2]
            if not parts:
                continue
            if parts[0][:1].isupper():  # a sentence's own beginning, not a cell's tail end
                self.heads.append(parts[0])
            self.tails.extend(parts[1:])
        self.heads = sorted(set(self.heads))
        self.tails = sorted(set(self.tails)) or ["across the partnership"]
        self.titles = sorted(
            {w.title for d in real for w in d.workstreams}
            | {p.title for d in real for p in d.priorities}
        )
        self.leads = sorted({lead for d in real for a in d.actions for lead in a.leads})
        self.groups = sorted({s.name for d in real for s in d.subgroups})

    def action_text(self, rng: random.Random, used: set[str]) -> str:
        """A sentence no other action has: a head and one or two continuations."""
        while True:
            parts = [rng.choice(self.heads), rng.choice(self.tails)]
            if rng.random() < 0.4:
                parts.append(rng.choice(self.tails))
            sentence = " ".join(parts)
            if sentence not in used:
                used.add(sentence)
                return sentence

    def title(self, rng: random.Random, used: set[str]) -> str:
        while True:
            a, b = rng.sample(self.titles, 2)
            words = b.split()
            candidate = f"{a}: {' '.join(words[: max(2, len(words) // 2)])}".strip()
            if candidate not in used:
                used.add(candidate)
                return candidate


def synthetic_plans(n_boards: int, n_actions: int, seed: int = 7) -> list[Plan]:
    """Boards shaped like the real ones; every action's text different, in the real plans' words."""
    rng = random.Random(seed)
    phrases = Phrases()
    used_texts: set[str] = set()
    plans = []
    for b in range(n_boards):
        code = board_code(b)
        used_titles: set[str] = set()  # titles differ within a board; boards share some
        groups = rng.sample(phrases.groups, 7)
        leads = rng.sample(phrases.leads, LEADS_PER_BOARD)
        per_stream = 5
        n_streams = max(1, n_actions // per_stream)
        doc: dict[str, Any] = {
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
            "priorities": [
                {"ref": str(p), "title": phrases.title(rng, used_titles)} for p in range(1, 5)
            ],
            "workstreams": [
                {
                    "ref": f"{1 + w % 4}.{1 + w // 4}",
                    "priority": str(1 + w % 4),
                    "title": phrases.title(rng, used_titles),
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
                    "text": phrases.action_text(rng, used_texts),
                    "lead": lead,
                    "leads": [lead],
                    "subgroups": [rng.choice(groups)],
                    "due": date(2018, rng.randint(5, 12), rng.randint(1, 28))
                    + timedelta(days=365 * rng.randint(0, 1)),
                }
            )
        plans.append(Plan(Path(f"{code}.toml"), PlanFile.model_validate(doc)))
    return plans


_NOTES = [
    "on track, report to the next board meeting",
    "delayed: waiting for partner data",
    "draft circulated for comment",
    "audit complete, findings to QA sub-group",
    "training sessions booked for the spring",
    "slipped, capacity issues in the team",
    "agreed at the executive group",
    "pathway being revised after consultation",
]


def _history(
    conn: Any, spec: Spec, actions: list[tuple[int, str, int, str]], rng: random.Random
) -> int:
    """Insert spec.updates progress updates, oldest first, spread unevenly over the actions."""
    table = SQLModel.metadata.tables[ProgressUpdate.__tablename__]
    start = HISTORY_END - timedelta(days=365 * HISTORY_YEARS)
    span = (HISTORY_END - start).total_seconds()
    # Uneven: a few actions are updated weekly, many monthly, some never.
    weights = [rng.lognormvariate(0, 1) if rng.random() > 0.08 else 0.0 for _ in actions]
    picks = rng.choices(range(len(actions)), weights=weights, k=spec.updates)
    moments = sorted(rng.random() for _ in range(spec.updates))
    rows = []
    written = 0
    for n, (i, moment) in enumerate(zip(picks, moments, strict=True)):
        action_id, code, lead_k, _ = actions[i]
        at = start + timedelta(seconds=moment * span)
        roll = rng.random()
        rows.append(
            {
                "action_id": action_id,
                "author_slack_user_id": lead_user(code, lead_k),
                "created_at": at,
                "rag": rng.choice(("red", "amber", "amber", "green", "green", None)),
                "note": rng.choice(_NOTES) if roll < 0.7 else None,
                "percent": rng.randrange(0, 101, 5) if roll < 0.3 else None,
                "completed_on": at.date() if roll > 0.997 else None,
                "new_due": (at + timedelta(days=rng.randint(30, 240))).date()
                if 0.95 < roll <= 0.997
                else None,
                "retarget_reason": "capacity" if 0.95 < roll <= 0.997 else None,
                "idempotency_key": f"bench-{n}" if roll < 0.5 else None,
            }
        )
        if len(rows) == 20_000:
            conn.execute(table.insert(), rows)
            written += len(rows)
            rows = []
    if rows:
        conn.execute(table.insert(), rows)
        written += len(rows)
    return written


def build(spec: Spec, path: Path) -> None:
    """Write the whole deployment to a new SQLite file at `path`."""
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    plans = synthetic_plans(spec.boards, spec.actions, spec.seed)
    for n, plan in enumerate(plans, 1):
        load_plan(engine, plan)
        if n % 100 == 0:
            _say(f"  loaded {n} boards ({time.perf_counter() - started:.0f} s)")
    rng = random.Random(spec.seed + 1)
    with engine.begin() as conn:
        boards = dict(conn.execute(text("SELECT code, id FROM board")).all())
        leads_of = {
            p.data.board.code: sorted({a.lead or "" for a in p.data.actions}) for p in plans
        }
        people = [
            {
                "slack_user_id": lead_user(code, k),
                "board_id": boards[code],
                "display_name": f"Lead {k} of {code}",
                "roles": [lead],
                "is_admin": False,
                "nudges_off": False,
                "created_at": HISTORY_END - timedelta(days=365 * HISTORY_YEARS),
            }
            for code, leads in leads_of.items()
            for k, lead in enumerate(leads)
        ]
        conn.execute(SQLModel.metadata.tables[Person.__tablename__].insert(), people)
        actions = []
        for action_id, code, lead in conn.execute(
            text(
                "SELECT action.id, board.code, action.lead FROM action "
                "JOIN board ON board.id = action.board_id ORDER BY action.id"
            )
        ):
            actions.append((action_id, code, leads_of[code].index(lead or ""), lead))
        _say(f"  {len(people)} people; writing {spec.updates} updates")
        _history(conn, spec, actions, rng)
        if "actionstate" in SQLModel.metadata.tables:  # absent from trees before the state row
            from store.state import rebuild

            rebuild(conn)
    engine.dispose()
    _say(f"built {spec.name} in {time.perf_counter() - started:.0f} s")


def cached(spec: Spec) -> Path:
    """The SQLite file for `spec`, built first if there is none yet (then kept under /tmp)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"{spec.name}.db"
    if not path.exists():
        _say(f"building {path} (cached for the next run)")
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        build(spec, partial)
        _checkpoint(partial)
        partial.rename(path)
    return path


def at_schema(built: Path) -> Path:
    """The cached file upgraded to this tree's newest migration, beside the file as built.

    The built file itself is never upgraded past the revision it holds: trees of other
    branches (without this tree's newest migrations) share the cache, and Alembic refuses a
    database at a revision it does not know. Each schema gets its own upgraded copy, once
    (an upgrade keeps every row).
    """
    from bot.runtime import shipped_heads

    heads = sorted(shipped_heads())
    path = built.with_name(f"{built.stem}-r{'+'.join(heads)}.db")
    if _revision(built) == heads:
        return built
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(built, partial)
        engine = make_engine(f"sqlite:///{partial}")
        upgrade(engine)
        engine.dispose()
        _checkpoint(partial)
        partial.rename(path)
        _say(f"upgraded a copy of the cached file in {time.perf_counter() - started:.1f} s")
    return path


def _revision(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return sorted(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file, so the file can be copied on its own."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


@dataclass
class BenchDatabase:
    url: str
    engine: Engine
    backend: str


@contextmanager
def database(spec: Spec, backend: str = "sqlite") -> Iterator[BenchDatabase]:
    """A private copy of the cached deployment, upgraded to the newest schema; removed after."""
    source = at_schema(cached(spec))
    if backend == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="lscb-bench-"))
        shutil.copyfile(source, tmp / "bench.db")
        url = f"sqlite:///{tmp / 'bench.db'}"
        engine = make_engine(url)
        try:
            yield BenchDatabase(url, engine, backend)
        finally:
            engine.dispose()
            shutil.rmtree(tmp, ignore_errors=True)
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        started = time.perf_counter()
        upgrade(engine)
        _copy_to_postgres(source, engine)
        _say(f"copied the deployment into PostgreSQL in {time.perf_counter() - started:.0f} s")
        yield BenchDatabase(url, engine, backend)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _copy_to_postgres(source: Path, engine: Engine) -> None:
    """Every table's rows from the SQLite file, with COPY; sequences moved past the ids."""
    from bot.backup import _reset_sequences

    lite = sqlite3.connect(source)
    tables = SQLModel.metadata.sorted_tables
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET TIME ZONE 'UTC'")  # SQLite keeps UTC without a zone
        for table in reversed(tables):
            cur.execute(f'DELETE FROM "{table.name}"')
        for table in tables:
            names = [c.name for c in table.columns]
            column_list = ", ".join(f'"{n}"' for n in names)
            rows = lite.execute(f'SELECT {column_list} FROM "{table.name}"')
            with cur.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
        lite.close()
    with engine.begin() as conn:
        _reset_sequences(conn)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="build (or find) the cached benchmark deployment")
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=100)
    parser.add_argument("--updates", type=int, default=1_000_000)
    args = parser.parse_args()
    print(cached(Spec(args.boards, args.actions, args.updates)))
