"""Time as people see it: Europe/London dates, UTC instants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now_utc() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def today_london(now: datetime | None = None) -> date:
    """Today's date in England."""
    return (now or now_utc()).astimezone(LONDON).date()


def noon_london(day: date) -> datetime:
    """Midday in London on `day`, as an aware UTC instant (a stable 'now' for a given --today)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=LONDON).astimezone(UTC)
