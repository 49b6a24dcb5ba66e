"""Engine and session creation, and schema upgrades through Alembic."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


class _NoRows(logging.Filter):
    """Drop SQLAlchemy's DEBUG "Row (…)" lines: rows hold progress notes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


_NO_ROWS = _NoRows()


#: Statements that make a SQLite connection a writer (it keeps the lock until commit/rollback).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "SAVEPOINT", "CREATE", "DROP", "ALTER")
#: Longest wait for the write turn; then SQLite's own busy timeout takes over.
WRITE_TURN_TIMEOUT = 30.0


class _WriteTurn:
    """Writers to one SQLite file take turns: a thread lock, then an OS lock on a side file.

    SQLite's own busy handler sleeps 1, 2, 5 … 100 ms between tries, so under contention a
    writer can wait seconds for a lock that is free most of the time. Waiters here queue on
    a lock instead and go the moment it is released; readers (WAL) never wait.
    """

    def __init__(self, path: str) -> None:
        self._path = path + "-writers"
        self._thread_lock = threading.Lock()
        self._fd: tuple[int, int] | None = None  # (pid, fd): a forked child opens its own

    def acquire(self) -> bool:
        deadline = time.monotonic() + WRITE_TURN_TIMEOUT
        if not self._thread_lock.acquire(timeout=WRITE_TURN_TIMEOUT):
            return False
        try:
            if self._fd is None or self._fd[0] != os.getpid():
                self._fd = (os.getpid(), os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600))
            pause = 0.0002
            while True:
                try:
                    fcntl.flock(self._fd[1], fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(pause)  # only one thread per process waits here
                    pause = min(pause * 2, 0.002)
        except BaseException:
            self._thread_lock.release()
            raise
        self._thread_lock.release()
        return False

    def release(self) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd[1], fcntl.LOCK_UN)
        self._thread_lock.release()


def _turn_taking(turn: _WriteTurn) -> type[sqlite3.Connection]:
    """A sqlite3 connection class whose writers take `turn` until they commit or roll back."""

    class Cursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = ()) -> Any:
            conn = self.connection
            assert isinstance(conn, Connection)
            conn._before(sql)
            try:
                return super().execute(sql, parameters)
            finally:
                conn._after()

        def executemany(self, sql: str, seq_of_parameters: Any) -> Any:
            conn = self.connection
            assert isinstance(conn, Connection)
            conn._before(sql)
            try:
                return super().executemany(sql, seq_of_parameters)
            finally:
                conn._after()

    class Connection(sqlite3.Connection):
        _holding = False

        def _before(self, sql: str) -> None:
            if not self._holding and sql.lstrip()[:9].upper().startswith(_WRITES):
                self._holding = turn.acquire()

        def _after(self) -> None:
            if self._holding and not self.in_transaction:
                self._let_go()  # autocommitted (DDL outside a transaction, a failed BEGIN)

        def _let_go(self) -> None:
            if self._holding:
                self._holding = False
                turn.release()

        def cursor(self, factory: Any = None) -> Any:
            return super().cursor(factory or Cursor)

        def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
            return self.cursor().execute(sql, parameters)

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self._let_go()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self._let_go()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self._let_go()

    return Connection


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout.

    SQL parameters are never shown, in logs or in error messages: they hold progress notes.
    """
    kwargs.setdefault("hide_parameters", True)
    sql_logger = logging.getLogger("sqlalchemy.engine.Engine")
    if _NO_ROWS not in sql_logger.filters:
        sql_logger.addFilter(_NO_ROWS)
    if url.startswith("sqlite"):
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", 30)
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            kwargs.setdefault("poolclass", StaticPool)
        else:
            path = url.split("///", 1)[1].split("?", 1)[0]
            connect_args.setdefault("factory", _turn_taking(_WriteTurn(os.path.abspath(path))))
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "savepoint")
        def _begin_first(conn: Any, _name: Any) -> None:
            # pysqlite opens a transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT
            # that comes first opens one itself, and its RELEASE then commits everything: an
            # update would be kept even when its audit row fails after it. Begin first.
            driver = conn.connection.driver_connection
            if driver is not None and not driver.in_transaction:
                driver.execute("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to `engine`, with no ini file needed."""
    from alembic.config import Config  # Alembic loads only when a migration may run

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
