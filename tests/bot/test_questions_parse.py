"""Reading a question: intents, scope words and dates relative to the asker's today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.questions import Intent, parse, parse_date

TODAY = date(2018, 11, 14)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("help", Intent.HELP),
        ("what can you do?", Intent.HELP),
        ("overview", Intent.OVERVIEW),
        ("what are the priorities", Intent.PRIORITIES),
        ("list the strategic objectives", Intent.PRIORITIES),
        ("who leads the neglect strategy", Intent.WHO_LEADS),
        ("who is responsible for CSE?", Intent.WHO_LEADS),
        ("what changed this week", Intent.CHANGES),
        ("updates since 1 May 2018", Intent.CHANGES),
        ("status of neglect strategy", Intent.ACTIONS),
        ("what are my actions", Intent.ACTIONS),
    ],
)
def test_intents(text: str, intent: Intent) -> None:
    assert parse(text, TODAY).intent is intent


def test_my_overdue() -> None:
    q = parse("anything overdue for me?", TODAY)
    assert q.mine and q.due is not None and q.due.overdue_only and q.topic == ""


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("what's due this week", TODAY, date(2018, 11, 18)),
        ("due next week", date(2018, 11, 19), date(2018, 11, 25)),
        ("due this month", TODAY, date(2018, 11, 30)),
        ("due next month", date(2018, 12, 1), date(2018, 12, 31)),
        ("due in the next 10 days", TODAY, date(2018, 11, 24)),
        ("due in the next two weeks", TODAY, date(2018, 11, 28)),
        # "due before/by X" is what is coming up from today ("overdue" asks for what is late);
        # "by 31/12" includes the 31st, "before 1 March" and "before March" stop at 28 February.
        ("due before 1 March 2019", TODAY, date(2019, 2, 28)),
        ("due before March", TODAY, date(2019, 2, 28)),
        ("due by March 2019", TODAY, date(2019, 3, 31)),
        ("due by 31/12/2018", TODAY, date(2018, 12, 31)),
        ("anything due before the end of January?", TODAY, date(2019, 1, 31)),
        ("what's due by end of sept", TODAY, date(2019, 9, 30)),
        ("whats coming up in march", date(2019, 3, 1), date(2019, 3, 31)),
    ],
)
def test_due_windows(text: str, start: date | None, end: date) -> None:
    window = parse(text, TODAY).due
    assert window is not None
    assert (window.start, window.end) == (start, end)


def test_topic_keeps_the_subject_only() -> None:
    assert parse("what's the status of the neglect strategy?", TODAY).topic == "neglect strategy"
    assert parse("where are we with CSE", TODAY).topic == "cse"
    q = parse("what's overdue for the training sub-committee", TODAY)
    assert q.topic == "training" and q.subgroup_cue


def test_since_dates() -> None:
    assert parse("what changed since 1 October 2018", TODAY).since == date(2018, 10, 1)
    assert parse("what changed this week", TODAY).since == date(2018, 11, 12)
    assert parse("updates in the last 30 days", TODAY).since == date(2018, 10, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-03-31", date(2019, 3, 31)),
        ("31/3/19", date(2019, 3, 31)),
        ("30.3.12", date(2012, 3, 30)),
        ("1st March 2019", date(2019, 3, 1)),
        ("end of March 2019", date(2019, 3, 31)),
        ("31 February 2019", None),
        ("someday", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY, end_of_month=True) == expected
