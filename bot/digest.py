"""Weekly digests for sub-group and board channels, and nudges for leads: compose and deliver.

Composition is pure (session in, Reply out). Delivery claims each (channel, period) in the
database before posting, so any number of workers, cron jobs and schedulers post once.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial
from http.client import HTTPException
from time import monotonic
from typing import Any
from urllib.error import URLError

import holidays
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.models.blocks import Block
from sqlalchemy import Engine, bindparam
from sqlmodel import Session, select

from bot.answers import urgency
from bot.clock import LONDON
from bot.identity import board_admin_ids
from bot.progress import Membership, describe_update, membership, memberships
from bot.render import (
    RETARGET_FLAG,
    BlockBuilder,
    Reply,
    action_section,
    clip,
    escape,
    fmt_date,
    join_counts,
    plural,
)
from store import digests
from store.models import Board, Person, Priority, Subgroup
from store.queries import (
    COMPLETE,
    NO_UPDATE,
    ActionView,
    UpdateView,
    action_views,
    board_priorities,
    board_subgroups,
    find_board,
    list_boards,
    updates_since,
)

logger = logging.getLogger(__name__)

STALE_DAYS = 28
DUE_SOON_DAYS = 14
NUDGE_DUE_DAYS = 7
CHANNEL_PROBLEMS = {"channel_not_found", "not_in_channel", "is_archived"}
NOT_LINKED = "(no channel linked)"

QUIET = "A quiet week for *{name}*: nothing overdue, nothing due in the next 14 days, no updates."
ADMIN_ALERT = (
    "I couldn't post the weekly digest for *{name}* to <#{channel}>: `{error}`. Invite me to "
    "the channel or link another with `/lscb channel {name}`; I'll try again on the next run."
)


# -- schedule ----------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays in `year`."""
    return frozenset(holidays.UK(subdiv="ENG", years=year))


def scheduled_run(board: Board, week_monday: date) -> datetime:
    """When the board's digest runs in the week starting `week_monday` (Europe/London).

    A run that falls on a weekend or a bank holiday moves to the next working day of the same
    week, or, when none is left (Good Friday, Christmas Day on a Friday), to the working day
    before it. It never leaves its week, so every week has exactly one run.
    """
    planned = week_monday + timedelta(days=board.digest_weekday)
    week = [week_monday + timedelta(days=i) for i in range(7)]
    working = [d for d in week if d.weekday() < 5 and d not in bank_holidays(d.year)]
    later = [d for d in working if d >= planned]
    earlier = [d for d in working if d < planned]
    day = later[0] if later else earlier[-1] if earlier else planned
    hour, minute = (int(x) for x in board.digest_time.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


#: A run not made within this long of its time (the worker was down, or started late) waits
#: for next week rather than posting "this week's" digest and nudges hours or days late.
LATE_START = timedelta(hours=3)


def due_period(
    board: Board, now: datetime, late_after: timedelta | None = LATE_START
) -> date | None:
    """This week's digest period (the run's date) once its time has come and, unless
    `late_after` is None, for no longer than `late_after` after it; else None."""
    local = now.astimezone(LONDON)
    monday = local.date() - timedelta(days=local.weekday())
    run = scheduled_run(board, monday)
    if local < run or (late_after is not None and local - run > late_after):
        return None
    return run.date()


# -- composition -------------------------------------------------------------------------------


@dataclass
class Sections:
    overdue: list[ActionView]
    due_soon: list[ActionView]
    updates: list[UpdateView]
    stale: list[ActionView]


def _sections(
    views: list[ActionView], updates: list[UpdateView], today: date, now: datetime
) -> Sections:
    live = [v for v in views if v.status != COMPLETE]
    stale_before = now - timedelta(days=STALE_DAYS)
    return Sections(
        overdue=sorted((v for v in live if v.is_overdue(today)), key=lambda v: v.due or today),
        due_soon=sorted(
            (v for v in live if v.due and 0 <= (v.due - today).days <= DUE_SOON_DAYS),
            key=lambda v: v.due or today,
        ),
        updates=updates,
        stale=[v for v in live if v.last_update is None or v.last_update < stale_before],
    )


@dataclass
class Snapshot:
    """What one board's digests and nudges are made of, read once per digest run and shared
    by every target: the actions, the recent updates, the sub-groups and priorities, the
    people and (read when the first nudge needs them) their roles and sub-groups."""

    views: list[ActionView]
    updates: list[UpdateView]
    subgroups: list[Subgroup] = field(default_factory=list)
    priorities: list[Priority] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    _members: dict[int, Membership] | None = field(default=None, repr=False)
    # An action looks the same in its sub-group's digest and in its lead's nudge: one block.
    _blocks: dict[tuple[int, date, datetime], Block] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, session: Session, board: Board, now: datetime) -> Snapshot:
        assert board.id is not None
        return cls(
            action_views(session, board),
            updates_since(session, board.id, now - MAX_LOOKBACK),
            board_subgroups(session, board.id),
            board_priorities(session, board.id),
            list(session.exec(_PEOPLE, params={"board": board.id})),
        )

    def membership(self, session: Session, board: Board, person: Person) -> Membership:
        """The person's `membership` of the board, from one read of all its people's."""
        if self._members is None:
            self._members = memberships(session, board, self.people)
        found = self._members.get(person.id) if person.id is not None else None
        return found if found is not None else membership(session, person, board)

    def section(self, view: ActionView, today: date, now: datetime) -> Block:
        """The action's section (text and Update button), built once per run."""
        key = (id(view), today, now)
        block = self._blocks.get(key)
        if block is None:
            block = self._blocks[key] = action_section(view, today, now)
        return block


MAX_LOOKBACK = timedelta(days=35)  # a digest reports at most the last five weeks
_PEOPLE = select(Person).where(Person.board_id == bindparam("board"))  # built once


def subgroup_digest(
    session: Session,
    board: Board,
    group: Subgroup,
    since: datetime,
    now: datetime,
    snapshot: Snapshot | None = None,
) -> Reply:
    """A sub-group's weekly briefing, most urgent first, inside Slack's limits."""
    snap = snapshot or Snapshot.read(session, board, now)
    today = now.astimezone(LONDON).date()
    name = group.name  # read once: a mapped attribute costs more than the test
    views = [v for v in snap.views if name in v.subgroups]
    refs = {v.ref for v in views}
    updates = [u for u in snap.updates if u.ref in refs and u.created_at >= since]
    s = _sections(views, updates, today, now)
    title = f"{group.name}: weekly digest, {fmt_date(today)}"
    b = BlockBuilder()
    b.header(title)
    b.context(
        f"{escape(board.short_name)} · {plural(len(views), 'action')} · {_rag_counts(views)} · "
        f"since {fmt_date(since.astimezone(LONDON).date())}"
    )
    if not (s.overdue or s.due_soon or s.updates or s.stale):
        b.section(QUIET.format(name=escape(group.name)))
        return Reply(text=f"{title}: a quiet week", blocks=b.blocks, actions=views)
    _compose(b, s, today, now, snap)
    counts = (
        ("overdue", len(s.overdue)),
        (f"due within {DUE_SOON_DAYS} days", len(s.due_soon)),
        ("updates" if len(s.updates) != 1 else "update", len(s.updates)),
        (f"quiet for {STALE_DAYS} days", len(s.stale)),
    )
    return Reply(text=f"{title}: {join_counts(counts)}", blocks=b.blocks, actions=views)


def _compose(b: BlockBuilder, s: Sections, today: date, now: datetime, snap: Snapshot) -> None:
    """Overdue, due soon, updates, stale: one section each action while room lasts."""
    reserve = 4  # the headings and summaries still to come
    shown: set[str] = set()
    for title, items in (
        ("Overdue", s.overdue),
        (f"Due in the next {DUE_SOON_DAYS} days", s.due_soon),
    ):
        if not items or b.room <= reserve:
            continue
        b.section(f"*{title}* ({len(items)})")
        count = 0
        for view in items:
            if b.room <= reserve:
                break
            b.blocks.append(snap.section(view, today, now))
            shown.add(view.ref)
            count += 1
        if count < len(items):
            b.context(
                f"…and {len(items) - count} more: see App Home or ask me “what's "
                f"{'overdue' if title == 'Overdue' else 'due soon'}”."
            )
    if s.updates and b.room > 2:
        lines = [f"*Updates received* ({len(s.updates)})"]
        for u in s.updates:
            change = describe_update(u)
            first = (u.note or "").strip().splitlines()[0] if u.note else ""
            lines.append(
                f"• *{escape(u.ref)}* <@{u.author}> "
                f"{u.created_at.astimezone(LONDON):%-d %b} · {change}"
                + (f" · {escape(clip(first, 120))}" if first else "")
            )
        b.section(clip("\n".join(lines), 2990))
    if s.stale and b.room > 1:
        refs = ", ".join(escape(v.ref) for v in s.stale)
        b.section(clip(f"*No update for {STALE_DAYS} days or more* ({len(s.stale)}): {refs}", 2990))


def board_digest(
    session: Session,
    board: Board,
    since: datetime,
    now: datetime,
    snapshot: Snapshot | None = None,
) -> Reply:
    """The executive view: RAG counts per priority, exceptions, each sub-group's update rate."""
    assert board.id is not None
    today = now.astimezone(LONDON).date()
    snap = snapshot or Snapshot.read(session, board, now)
    views = snap.views
    title = f"{board.short_name}: weekly board digest, {fmt_date(today)}"
    b = BlockBuilder()
    b.header(title)
    b.context(f"{plural(len(views), 'action')} · {_rag_counts(views)}")
    lines = []
    for priority in snap.priorities:
        ref = priority.ref
        items = [v for v in views if v.priority_ref == ref]
        lines.append(
            f"*{escape(priority.ref)}. {escape(priority.title)}*\n"
            f"{plural(len(items), 'action')}: {_rag_counts(items)}"
        )
    if lines:
        b.section(clip("\n".join(lines), 2990))
    red = [v for v in views if v.status == "red"]
    overdue = [v for v in views if v.is_overdue(today)]
    moved = [v for v in views if v.retargets > RETARGET_FLAG]
    exceptions = []
    for label, items in (
        ("Red", red),
        ("Overdue", overdue),
        (f"Re-targeted more than {RETARGET_FLAG} times", moved),
    ):
        if items:
            refs = ", ".join(escape(v.ref) for v in items)
            exceptions.append(f"*{label}* ({len(items)}): {refs}")
    if exceptions:
        b.section(clip("*Exceptions*\n" + "\n".join(exceptions), 2990))
    recent = now - timedelta(days=STALE_DAYS)
    rates = []
    for group in snap.subgroups:
        name = group.name
        owned = [v for v in views if name in v.subgroups and v.status != COMPLETE]
        if owned:
            fresh = sum(1 for v in owned if v.last_update and v.last_update >= recent)
            rates.append(
                f"• {escape(group.name)}: {fresh} of {len(owned)} actions updated in "
                f"the last 4 weeks"
            )
    if rates:
        b.section(clip("*Update rate by sub-group*\n" + "\n".join(rates), 2990))
    # The notification (and a screen reader's first line) carries the numbers, not just a title.
    summary = f"{title}: {_rag_counts(views)}" + (f"; {len(overdue)} overdue" if overdue else "")
    return Reply(text=summary, blocks=b.blocks, actions=views)


def nudge(
    session: Session,
    board: Board,
    person: Person,
    now: datetime,
    snapshot: Snapshot | None = None,
) -> Reply | None:
    """A lead's weekly nudge: their stale or imminent actions, or None when there are none."""
    today = now.astimezone(LONDON).date()
    if person.nudges_off or (person.away_until and person.away_until >= today):
        return None
    stale_before = now - timedelta(days=STALE_DAYS)
    snap = snapshot or Snapshot.read(session, board, now)
    views = snap.views
    member = snap.membership(session, board, person)
    mine = [
        v
        for v in views
        if v.status != COMPLETE
        and member.leads(v)  # a role still awaiting confirmation is not nudged
        and (
            (v.due and (v.due - today).days <= NUDGE_DUE_DAYS)
            or v.last_update is None
            or v.last_update < stale_before
        )
    ]
    if not mine:
        return None
    mine.sort(key=lambda v: urgency(v, today))  # overdue (oldest first), then due soonest
    reasons = Counter(_nudge_reason(v, today) for v in mine)
    why = join_counts((label, reasons[label]) for label in _NUDGE_REASONS)
    b = BlockBuilder()
    b.section(
        NUDGE_INTRO.format(n=len(mine), board=escape(board.short_name), why=why)
        + (NUDGE_FIRST.format(n=NUDGE_SHOWN) if len(mine) > NUDGE_SHOWN else "")
    )
    section = partial(snap.section, today=today, now=now)
    shown = b.actions_list(mine[:NUDGE_SHOWN], today, now, reserve=2, section=section)
    rest = mine[shown:]
    if rest:
        left = Counter(_nudge_reason(v, today) for v in rest)
        b.context(
            NUDGE_MORE.format(
                n=len(rest), why=join_counts((label, left[label]) for label in _NUDGE_REASONS)
            )
        )
    b.context(NUDGE_PAUSE)
    return Reply(text=NUDGE_TEXT.format(n=len(mine), why=why), blocks=b.blocks, actions=mine)


NUDGE_SHOWN = 8  # the most urgent; the rest are counted, and "my actions" lists them all
NUDGE_INTRO = "{n} of your actions on *{board}* could do with an update: {why}."
NUDGE_FIRST = " The {n} most urgent:"
NUDGE_MORE = "…and {n} more ({why}): ask me “what are my actions” to see them all."
NUDGE_PAUSE = "`/lscb away until <date>` pauses these; `/lscb quiet` turns them off."
NUDGE_TEXT = "{n} of your actions could do with an update: {why}"
_NUDGE_REASONS = ("overdue", f"due within {NUDGE_DUE_DAYS} days", f"quiet for {STALE_DAYS} days")


def _nudge_reason(view: ActionView, today: date) -> str:
    """Why an action is in a nudge, the most pressing reason only."""
    if view.is_overdue(today):
        return _NUDGE_REASONS[0]
    if view.due and (view.due - today).days <= NUDGE_DUE_DAYS:
        return _NUDGE_REASONS[1]
    return _NUDGE_REASONS[2]


RAG_ORDER = ("red", "amber", "green", COMPLETE, NO_UPDATE)


def _rag_counts(views: list[ActionView]) -> str:
    """'3 red, 1 amber, 12 green, 2 complete, 5 no update': words a screen reader reads once,
    and no status too small to show."""
    counts = Counter(v.status for v in views)
    return join_counts((s, counts[s]) for s in RAG_ORDER) if views else "no actions"


# -- delivery ----------------------------------------------------------------------------------


@dataclass
class RunReport:
    posted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already done (recovered ones included)
    failed: list[tuple[str, str]] = field(default_factory=list)
    previews: list[tuple[str, Reply]] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)  # found posted by a worker that died
    stopped: str | None = None  # why the run stopped early (Slack unreachable)


#: Each digest call to Slack gives up after this long; that target is retried next run.
SLACK_TIMEOUT_SECONDS = 10
METADATA_TYPE = "lscb_digest"
HISTORY_PAGES = 5
TIMED_OUT, CUT_OFF, UNREACHABLE = "timeout", "connection_lost", "slack_unreachable"
HISTORY_TOO_LONG = "history_too_long"


def lease_is_safe(lease: timedelta, timeout: float) -> bool:
    """A claim must outlast one target's slowest path: conversations.open, history, a post,
    one 429 wait of at most 2 × timeout and the post again; six timeouts in all."""
    return lease.total_seconds() > 6 * timeout


class _ShortRateLimitWait(RateLimitErrorRetryHandler):
    """Wait out one 429 if Slack asks for at most `max_wait` seconds; else fail the target."""

    def __init__(self, max_wait: float) -> None:
        super().__init__(max_retry_count=1)
        self.max_wait = max_wait

    def _can_retry(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        wait = (headers.get("retry-after") or ["1"])[0]
        return str(wait).isdigit() and int(wait) <= self.max_wait


def digest_client(client: WebClient, timeout: float) -> WebClient:
    """`client` made fit for a digest run: every call bounded, no blind retry of a post."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=max(1, int(timeout)),
        retry_handlers=[_ShortRateLimitWait(2 * timeout)],
    )


def worker_id() -> str:
    """Who claims a digest: host and process, so a crashed worker's claim can be told apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class _Target:
    kind: str  # "subgroup", "board" or "nudge"
    target: str  # channel id, or user id for nudges
    name: str
    subgroup: Subgroup | None = None
    person: Person | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}:{self.target}"


def run_digests(
    engine: Engine,
    client: WebClient | None,
    *,
    now: datetime,
    admin_ids: frozenset[str] = frozenset(),
    board_name: str | None = None,
    channel: str | None = None,
    dry_run: bool = False,
    force_period: date | None = None,
    worker: str | None = None,
    lease: timedelta = digests.LEASE,
    timeout: float = SLACK_TIMEOUT_SECONDS,
    claim_clock: Callable[[], datetime] | None = None,
    late_after: timedelta | None = LATE_START,
) -> RunReport:
    """Post every digest and nudge that is due and not yet posted; with dry_run, only compose.

    A week's run more than `late_after` past its time is left for next week (None: post it
    whenever in the week this is called, as `digest --as-of` does). Each Slack call takes at
    most `timeout` seconds; `lease` (how long a claim is honoured) must outlast the slowest a
    single target can take, so no two workers ever post it.
    """
    if not lease_is_safe(lease, timeout):
        raise ValueError(f"a {lease} lease is too short for {timeout} s Slack calls")
    worker = worker or worker_id()
    report = RunReport()
    # Claims are stamped with the time they are made, not the run's start: a long run's late
    # claims must not look expired to another worker. `claim_clock` is the wall clock when
    # `now` is a pretend date (`digest --as-of`): leases are about real time.
    started = monotonic()

    def clock() -> datetime:
        if claim_clock is not None:
            return claim_clock()
        return now + timedelta(seconds=monotonic() - started)

    slack = digest_client(client, timeout) if client is not None and not dry_run else None
    with Session(engine) as session:
        boards = [find_board(session, board_name)] if board_name else list_boards(session)
    for listed in boards:
        if listed.id is None:
            continue
        board_id = listed.id
        # Read everything the board's digests need once, then compose and post each target.
        with Session(engine, expire_on_commit=False) as session:
            board = session.merge(listed, load=False)  # the row just listed: no second read
            assert board.id is not None
            period = force_period or due_period(board, now, late_after)
            if period is None and dry_run:  # a preview need not wait for the run time
                local = now.astimezone(LONDON).date()
                period = scheduled_run(board, local - timedelta(days=local.weekday())).date()
            if period is None:
                continue
            snapshot = Snapshot.read(session, board, now)
            targets = _targets(board, snapshot, channel, preview=dry_run)
            previous = digests.last_posted_by_target(session, board_id=board_id, before=period)
            replies = []
            for t in targets:
                since = max(
                    previous.get((t.kind, t.target)) or now - timedelta(days=7), now - MAX_LOOKBACK
                )
                replies.append((t, _compose_for(session, board, t, since, now, snapshot)))
        for t, reply in replies:
            if dry_run:
                if reply is not None:
                    report.previews.append((t.label, reply))
                continue
            if report.stopped:  # Slack unreachable: claim nothing more, the next run retries
                report.failed.append((t.label, report.stopped))
                continue
            admins = partial(_admins, engine, admin_ids, board)  # read only to alert them
            _deliver(engine, slack, report, board, t, reply, period, clock, worker, admins, lease)
        if report.stopped:
            logger.error("digest run stopped: Slack unreachable; the next run retries")
            break
    return report


def _targets(
    board: Board, snapshot: Snapshot, channel: str | None, preview: bool = False
) -> list[_Target]:
    """Who gets what: linked channels (a preview shows unlinked sub-groups too) and nudges."""
    out = [
        _Target("subgroup", g.slack_channel_id or NOT_LINKED, g.name, subgroup=g)
        for g in snapshot.subgroups
        if g.slack_channel_id or (preview and channel is None)
    ]
    if board.slack_channel_id or (preview and channel is None):
        out.append(_Target("board", board.slack_channel_id or NOT_LINKED, board.short_name))
    if channel is None:
        out += [
            _Target("nudge", p.slack_user_id, p.slack_user_id, person=p) for p in snapshot.people
        ]
    return [t for t in out if channel is None or t.target == channel]


def _compose_for(
    session: Session,
    board: Board,
    t: _Target,
    since: datetime,
    now: datetime,
    snapshot: Snapshot,
) -> Reply | None:
    if t.kind == "board":
        return board_digest(session, board, since, now, snapshot)
    if t.person is not None:
        return nudge(session, board, t.person, now, snapshot)
    assert t.subgroup is not None
    return subgroup_digest(session, board, t.subgroup, since, now, snapshot)


def _deliver(
    engine: Engine,
    client: WebClient | None,
    report: RunReport,
    board: Board,
    t: _Target,
    reply: Reply | None,
    period: date,
    clock: Callable[[], datetime],
    worker: str,
    admins: Callable[[], list[str]],
    lease: timedelta,
) -> None:
    assert board.id is not None
    attempt = digests.claim(
        engine,
        board_id=board.id,
        kind=t.kind,
        target=t.target,
        period=period,
        worker=worker,
        now=clock(),
        lease=lease,
    )
    if not attempt:
        report.skipped.append(t.label)
        return
    done = partial(
        digests.finish, engine, kind=t.kind, target=t.target, period=period, worker=worker
    )
    if reply is None:  # a nudge with nothing to nudge about: done for this week
        done(now=clock())
        report.skipped.append(t.label)
        return
    assert client is not None
    metadata = {
        "event_type": METADATA_TYPE,
        "event_payload": _post_key(board, t, period),
    }
    try:
        # A claim taken over (its worker died, or its call failed or hung) may already have
        # been posted: Slack's history of the channel is the record of what was.
        if attempt > 1 and _already_posted(client, board, t, period):
            done(now=clock())
            report.skipped.append(t.label)
            report.recovered.append(t.label)
            logger.info("digest %s for board %s was already posted; marked", t.kind, board.id)
            return
        client.chat_postMessage(
            channel=t.target, text=reply.text, blocks=reply.blocks_json(), metadata=metadata
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        done(now=clock(), error=error)
        report.failed.append((t.label, error))
        logger.error("digest %s for board %s could not be posted: %s", t.kind, board.id, error)
        if error in CHANNEL_PROBLEMS and attempt == 1:
            _alert_admins(client, admins(), t.name, t.target, error)
        return
    except (OSError, HTTPException) as exc:  # the transport: hung, cut off, or no Slack at all
        error = _transport_error(exc)
        done(now=clock(), error=error)  # released at once: the next run takes it over
        report.failed.append((t.label, error))
        logger.error("digest %s for board %s: %s; retried next run", t.kind, board.id, error)
        if error == UNREACHABLE:
            report.stopped = UNREACHABLE
        return
    done(now=clock())
    report.posted.append(t.label)


def _admins(engine: Engine, admin_ids: frozenset[str], board: Board) -> list[str]:
    """Who hears of a channel the digest could not be posted to: every admin of the board."""
    with Session(engine) as session:
        return sorted(admin_ids | set(board_admin_ids(session, board)))


def _post_key(board: Board, t: _Target, period: date) -> dict[str, str]:
    """What a digest post's metadata says: which board, target and period it is for."""
    return {"board": board.code, "kind": t.kind, "target": t.target, "period": period.isoformat()}


def _already_posted(client: WebClient, board: Board, t: _Target, period: date) -> bool:
    """Whether the channel's history since the period began holds this target's post."""
    channel = t.target
    if t.kind == "nudge":  # a nudge lives in the DM; history wants its channel id
        channel = client.conversations_open(users=t.target)["channel"]["id"]
    oldest = datetime.combine(period, time(0), tzinfo=LONDON).timestamp()
    wanted = _post_key(board, t, period)
    cursor = None
    for _ in range(HISTORY_PAGES):
        page = client.conversations_history(
            channel=channel,
            oldest=f"{oldest:.6f}",
            limit=200,
            include_all_metadata=True,
            cursor=cursor,
        )
        for message in page.get("messages") or []:
            meta = message.get("metadata") or {}
            if meta.get("event_type") == METADATA_TYPE and meta.get("event_payload") == wanted:
                return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return False
    # A channel this busy since the run began is not searched further: better an error for an
    # admin to look at than a second post.
    raise SlackApiError(HISTORY_TOO_LONG, {"ok": False, "error": HISTORY_TOO_LONG})


def _transport_error(exc: BaseException) -> str:
    """Name a failure below the Web API: a call that hung, a cut connection, or no Slack."""
    if isinstance(exc, URLError):
        return TIMED_OUT if isinstance(exc.reason, TimeoutError) else UNREACHABLE
    if isinstance(exc, TimeoutError):
        return TIMED_OUT
    if isinstance(exc, (ConnectionRefusedError, socket.gaierror)):
        return UNREACHABLE
    return CUT_OFF


def _alert_admins(
    client: WebClient, admins: list[str], name: str, channel: str, error: str
) -> None:
    for admin in admins:
        try:
            client.chat_postMessage(
                channel=admin,
                text=ADMIN_ALERT.format(name=escape(name), channel=channel, error=error),
            )
        except SlackApiError as exc:
            logger.error("could not alert admin %s: %s", admin, exc.response.get("error"))
