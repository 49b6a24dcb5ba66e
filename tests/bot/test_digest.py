"""Weekly digests and nudges: schedule, content, and exactly-once delivery against fake Slack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import LONDON
from bot.conversation import respond
from bot.digest import board_digest, due_period, nudge, run_digests, scheduled_run, subgroup_digest
from store import digests
from store.models import Board, Person, Subgroup
from tests.conftest import ADMIN_ID, BOT_TOKEN, SUBPROCESS_URLS, lscb
from tests.fake_slack import FakeSlack

MEG = "U0MEG0001"
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


def board(**kw: object) -> Board:
    return Board(
        code="X",
        name="X",
        short_name="X",
        period="",
        period_start=date.min,
        period_end=date.max,
        source="",
        shape="",
        **kw,
    )


def test_monday_nine_in_winter_and_summer_time() -> None:
    winter = scheduled_run(board(), date(2026, 1, 12))
    summer = scheduled_run(board(), date(2026, 7, 13))
    assert winter.astimezone(UTC).hour == 9 and summer.astimezone(UTC).hour == 8
    assert winter.astimezone(LONDON).hour == summer.astimezone(LONDON).hour == 9


def test_bank_holidays_move_to_the_next_working_day() -> None:
    assert scheduled_run(board(), date(2026, 4, 6)).date() == date(2026, 4, 7)  # Easter Monday
    friday = board(digest_weekday=4, digest_time="16:30")
    # Christmas Day is a Friday and nothing is left of that week: the Thursday before, not
    # Tuesday 29th (the next week, whose own run would then swallow it)
    assert scheduled_run(friday, date(2026, 12, 21)).date() == date(2026, 12, 24)


def test_due_period_only_once_the_time_has_come() -> None:
    assert due_period(board(), datetime(2026, 11, 23, 8, 59, tzinfo=LONDON)) is None
    assert due_period(board(), datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)) == date(2026, 11, 23)
    sunday = datetime(2026, 11, 29, 23, 0, tzinfo=LONDON)
    assert due_period(board(), sunday, late_after=None) == date(2026, 11, 23)
    assert due_period(board(), sunday) is None  # days late: it waits for next week


@pytest.fixture
def linked(mini: Engine) -> Engine:
    """MEG and the Training Sub-Committee have channels; so does the board; MEG has a member."""
    assert "is now" in lscb(mini, ADMIN_ID, f"assign <@{MEG}> MEG")
    assert "now" in lscb(mini, ADMIN_ID, "channel MEG", "C0MEG0001")
    assert "now" in lscb(mini, ADMIN_ID, "channel Training Sub-Committee", "C0TRAIN01")
    assert "board-level" in lscb(mini, ADMIN_ID, "channel board", "C0BOARD01")
    return mini


@pytest.fixture(autouse=True)
def slack_on_the_digest_day(fake_slack: FakeSlack) -> None:
    """Messages posted in these tests are stamped on the simulated Monday, as Slack would."""
    fake_slack.clock = lambda: MONDAY_10AM.timestamp()


def client_for(fake: FakeSlack) -> WebClient:
    client = WebClient(token=BOT_TOKEN, base_url=fake.api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def posts_to(fake: FakeSlack, channel: str) -> list[dict[str, object]]:
    return [c.args for c in fake.delivered(channel)]


def test_subgroup_digest_reads_like_a_briefing(linked: Engine) -> None:
    respond(
        linked,
        user_id=MEG,
        text="/progress 1.1a red <!here> supplier pulled out",
        board_name="TSCB",
        today=date(2026, 11, 20),
    )
    with Session(linked) as s:
        b = s.exec(select(Board)).one()
        meg = s.exec(select(Subgroup).where(Subgroup.name == "MEG")).one()
        reply = subgroup_digest(s, b, meg, MONDAY_10AM - timedelta(days=7), MONDAY_10AM)
    text = json.dumps(reply.blocks_json())
    assert len(reply.blocks) <= 50
    assert "Overdue" in text and "1.1a" in text and "Updates received" in text
    assert "red" in text and "supplier pulled out" in text
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert "progress_open" in text  # each action has an Update button


def test_every_channel_once_despite_429_and_a_missing_channel(
    linked: Engine, fake_slack: FakeSlack
) -> None:
    fake_slack.rate_limit_once.add("chat.postMessage")
    fake_slack.channel_errors["C0TRAIN01"] = "channel_not_found"
    client = client_for(fake_slack)

    first = run_digests(linked, client, now=MONDAY_10AM, admin_ids=frozenset({ADMIN_ID}))
    assert len(posts_to(fake_slack, "C0MEG0001")) == 1
    assert len(posts_to(fake_slack, "C0BOARD01")) == 1
    assert first.failed == [("subgroup:Training Sub-Committee:C0TRAIN01", "channel_not_found")]
    [alert] = posts_to(fake_slack, ADMIN_ID)
    assert "channel_not_found" in str(alert["text"]) and "<#C0TRAIN01>" in str(alert["text"])
    assert len(fake_slack.calls_to("chat.postMessage:429")) == 1

    again = run_digests(
        linked, client, now=MONDAY_10AM + timedelta(minutes=5), admin_ids=frozenset({ADMIN_ID})
    )
    assert not again.posted
    assert len(posts_to(fake_slack, "C0MEG0001")) == 1
    assert len(posts_to(fake_slack, ADMIN_ID)) == 1  # admins are told once, not every pass

    del fake_slack.channel_errors["C0TRAIN01"]
    fixed = run_digests(linked, client, now=MONDAY_10AM + timedelta(minutes=10))
    assert fixed.posted == ["subgroup:Training Sub-Committee:C0TRAIN01"]
    assert len(posts_to(fake_slack, "C0TRAIN01")) == 1
    assert {r.status for r in digests.runs(linked) if r.kind != "nudge"} == {"posted"}


def test_nothing_before_the_time_and_next_week_again(linked: Engine, fake_slack: FakeSlack) -> None:
    client = client_for(fake_slack)
    early = run_digests(linked, client, now=MONDAY_10AM - timedelta(hours=2))
    assert not early.posted and fake_slack.calls_to("chat.postMessage") == []
    run_digests(linked, client, now=MONDAY_10AM)
    run_digests(linked, client, now=MONDAY_10AM + timedelta(days=7))
    assert len(posts_to(fake_slack, "C0MEG0001")) == 2


def test_a_crashed_claim_is_taken_over_after_its_lease(linked: Engine) -> None:
    args = {"board_id": 1, "kind": "subgroup", "target": "C1", "period": date(2026, 11, 23)}
    assert digests.claim(linked, worker="a", now=MONDAY_10AM, **args) == 1
    assert digests.claim(linked, worker="b", now=MONDAY_10AM + timedelta(minutes=1), **args) == 0
    assert digests.claim(linked, worker="b", now=MONDAY_10AM + timedelta(minutes=11), **args) == 2
    digests.finish(
        linked, worker="b", now=MONDAY_10AM, kind="subgroup", target="C1", period=date(2026, 11, 23)
    )
    assert digests.claim(linked, worker="c", now=MONDAY_10AM + timedelta(hours=1), **args) == 0


def test_nudges_once_a_week_and_not_when_away(linked: Engine, fake_slack: FakeSlack) -> None:
    client = client_for(fake_slack)
    run_digests(linked, client, now=MONDAY_10AM)
    run_digests(linked, client, now=MONDAY_10AM + timedelta(hours=3))
    [dm] = posts_to(fake_slack, MEG)
    assert "1.1a" in json.dumps(dm["blocks"])
    assert "Nudges" not in lscb(linked, MEG, "away until 2026-12-10")
    run_digests(linked, client, now=MONDAY_10AM + timedelta(days=7))
    assert len(posts_to(fake_slack, MEG)) == 1
    lscb(linked, MEG, "nudges on")
    run_digests(linked, client, now=MONDAY_10AM + timedelta(days=14))
    assert len(posts_to(fake_slack, MEG)) == 2
    assert lscb(linked, MEG, "quiet").startswith("Nudges are off")


def test_schedule_is_per_board_and_admin_only(linked: Engine) -> None:
    assert "admins can change" in lscb(linked, MEG, "digest friday 16:30")
    assert "Friday at 16:30" in lscb(linked, ADMIN_ID, "digest fri 16:30")
    assert lscb(linked, ADMIN_ID, "digest someday 25:00").startswith("Usage")
    with Session(linked) as s:
        b = s.exec(select(Board)).one()
    assert (b.digest_weekday, b.digest_time) == (4, "16:30")
    assert due_period(b, MONDAY_10AM) is None


@pytest.mark.parametrize("workers", [2])
def test_two_processes_at_once_post_each_channel_once(
    linked: Engine, fake_slack: FakeSlack, workers: int, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        {
            "DATABASE_URL": SUBPROCESS_URLS[linked],
            "SLACK_BOT_TOKEN": BOT_TOKEN,  # the one token `digest` needs, and all it is given
            "SLACK_API_URL": fake_slack.api_url,
        }
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "digest", "--as-of", "2026-11-23"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    for channel in ("C0MEG0001", "C0TRAIN01", "C0BOARD01", MEG):
        assert len(posts_to(fake_slack, channel)) == 1, channel
    assert sum(int(out.split()[1].rstrip(",")) for out, _ in outputs) == 4


def test_dry_run_previews_without_posting(linked: Engine, fake_slack: FakeSlack) -> None:
    report = run_digests(linked, None, now=MONDAY_10AM, dry_run=True)
    labels = [label for label, _ in report.previews]
    assert "subgroup:MEG:C0MEG0001" in labels and "board:Testshire SCB:C0BOARD01" in labels
    assert digests.runs(linked) == [] and fake_slack.calls_to("chat.postMessage") == []


# -- exactly once when workers die, calls hang and Slack is away --------------------------------

CHANNELS = ("C0MEG0001", "C0TRAIN01", "C0BOARD01")
SHORT = {"lease": timedelta(seconds=10), "timeout": 1}


def test_each_post_names_its_board_target_and_period(linked: Engine, fake_slack: FakeSlack) -> None:
    run_digests(linked, client_for(fake_slack), now=MONDAY_10AM)
    [post] = posts_to(fake_slack, "C0MEG0001")
    assert post["metadata"] == {
        "event_type": "lscb_digest",
        "event_payload": {
            "board": "TSCB",
            "kind": "subgroup",
            "target": "C0MEG0001",
            "period": "2026-11-23",
        },
    }
    [nudge] = posts_to(fake_slack, MEG)
    assert nudge["metadata"]["event_payload"]["kind"] == "nudge"


def test_a_hung_call_fails_that_target_only_and_is_not_posted_twice(
    linked: Engine, fake_slack: FakeSlack
) -> None:
    fake_slack.delays["chat.postMessage:C0TRAIN01"] = 3.0  # Slack posts, then never answers
    client = client_for(fake_slack)
    first = run_digests(linked, client, now=MONDAY_10AM, **SHORT)
    assert first.failed == [("subgroup:Training Sub-Committee:C0TRAIN01", "timeout")]
    assert {"subgroup:MEG:C0MEG0001", "board:Testshire SCB:C0BOARD01"} <= set(first.posted)
    del fake_slack.delays["chat.postMessage:C0TRAIN01"]
    again = run_digests(linked, client, now=MONDAY_10AM + timedelta(minutes=5), **SHORT)
    assert again.recovered == ["subgroup:Training Sub-Committee:C0TRAIN01"] and not again.posted
    assert [len(fake_slack.messages[c]) for c in CHANNELS] == [1, 1, 1]
    assert {r.status for r in digests.runs(linked)} == {"posted"}


def test_a_dead_workers_claim_is_taken_over_once_its_lease_ends(
    linked: Engine, fake_slack: FakeSlack
) -> None:
    client = client_for(fake_slack)
    with Session(linked) as s:
        board_id = s.exec(select(Board)).one().id
    period = date(2026, 11, 23)
    for channel in ("C0MEG0001", "C0TRAIN01"):  # claimed by a worker killed mid-run ...
        digests.claim(
            linked,
            board_id=board_id,
            kind="subgroup",
            target=channel,
            period=period,
            worker="dead:1",
            now=MONDAY_10AM,
        )
    dead = client_for(fake_slack)  # ... which had posted to MEG just before it died
    dead.chat_postMessage(
        channel="C0MEG0001",
        text="MEG: weekly digest",
        metadata={
            "event_type": "lscb_digest",
            "event_payload": {
                "board": "TSCB",
                "kind": "subgroup",
                "target": "C0MEG0001",
                "period": "2026-11-23",
            },
        },
    )
    early = run_digests(linked, client, now=MONDAY_10AM + timedelta(minutes=1))
    assert "subgroup:MEG:C0MEG0001" in early.skipped and not fake_slack.messages.get("C0TRAIN01")
    late = run_digests(linked, client, now=MONDAY_10AM + timedelta(minutes=3))
    assert late.recovered == ["subgroup:MEG:C0MEG0001"]
    assert "subgroup:Training Sub-Committee:C0TRAIN01" in late.posted
    assert [len(fake_slack.messages[c]) for c in CHANNELS] == [1, 1, 1]


def test_slack_unreachable_releases_claims_at_once(linked: Engine, fake_slack: FakeSlack) -> None:
    nowhere = FakeSlack()
    nowhere.close()  # a port where nothing listens
    down = run_digests(linked, client_for(nowhere), now=MONDAY_10AM, **SHORT)
    assert down.stopped == "slack_unreachable" and not down.posted
    assert {error for _, error in down.failed} == {"slack_unreachable"}
    assert all(r.status == "failed" for r in digests.runs(linked))  # no claim left held
    back = run_digests(linked, client_for(fake_slack), now=MONDAY_10AM + timedelta(seconds=30))
    assert len(back.posted) == 4
    assert [len(fake_slack.messages[c]) for c in CHANNELS] == [1, 1, 1]


def test_a_lease_shorter_than_the_slowest_post_is_refused() -> None:
    from bot.settings import ConfigError, Settings

    with pytest.raises(ConfigError, match="DIGEST_LEASE_SECONDS"):
        Settings.from_env({"DIGEST_LEASE_SECONDS": "30", "SLACK_TIMEOUT_SECONDS": "10"})
    assert Settings.from_env({}).digest_lease_seconds == 120


# -- what a nudge and a board digest say (issue 13) --------------------------------------------

MANAGER = "U0BM00001"


def test_a_business_managers_first_nudge_is_short_and_most_urgent_first(seeded: Engine) -> None:
    assert "is now" in lscb(
        seeded, ADMIN_ID, f"assign <@{MANAGER}> WDSCB Business Manager", None, "WDSCB"
    )
    now = datetime(2011, 12, 5, 9, 0, tzinfo=LONDON)
    today = now.date()
    with Session(seeded) as s:
        wdscb = s.exec(select(Board).where(Board.code == "WDSCB")).one()
        person = s.exec(select(Person).where(Person.slack_user_id == MANAGER)).one()
        reply = nudge(s, wdscb, person, now)
    assert reply is not None and len(reply.actions) > 20  # the plan gives them most of its work
    listed = [b for b in reply.blocks_json() if b.get("accessory")]
    assert 5 <= len(listed) <= 10
    by_ref = {v.ref: v for v in reply.actions}
    shown = [by_ref[b["accessory"]["value"].split("|")[1]] for b in listed]
    overdue = [v for v in reply.actions if v.is_overdue(today)]
    assert overdue and all(v.is_overdue(today) for v in shown[: len(overdue)])
    late = [v.due for v in shown if v.is_overdue(today)]
    assert late == sorted(late)  # the longest overdue first
    text = json.dumps(reply.blocks_json(), ensure_ascii=False)
    rest = len(reply.actions) - len(shown)
    assert f"…and {rest} more" in text and "what are my actions" in text
    assert f"{len(overdue)} overdue" in reply.text  # the notification says how many are late
    assert "Morning" not in text  # a Friday 16:30 board's nudge is not a morning one


def as_admin(engine: Engine, text: str) -> None:
    respond(engine, user_id=ADMIN_ID, text=text, board_name="TSCB", admin_ids=frozenset({ADMIN_ID}))


def test_the_board_digest_counts_every_status_in_words(linked: Engine) -> None:
    as_admin(linked, "/progress 1.1a green on track")
    as_admin(linked, "/progress 1.1b done delivered")
    with Session(linked) as s:
        b = s.exec(select(Board)).one()
        reply = board_digest(s, b, MONDAY_10AM - timedelta(days=7), MONDAY_10AM)
    text = json.dumps(reply.blocks_json(), ensure_ascii=False)
    assert "*1. Keeping every child safe*\\n2 actions: 1 green, 1 complete" in text
    assert "square" not in text  # no emoji bar for a screen reader to read square by square
    assert reply.text.endswith(": 1 green, 1 complete, 1 no update; 1 overdue")
