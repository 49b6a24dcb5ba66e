"""Each action's current state row: written with each update, backfilled by the migration,
kept by backup and restore, and always what the whole history adds up to."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from slack_bolt import App
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot import backup
from store.db import upgrade
from store.models import ActionState, Board
from store.queries import action_views
from store.state import rebuild
from tests.conftest import add_update
from tests.fake_slack import FakeSlack
from tests.faults import failing
from tests.handlers.test_failures import progress, stored

T0 = datetime(2020, 5, 1, 9, 0, tzinfo=UTC)


def views(engine: Engine) -> dict[str, tuple[object, ...]]:
    """Each action's status, target, completion, percent, last update, note, re-targets."""
    with Session(engine) as s:
        board = s.exec(select(Board).where(Board.code == "TSCB")).one()
        return {
            v.ref: (
                v.status,
                v.due,
                v.completed,
                v.percent,
                v.last_update,
                v.last_note,
                v.retargets,
            )
            for v in action_views(s, board)
        }


def history(engine: Engine) -> None:
    """A year of mixed updates on 1.1a and 1.1b (none on A1)."""
    add_update(engine, "1.1a", rag="green", note="started", created_at=T0)
    add_update(engine, "1.1a", percent=40, created_at=T0 + timedelta(days=30))
    add_update(
        engine,
        "1.1a",
        rag="amber",
        new_due=date(2021, 6, 30),
        retarget_reason="pilot delayed",
        created_at=T0 + timedelta(days=60),
    )
    add_update(engine, "1.1a", note="", rag=None, created_at=T0 + timedelta(days=90))
    add_update(
        engine,
        "1.1a",
        new_due=date(2021, 9, 30),
        retarget_reason="again",
        note="second slip",
        created_at=T0 + timedelta(days=120),
    )
    add_update(engine, "1.1b", rag="red", note="no trainer", created_at=T0)
    add_update(
        engine,
        "1.1b",
        completed_on=date(2020, 12, 1),
        percent=100,
        created_at=T0 + timedelta(days=200),
    )


def test_each_update_leaves_the_action_showing_its_newest_values(mini: Engine) -> None:
    history(mini)
    got = views(mini)
    # Newest RAG (a later update without one keeps it), newest target, two re-targets counted,
    # the percent and note last given, the time of the newest update whatever it carried.
    assert got["1.1a"] == (
        "amber",
        date(2021, 9, 30),
        None,
        40,
        T0 + timedelta(days=120),
        "second slip",
        2,
    )
    assert got["1.1b"] == (
        "complete",
        date(2020, 6, 30),
        date(2020, 12, 1),
        100,
        T0 + timedelta(days=200),
        "no trainer",
        0,
    )
    assert got["A1"] == ("no update", None, None, None, None, None, 0)


def test_the_kept_state_is_what_the_whole_history_adds_up_to(mini: Engine) -> None:
    history(mini)
    kept = views(mini)
    with mini.begin() as conn:
        assert rebuild(conn) == 2  # two actions have updates
    assert views(mini) == kept


def test_the_migration_backfills_state_from_the_history_in_place(empty_engine: Engine) -> None:
    """A database with updates written before the state table existed upgrades with the
    same statuses, targets and counts it showed before."""
    upgrade(empty_engine, "0008")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO board (id, code, name, short_name, aliases, period, period_start, "
                "period_end, source, shape) VALUES (1, 'TSCB', 'Testshire SCB', 'Testshire', "
                "'[]', '2020/21', '2020-04-01', '2021-03-31', 'x', 'objectives')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO workstream (id, board_id, ref, title, position) "
                "VALUES (1, 1, '1.1', 'Neglect', 0)"
            )
        )
        for action_id, ref in ((1, "1.1a"), (2, "1.1b"), (3, "A1")):
            conn.execute(
                text(
                    "INSERT INTO action (id, board_id, workstream_id, ref, text, leads, due, "
                    "kind, position) VALUES (:id, 1, 1, :ref, 'Toolkit', '[]', '2021-03-31', "
                    "'action', :id)"
                ),
                {"id": action_id, "ref": ref},
            )
        rows = [
            (1, "2020-05-01 09:00:00", "green", "started", None, None, None),
            (1, "2020-05-31 09:00:00", None, None, 40, None, None),
            (1, "2020-06-30 09:00:00", "amber", None, None, None, "2021-06-30"),
            (1, "2020-07-30 09:00:00", None, "", None, None, None),
            (1, "2020-08-29 09:00:00", None, "second slip", None, None, "2021-09-30"),
            (2, "2020-05-01 09:00:00", "red", "no trainer", None, None, None),
            (2, "2020-11-17 09:00:00", None, None, 100, "2020-12-01", None),
        ]
        for action_id, at, rag, note, percent, done, new_due in rows:
            conn.execute(
                text(
                    "INSERT INTO progressupdate (action_id, author_slack_user_id, created_at, "
                    "rag, note, percent, completed_on, new_due) "
                    "VALUES (:a, 'U1', :at, :rag, :note, :percent, :done, :new_due)"
                ),
                {
                    "a": action_id,
                    "at": datetime.fromisoformat(at).replace(tzinfo=UTC),
                    "rag": rag,
                    "note": note,
                    "percent": percent,
                    "done": date.fromisoformat(done) if done else None,
                    "new_due": date.fromisoformat(new_due) if new_due else None,
                },
            )
    upgrade(empty_engine)
    got = views(empty_engine)
    assert got["1.1a"] == (
        "amber",
        date(2021, 9, 30),
        None,
        40,
        datetime(2020, 8, 29, 9, tzinfo=UTC),
        "second slip",
        2,
    )
    assert got["1.1b"][:4] == ("complete", date(2021, 3, 31), date(2020, 12, 1), 100)
    assert got["A1"][0] == "no update"
    with Session(empty_engine) as s:
        assert len(s.exec(select(ActionState)).all()) == 2


def test_backup_and_restore_keep_every_action_s_state(mini: Engine) -> None:
    history(mini)
    before = views(mini)
    doc = backup.backup(mini)
    backup.restore(mini, doc, name="b.json", force=True)
    assert views(mini) == before


def test_an_update_through_slack_moves_the_state_and_a_failed_one_moves_nothing(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    reply = progress(mini_app, fake_slack, "1.1a red pathway stalled", "p1")
    assert reply.startswith("Recorded")
    after_first = views(mini)["1.1a"]
    assert after_first[0] == "red" and after_first[5] == "pathway stalled"
    with failing(mini, "INSERT INTO auditevent"):
        progress(mini_app, fake_slack, "1.1a green all fixed", "p2")
    # The second update, its audit row and its state went back together (the person already
    # existed, so nothing else was written before the update's savepoint).
    assert stored(mini) == (1, 1)
    assert views(mini)["1.1a"] == after_first


@pytest.mark.parametrize("statement", ["INSERT INTO actionstate", "INSERT INTO progressupdate"])
def test_a_state_write_failing_loses_the_update_with_it(
    mini_app: App, fake_slack: FakeSlack, mini: Engine, statement: str
) -> None:
    with failing(mini, statement) as refused:
        reply = progress(mini_app, fake_slack, "1.1a green all fixed", "p1")
    assert refused
    assert not reply.startswith("Recorded")
    assert views(mini)["1.1a"][0] == "no update"
    with Session(mini) as s:
        assert s.exec(select(ActionState)).all() == []


def test_a_write_through_one_process_is_seen_by_another_on_its_next_request(
    mini: Engine,
) -> None:
    """Two engines on one database stand for two processes, each with its own kept views."""
    from store.db import make_engine
    from tests.conftest import SUBPROCESS_URLS

    other = make_engine(SUBPROCESS_URLS[mini])
    try:
        assert views(other)["1.1a"][0] == "no update"  # read, and kept, by the other process
        assert views(other)["1.1a"][0] == "no update"
        add_update(mini, "1.1a", rag="red", note="stalled", created_at=T0)
        assert views(other)["1.1a"][:1] == ("red",)
        load_again = views(other)
        assert load_again == views(mini)
    finally:
        other.dispose()


def test_a_plan_edit_is_seen_by_a_process_that_kept_the_old_views(
    mini: Engine, tmp_path: Path
) -> None:
    from seed.loader import load_all
    from store.db import make_engine
    from tests.conftest import MINI_PLANS, SUBPROCESS_URLS

    other = make_engine(SUBPROCESS_URLS[mini])
    try:
        assert "1.1c" not in views(other)
        plans = tmp_path / "plans"
        plans.mkdir()
        source = (MINI_PLANS / "mini.toml").read_text()
        extra = (
            '\n[[actions]]\nref = "1.1c"\nworkstream = "1.1"\n'
            'text = "Publish the neglect toolkit"\n'
        )
        (plans / "mini.toml").write_text(source + extra)
        load_all(mini, plans)
        assert "1.1c" in views(other)
    finally:
        other.dispose()
