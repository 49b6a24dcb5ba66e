"""The weekly schedule over whole years: one run per week, on a working day, at the board's
local time, whatever the bank holidays and clock changes; and what a late start does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import LONDON
from bot.digest import LATE_START, due_period, run_digests, scheduled_run
from bot.scheduler import DigestScheduler
from store.models import Board
from tests.bot.test_digest import MEG, board, client_for, linked, posts_to  # noqa: F401
from tests.fake_slack import FakeSlack

# England and Wales bank holidays as gov.uk lists them (substitute days included), written
# out by hand so the schedule is checked against the calendar, not against itself.
BANK_HOLIDAYS = {
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25),
    date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
    date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3), date(2027, 5, 31),
    date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28),
    date(2028, 1, 3), date(2028, 4, 14), date(2028, 4, 17), date(2028, 5, 1), date(2028, 5, 29),
    date(2028, 8, 28), date(2028, 12, 25), date(2028, 12, 26),
}  # fmt: skip
FIRST_MONDAY = date(2025, 12, 29)  # the week holding 1 Jan 2026
LAST_MONDAY = date(2028, 12, 25)


def mondays() -> list[date]:
    weeks = (LAST_MONDAY - FIRST_MONDAY).days // 7 + 1
    return [FIRST_MONDAY + timedelta(weeks=i) for i in range(weeks)]


@pytest.mark.parametrize("weekday", range(7))
def test_every_week_of_2026_to_2028_has_one_run_on_a_working_day(weekday: int) -> None:
    b = board(digest_weekday=weekday, digest_time="09:00")
    for monday in mondays():
        run = scheduled_run(b, monday)
        day = run.date()
        assert monday <= day <= monday + timedelta(days=6), (weekday, monday, day)
        assert day.weekday() < 5 and day not in BANK_HOLIDAYS, (weekday, day)
        assert (run.astimezone(LONDON).hour, run.astimezone(LONDON).minute) == (9, 0)
        planned = monday + timedelta(days=weekday)
        if planned.weekday() < 5 and planned not in BANK_HOLIDAYS:
            assert day == planned  # an ordinary week runs on the day the board chose


@pytest.mark.parametrize("weekday", range(5))
def test_the_scheduler_sees_each_week_exactly_once_across_holidays_and_bst(weekday: int) -> None:
    """Asked every hour for three years (clock changes included), the schedule names one period
    per week, never skips one and never brings one back."""
    b = board(digest_weekday=weekday, digest_time="09:00")
    start = datetime.combine(FIRST_MONDAY, datetime.min.time(), tzinfo=LONDON).astimezone(UTC)
    end = start + timedelta(weeks=len(mondays()))
    seen: list[date] = []
    t = start
    while t < end:
        period = due_period(b, t, late_after=None)
        if period is not None and (not seen or seen[-1] != period):
            seen.append(period)
        t += timedelta(hours=1)
    weeks = [p - timedelta(days=p.weekday()) for p in seen]
    assert weeks == mondays()  # one period per week, in order, none missing or doubled


def test_good_friday_2027_moves_a_friday_digest_to_the_thursday_before() -> None:
    friday = board(digest_weekday=4, digest_time="16:30")
    assert scheduled_run(friday, date(2027, 3, 22)).date() == date(2027, 3, 25)
    assert scheduled_run(friday, date(2027, 3, 29)).date() == date(2027, 4, 2)
    tuesday_after = datetime(2027, 3, 30, 17, 0, tzinfo=LONDON)
    assert due_period(friday, tuesday_after, late_after=None) is None  # that week's is done
    thursday = datetime(2027, 3, 25, 16, 30, tzinfo=LONDON)
    assert due_period(friday, thursday) == date(2027, 3, 25)


def test_a_run_counts_as_due_only_within_late_start_of_its_time() -> None:
    monday = board()  # Monday 09:00
    run = scheduled_run(monday, date(2026, 11, 23))
    assert due_period(monday, run) == date(2026, 11, 23)
    assert due_period(monday, run + LATE_START) == date(2026, 11, 23)
    assert due_period(monday, run + LATE_START + timedelta(minutes=1)) is None
    assert due_period(monday, run + timedelta(days=3), late_after=None) == date(2026, 11, 23)


def test_a_worker_started_late_on_monday_waits_for_next_week(
    linked: Engine,  # noqa: F811
    fake_slack: FakeSlack,
) -> None:
    """Started at 14:00 (five hours after the 09:00 run) the worker posts nothing; a week later,
    at 09:00, it posts that week's digests and nudges once."""
    clock = [datetime(2026, 11, 23, 14, 0, tzinfo=LONDON)]
    scheduler = DigestScheduler(linked, client_for(fake_slack), frozenset(), clock=lambda: clock[0])
    scheduler.run_once()
    assert fake_slack.calls_to("chat.postMessage") == []
    clock[0] = datetime(2026, 11, 30, 9, 0, tzinfo=LONDON)
    scheduler.run_once()
    clock[0] += timedelta(minutes=5)
    scheduler.run_once()
    assert len(posts_to(fake_slack, "C0MEG0001")) == 1 and len(posts_to(fake_slack, MEG)) == 1
    [nudge] = posts_to(fake_slack, MEG)
    assert nudge["metadata"]["event_payload"]["period"] == "2026-11-30"


def test_a_worker_started_within_the_window_posts_at_once(
    linked: Engine,  # noqa: F811
    fake_slack: FakeSlack,
) -> None:
    clock = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON) + LATE_START - timedelta(minutes=5)
    DigestScheduler(linked, client_for(fake_slack), frozenset(), clock=lambda: clock).run_once()
    assert len(posts_to(fake_slack, "C0MEG0001")) == 1 and len(posts_to(fake_slack, MEG)) == 1


def test_digest_as_of_posts_that_weeks_run_late_on_purpose(
    linked: Engine,  # noqa: F811
    fake_slack: FakeSlack,
) -> None:
    with Session(linked) as s:
        b = s.exec(select(Board)).one()
    late = datetime(2026, 11, 23, 23, 59, tzinfo=LONDON)
    assert due_period(b, late) is None
    assert run_digests(linked, client_for(fake_slack), now=late).posted == []
    report = run_digests(linked, client_for(fake_slack), now=late, late_after=None)
    assert "subgroup:MEG:C0MEG0001" in report.posted
    assert len(posts_to(fake_slack, "C0MEG0001")) == 1
