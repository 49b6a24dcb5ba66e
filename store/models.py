"""SQLModel tables: the plan (board > priority > work stream > action), people, progress, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, TypeDecorator, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in and out, stored as UTC on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _optional_ts() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class ActionKind(StrEnum):
    ACTION = "action"
    ASSURANCE = "assurance"


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class Board(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=16)
    name: str
    short_name: str
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Groups of lead spellings the plan file declares one role (bot.roles reads them).
    role_aliases: list[list[str]] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default="[]"),
    )
    period: str
    period_start: date
    period_end: date
    source: str
    shape: str = Field(max_length=16)
    slack_channel_id: str | None = Field(default=None, max_length=32)  # the board-level channel
    digest_weekday: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # Monday
    digest_time: str = Field(
        default="09:00", max_length=5, sa_column_kwargs={"server_default": "09:00"}
    )  # Europe/London


class Priority(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("board_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    ref: str = Field(max_length=16)
    title: str
    description: str | None = None
    position: int = 0
    archived_at: datetime | None = _optional_ts()


class Subgroup(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("board_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    name: str
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str | None = None
    board_level: bool = False
    slack_channel_id: str | None = Field(default=None, max_length=32)
    post_updates: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    archived_at: datetime | None = _optional_ts()


class Workstream(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("board_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    priority_id: int | None = Field(default=None, foreign_key="priority.id", index=True)
    subgroup_id: int | None = Field(default=None, foreign_key="subgroup.id")
    ref: str = Field(max_length=16)
    title: str
    outcomes: str | None = None
    kpis: str | None = None
    position: int = 0
    archived_at: datetime | None = _optional_ts()


class Action(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("board_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    workstream_id: int = Field(foreign_key="workstream.id", index=True)
    ref: str = Field(max_length=16)
    text: str
    lead: str | None = None
    leads: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    due: date | None = None
    due_text: str | None = None
    completed: date | None = None
    completed_text: str | None = None
    outcomes: str | None = None
    kpis: str | None = None
    kind: str = Field(default=ActionKind.ACTION.value, max_length=16)
    note: str | None = None
    position: int = 0
    archived_at: datetime | None = _optional_ts()


class ActionSubgroup(SQLModel, table=True):
    """An action's owning or monitoring sub-groups (a joint lead such as IFPG/MEG has two)."""

    action_id: int = Field(foreign_key="action.id", primary_key=True)
    subgroup_id: int = Field(foreign_key="subgroup.id", primary_key=True, index=True)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slack_user_id: str = Field(unique=True, index=True, max_length=32)
    board_id: int | None = Field(default=None, foreign_key="board.id", index=True)
    display_name: str | None = None
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Before migration 0005 admin rights were this one global flag. It is no longer read or
    # written (rights are per board, in BoardAdmin; ADMIN_USER_IDS are never stored), and is
    # kept only so no recorded value is lost.
    is_admin: bool = False
    away_until: date | None = None  # no nudges until after this day
    nudges_off: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class PersonSubgroup(SQLModel, table=True):
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    subgroup_id: int = Field(foreign_key="subgroup.id", primary_key=True, index=True)
    is_chair: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class BoardAdmin(SQLModel, table=True):
    """Admin rights on one board, granted by another admin (ADMIN_USER_IDS are never stored)."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    board_id: int = Field(foreign_key="board.id", primary_key=True, index=True)
    granted_by: str = Field(max_length=32)
    granted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the person moved to another board before anyone decided


class RoleRequest(SQLModel, table=True):
    """`/lscb iam`: a role or sub-group a person asked for, until an admin or the chair decides."""

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str  # the role or sub-group's name, as the plan writes it
    subgroup_id: int | None = Field(default=None, foreign_key="subgroup.id")
    status: str = Field(default=RequestStatus.PENDING.value, max_length=16, index=True)
    requested_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = _optional_ts()


class ProgressUpdate(SQLModel, table=True):
    """Append-only: the newest row for an action is its current status."""

    # A window of a board's updates ("what changed", digests) is one range per action.
    __table_args__ = (
        Index("ix_progressupdate_action_id_created_at", "action_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    author_slack_user_id: str = Field(max_length=32)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    rag: str | None = Field(default=None, max_length=8)
    note: str | None = None
    percent: int | None = None
    completed_on: date | None = None
    new_due: date | None = None
    retarget_reason: str | None = None
    idempotency_key: str | None = Field(default=None, unique=True, max_length=128)


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    board_id: int | None = Field(default=None, foreign_key="board.id", index=True)
    actor: str = Field(max_length=64)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    event: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_ref: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class DigestRun(SQLModel, table=True):
    """One row per digest (or nudge) target and period: the claim that makes posting exactly once.

    status: "claimed" (a worker is posting it), "posted", or "failed" (retried next run).
    """

    __table_args__ = (UniqueConstraint("kind", "target", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    kind: str = Field(max_length=16)  # "subgroup", "board" or "nudge"
    target: str = Field(max_length=64)  # channel id, or the person's Slack user id for nudges
    period: date
    status: str = Field(max_length=16)
    claimed_by: str = Field(max_length=64)
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    posted_at: datetime | None = _optional_ts()
    attempts: int = 1
    error: str | None = Field(default=None, max_length=64)


class SlackDelivery(SQLModel, table=True):
    """A Slack delivery already handled (by event id): a re-delivery finds its key here."""

    key: str = Field(primary_key=True, max_length=160)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class LockedReport(SQLModel, table=True):
    """A progress report kept as a period's record: re-issued from `content`, never rebuilt."""

    __table_args__ = (UniqueConstraint("board_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    period: str = Field(max_length=32)  # "2018-10-01..2018-12-31"
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class ActionState(SQLModel, table=True):
    """An action's current progress: its updates folded, kept in step as each one is written.

    ProgressUpdate stays the append-only record; this row is what answers and digests read,
    so a question costs the same in a board's fifth year as in its first. store/state.py
    writes it in the same transaction as the update (see there for the rules of the fold).
    """

    action_id: int = Field(foreign_key="action.id", primary_key=True)
    rag: str | None = Field(default=None, max_length=8)  # the newest RAG given
    due: date | None = None  # the newest re-targeted date (the plan's date is Action.due)
    completed: date | None = None  # the newest completion date given in an update
    percent: int | None = None
    last_update: datetime | None = _optional_ts()
    last_note: str | None = None
    retargets: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_update_id: int | None = None  # the newest ProgressUpdate folded in


class BoardVersion(SQLModel, table=True):
    """A stamp that changes with every write to a board's plan or progress, in the same
    transaction: a process keeps the board's action views while the stamp it read them under
    is still the stamp (store/queries.action_views). Random, so a restore cannot bring back a
    stamp that meant other rows."""

    board_id: int = Field(foreign_key="board.id", primary_key=True)
    stamp: str = Field(max_length=32)


class ProgressWithdrawal(SQLModel, table=True):
    """An update taken back: undone by its author, or withdrawn by an admin's correction.

    The update itself stays (history is append-only); readers of progress skip it, and the
    action's state is folded again without it (store/withdrawals.py).
    """

    update_id: int = Field(foreign_key="progressupdate.id", primary_key=True)
    kind: str = Field(max_length=16)  # "undo" or "correction"
    withdrawn_by: str = Field(max_length=32)
    withdrawn_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    replaced_by_id: int | None = Field(default=None, foreign_key="progressupdate.id")
