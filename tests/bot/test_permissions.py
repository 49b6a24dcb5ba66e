"""Who may write what: rights belong to one board, come from the configuration only while it
lists them, are checked at the moment of writing on every surface, and values are checked too."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot.clock import now_utc
from bot.conversation import respond
from bot.progress_form import pick_candidate, submit_form
from bot.settings import Settings
from seed.loader import load_all
from store.db import upgrade
from store.models import BoardAdmin, Person, ProgressUpdate
from tests.conftest import ADMIN_ID, MINI_PLANS, lscb

MEG = "U0MEG0001"  # a confirmed member of MEG on Testshire (TSCB)
LEAD = "U0LEAD001"  # Testshire's LSCB Training Officer
WORCS_ADMIN = "U0WADMIN1"  # an admin of Testshire only


@pytest.fixture
def two_boards(engine: Engine, tmp_path: Path) -> Engine:
    """Testshire (TSCB) and a copy of it coded USCB, a code that looks like a Slack user id."""
    mini = (MINI_PLANS / "mini.toml").read_text(encoding="utf-8")
    copy = (
        mini.replace('"TSCB"', '"USCB"')
        .replace("Testshire", "Uttershire")
        .replace("testshire-2020-21.txt", "uttershire-2020-21.txt")
    )
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "uttershire.toml").write_text(copy, encoding="utf-8")
    load_all(engine, MINI_PLANS)
    load_all(engine, tmp_path / "plans")
    assert "is now" in lscb(engine, ADMIN_ID, f"assign <@{MEG}> MEG")
    assert "is now" in lscb(engine, ADMIN_ID, f"assign <@{LEAD}> LSCB Training Officer")
    assert "now an admin" in lscb(engine, ADMIN_ID, f"admin <@{WORCS_ADMIN}>")
    return engine


def updates(engine: Engine) -> list[ProgressUpdate]:
    with Session(engine) as s:
        return list(s.exec(select(ProgressUpdate)))


def said(engine: Engine, user: str, text: str, board: str, channel: str | None = None) -> str:
    """`user` types `text` with `board` as the board in question, and no config admins."""
    reply, _ = respond(engine, user_id=user, text=text, board_name=board, channel_id=channel)
    return reply.text


# -- admin rights belong to one board ---------------------------------------------------------


def test_an_admin_of_one_board_cannot_write_on_another(two_boards: Engine) -> None:
    other = "USCB"
    assert said(two_boards, WORCS_ADMIN, "/progress 1.1a green done", other).startswith(
        "You can't update *1.1a*"
    )
    assert said(two_boards, WORCS_ADMIN, "/lscb channel board", other, "C0U000001").startswith(
        "Only a board admin"
    )
    assert said(two_boards, WORCS_ADMIN, "/lscb channel MEG", other, "C0U000002").startswith(
        "Only a board admin"
    )
    assert "admins can change" in said(two_boards, WORCS_ADMIN, "/lscb digest fri 10:00", other)
    assert said(two_boards, WORCS_ADMIN, f"/lscb chair <@{MEG}> MEG", other).startswith(
        "Only a board admin"
    )
    assert said(two_boards, WORCS_ADMIN, "/lscb admin <@U0X000001>", other).startswith(
        "Only a board admin"
    )
    assert said(two_boards, WORCS_ADMIN, "/lscb assign <@U0X000001> MEG", other).startswith(
        "Only a board admin"
    )
    assert updates(two_boards) == []
    # On their own board every one of those works.
    own = "TSCB"
    assert said(two_boards, WORCS_ADMIN, "/progress 1.1a green done", own).startswith("Recorded")
    assert "board-level" in said(two_boards, WORCS_ADMIN, "/lscb channel board", own, "C0T00001")
    assert "Friday at 10:00" in said(two_boards, WORCS_ADMIN, "/lscb digest fri 10:00", own)


def test_a_member_of_a_same_named_sub_group_elsewhere_cannot_update_it(two_boards: Engine) -> None:
    reply = said(two_boards, MEG, "/progress 1.1a amber moving", "USCB")
    assert reply.startswith("You can't update *1.1a*")
    assert said(two_boards, MEG, "/progress 1.1a amber moving", "TSCB").startswith("Recorded")
    assert len(updates(two_boards)) == 1


def test_removing_an_id_from_admin_user_ids_removes_what_it_gave(two_boards: Engine) -> None:
    """ADMIN_ID made WORCS_ADMIN an admin while listed; once unlisted, ADMIN_ID is nobody."""
    for board in ("TSCB", "USCB"):  # listed: an admin of every board
        assert "is now" in lscb(two_boards, ADMIN_ID, "assign <@U0Y000001> MEG", board=board)
    unlisted = said(two_boards, ADMIN_ID, "/lscb assign <@U0Y000002> MEG", "TSCB")
    assert unlisted.startswith("Only a board admin")
    assert said(two_boards, ADMIN_ID, "/progress A1 green assured", "TSCB").startswith(
        "You can't update"
    )
    # The grant ADMIN_ID made while listed is an explicit one, and stays.
    assert said(two_boards, WORCS_ADMIN, "/lscb assign <@U0Y000002> MEG", "TSCB").startswith(
        "<@U0Y000002> is now *MEG*"
    )
    with Session(two_boards) as s:
        admins = s.exec(select(Person.slack_user_id).join(BoardAdmin)).all()
    assert admins == [WORCS_ADMIN]


# -- the board a bare word names ---------------------------------------------------------------


@pytest.mark.parametrize("code", ["WSCB", "WDSCB", "wscb"])
def test_board_codes_that_look_like_user_ids_are_boards(seeded: Engine, code: str) -> None:
    reply, _ = respond(seeded, user_id="U0READER1", text=f"/lscb board {code}")
    assert reply.text.startswith("You are now on *")
    with Session(seeded) as s:
        people = s.exec(select(Person.slack_user_id)).all()
    assert people == ["U0READER1"]  # no stray person called WSCB


def test_a_user_id_shaped_board_code_and_a_typed_id(two_boards: Engine) -> None:
    reply = said(two_boards, "U0READER2", "/lscb board USCB", "TSCB")
    assert reply.startswith("You are now on *Uttershire SCB*")
    # "@USCB" after a board name is still the board USCB, not a person.
    assert "No board called" in said(two_boards, ADMIN_ID, "/lscb board TSCB @USCB", "TSCB")
    assert said(two_boards, "U0READER2", "/lscb board TSCB @U0OTHER01", "TSCB").startswith(
        "Only a board admin"
    )
    with Session(two_boards) as s:
        people = set(s.exec(select(Person.slack_user_id)).all())
    assert "USCB" not in people and "U0OTHER01" not in people


# -- every surface checks rights and values when it writes -------------------------------------


def button(board: str, ref: str, **change: Any) -> dict[str, Any]:
    return {"board": board, "ref": ref, "change": change}


@pytest.mark.parametrize(
    ("value", "said_"),
    [
        (button("TSCB", "1.1b", rag="green"), "You can't update *1.1b*"),  # another lead's
        (button("USCB", "1.1a", rag="green"), "You can't update *1.1a*"),  # another board's
        (button("TSCB", "1.1a", rag="purple"), "the status must be red, amber, green or done"),
        (button("TSCB", "1.1a", percent=1000), "Percent complete must be"),
        (button("TSCB", "1.1a", percent="50"), "Percent complete must be"),
        (button("TSCB", "1.1a", percent=True), "Percent complete must be"),
        (button("TSCB", "1.1a", note={"x": 1}), "a note or reason is text"),
        (button("TSCB", "1.1a", note="x" * 5000), "a note or reason is text"),
        (button("TSCB", "1.1a", new_due="9999-12-31", reason="x"), "A new target date must be"),
        (button("TSCB", "1.1a", completed_on="1900-01-01"), "A completion date must be"),
        (button("TSCB", "1.1a", completed_on="2999-01-01"), "A completion date must be"),
        (button("TSCB", "1.1a", completed_on="soon"), "That button's details"),
        (button("NARNIA", "1.1a", rag="green"), "Pick your board"),
        ({"board": "TSCB", "ref": "1.1a", "change": "green"}, "Nothing to record"),
    ],
)
def test_a_crafted_candidate_button_saves_nothing(
    two_boards: Engine, value: dict[str, Any], said_: str
) -> None:
    outcome = pick_candidate(
        two_boards, Settings.from_env({}), user_id=MEG, value=value, key="k1", now=now_utc()
    )
    assert said_ in outcome.message and not outcome.recorded
    assert updates(two_boards) == []


def test_an_honest_candidate_button_still_records(two_boards: Engine) -> None:
    outcome = pick_candidate(
        two_boards,
        Settings.from_env({}),
        user_id=MEG,
        value=button("TSCB", "1.1a", rag="amber", percent=40, note="pilot"),
        key="k2",
        now=now_utc(),
    )
    assert outcome.recorded and [u.percent for u in updates(two_boards)] == [40]


def modal(selected: str, meta: object, **fields: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {
        "action": {"progress_action": {"selected_option": {"value": selected}}},
        "note": {"note": {"value": "pilot running"}},
    }
    for block, value in fields.items():
        state[block] = {block: value}
    return {
        "id": "V9",
        "private_metadata": meta if isinstance(meta, str) else json.dumps(meta),
        "state": {"values": state},
    }


@pytest.mark.parametrize(
    ("view", "field", "said_"),
    [
        (modal("USCB|1.1a", {"board": "TSCB"}), "action", "isn't on this form's board"),
        # field errors are plain text: no mrkdwn stars
        (modal("USCB|1.1a", {"board": "USCB"}), "note", "You can't update 1.1a:"),
        (modal("TSCB|1.1b", {"board": "TSCB"}), "note", "You can't update 1.1b:"),
        (modal("NARNIA|1.1a", {"board": "NARNIA"}), "action", "Pick your board"),
        (
            modal("TSCB|1.1a", {"board": "TSCB"}, rag={"selected_option": {"value": "purple"}}),
            "rag",
            "Choose red, amber or green",
        ),
        (
            modal(
                "TSCB|1.1a",
                {"board": "TSCB"},
                new_due={"selected_date": "9999-12-31"},
                reason={"value": "later"},
            ),
            "new_due",
            "Pick a date between",
        ),
        (
            modal(
                "TSCB|1.1a",
                {"board": "TSCB"},
                new_due={"selected_date": "31/12/2021"},
                reason={"value": "later"},
            ),
            "new_due",
            "Pick a date between",
        ),
        (modal("TSCB|1.1a", "not json"), None, None),  # unreadable metadata: the action decides
    ],
)
def test_a_crafted_modal_submission_saves_nothing(
    two_boards: Engine, view: dict[str, Any], field: str | None, said_: str | None
) -> None:
    errors, outcome = submit_form(
        two_boards, Settings.from_env({}), user_id=MEG, view=view, now=now_utc()
    )
    if field is None:
        assert errors == {} and outcome is not None and outcome.recorded
        return
    assert said_ in errors[field]
    assert outcome is None and updates(two_boards) == []


# -- first contact, twice at once --------------------------------------------------------------


def test_first_contact_on_many_workers_at_once_makes_one_person(engine: Engine) -> None:
    """Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (the `backend` fixture)."""
    users = [f"U0RACE{n:03d}" for n in range(4)]
    per_user = 8
    barrier = threading.Barrier(len(users) * per_user)
    replies: list[str] = []
    errors: list[BaseException] = []

    def first_contact(user: str) -> None:
        try:
            barrier.wait()
            reply, _ = respond(engine, user_id=user, text="/lscb whoami")
            replies.append(reply.text)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [
        threading.Thread(target=first_contact, args=(u,)) for u in users for _ in range(per_user)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(replies) == len(threads)
    assert all(r.startswith("You haven't told me") for r in replies)
    with Session(engine) as s:
        people = s.exec(select(Person.slack_user_id)).all()
    assert sorted(people) == users


# -- the migration to per-board admins ---------------------------------------------------------


def test_migration_keeps_audited_admin_grants_on_their_board(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0004")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO board (code, name, short_name, aliases, period, period_start, "
                "period_end, source, shape) VALUES ('OLD', 'Old SCB', 'Old', '[]', '2011/12', "
                "'2011-04-01', '2012-03-31', 'old.txt', 'objectives')"
            )
        )
        for user, admin in (("U0GRANTED", True), ("U0CONFIG1", True), ("U0PLAIN01", False)):
            conn.execute(
                text(
                    "INSERT INTO person (slack_user_id, board_id, roles, is_admin, nudges_off, "
                    "created_at) SELECT :user, id, '[]', :admin, false, '2026-01-01 09:00:00' "
                    "FROM board"
                ),
                {"user": user, "admin": admin},
            )
        for at in ("2026-01-02 10:00:00", "2026-01-03 10:00:00"):  # granted twice
            conn.execute(
                text(
                    "INSERT INTO auditevent (board_id, actor, at, event, entity, entity_ref) "
                    "SELECT id, 'U0BOOT001', :at, 'person.admin_granted', 'person', 'U0GRANTED' "
                    "FROM board"
                ),
                {"at": at},
            )
    upgrade(empty_engine)
    with Session(empty_engine) as s:
        rows = s.exec(select(BoardAdmin, Person.slack_user_id).join(Person)).all()
        flags = dict(s.exec(select(Person.slack_user_id, Person.is_admin)).all())
    assert [(user, row.granted_by, row.granted_at) for row, user in rows] == [
        ("U0GRANTED", "U0BOOT001", datetime(2026, 1, 2, 10, tzinfo=UTC))
    ]
    # The old flag is kept as it was; the unaudited one came from ADMIN_USER_IDS and gives
    # nothing now that the configuration no longer lists it.
    assert flags == {"U0GRANTED": True, "U0CONFIG1": True, "U0PLAIN01": False}
    assert said(empty_engine, "U0GRANTED", "/lscb admin <@U0NEW0001>", "OLD").startswith(
        "<@U0NEW0001> is now an admin of Old"
    )
    assert said(empty_engine, "U0CONFIG1", "/lscb admin <@U0NEW0002>", "OLD").startswith(
        "Only a board admin"
    )
