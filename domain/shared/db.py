"""Database plumbing: declarative base, column types and the transaction runners."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy import JSON, DateTime, Dialect, Insert, MetaData, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_PRAGMAS = ("journal_mode=WAL", "busy_timeout=15000", "foreign_keys=ON", "synchronous=NORMAL")
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


class Base(DeclarativeBase):
    """Declarative base for every table Bizbot owns."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps them naive on disk)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@cache
def insert_or_skip(dialect: str, table: Table) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``table`` for the dialect (PostgreSQL, else
    SQLite), built once: execute it with the row's values as parameters."""
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert_(table).on_conflict_do_nothing()


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class Database(Protocol):
    """Runs a unit of work: one function on one session inside one transaction."""

    dialect: str

    async def run(self, work: Callable[[Session], T], *, urgent: bool = False) -> T:
        """Run ``work`` in a fresh transaction; commit when it returns, roll back when it raises.

        ``urgent`` work (storing events a platform waits to have acknowledged) goes ahead of
        queued work where transactions are serialised (SQLite's one writer).
        """
        ...

    async def dispose(self) -> None:
        """Close every connection."""
        ...


def normalise_url(raw: str) -> URL:
    """Pick the driver Bizbot uses for a database URL (asyncpg for PostgreSQL)."""
    url = make_url(raw)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "asyncpg":
        url = url.set(drivername="postgresql+asyncpg")
    return url


def _install_sqlite_hooks(engine: Engine) -> None:
    """Apply the pragmas and make every transaction ``BEGIN IMMEDIATE`` (no lost updates)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _plain_savepoints(engine: Engine) -> None:
    """Send SAVEPOINT, RELEASE and ROLLBACK TO as the same SQL text, without compiling a clause.

    SQLAlchemy's savepoint clauses cannot be cached, so every savepoint was compiled afresh
    (a third of an event's cost while the dispatcher opened one per event). The names are
    still SQLAlchemy's own (``sa_savepoint_N``), so the SQL is unchanged.
    """

    def savepoint(connection: Connection, name: str) -> None:
        connection.exec_driver_sql(f"SAVEPOINT {name}")

    def release(connection: Connection, name: str) -> None:
        connection.exec_driver_sql(f"RELEASE SAVEPOINT {name}")

    def rollback_to(connection: Connection, name: str) -> None:
        connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {name}")

    vars(engine.dialect).update(
        do_savepoint=savepoint, do_release_savepoint=release, do_rollback_to_savepoint=rollback_to
    )


CHANGES = "bizbot.rows_changed"
READ_ONLY_TEXT = ("SELECT", "SAVEPOINT", "RELEASE", "BEGIN", "PRAGMA", "SHOW", "SET ")


def _count_changes(engine: Engine) -> None:
    """Count, per connection, the statements that may have changed rows (see ``rows_changed``).

    Compiled INSERT/UPDATE/DELETE count when they report a rowcount other than 0 (-1, unknown,
    counts); textual SQL counts unless it is plainly a read or transaction control.
    """

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, _p: Any, context: Any, _many: bool) -> None:
        if context is None or context.is_text:
            changed = not statement.lstrip()[:9].upper().startswith(READ_ONLY_TEXT)
        elif context.isinsert or context.isupdate or context.isdelete:
            changed = cursor.rowcount != 0
        else:
            changed = False
        if changed:
            conn.info[CHANGES] = conn.info.get(CHANGES, 0) + 1


def rows_changed(session: Session) -> int:
    """How many statements on the session's connection may have changed rows, ever.

    Compare two readings to learn whether work in between wrote anything; pending ORM
    changes (``session.new``/``dirty``/``deleted``) are not included until flushed.
    """
    return int(session.connection().info.get(CHANGES, 0))


class ThreadedSQLiteDatabase:
    """SQLite through stdlib sqlite3, every transaction run in one dedicated writer thread.

    research/performance.md measured this at about twice the throughput of aiosqlite,
    because a whole transaction costs one thread hop instead of one per statement.
    """

    dialect = "sqlite"

    def __init__(self, url: URL) -> None:
        self.engine = create_engine(
            url.set(drivername="sqlite"),
            connect_args={"check_same_thread": False, "timeout": 15},
            pool_size=1,
            max_overflow=0,
        )
        _install_sqlite_hooks(self.engine)
        _plain_savepoints(self.engine)
        _count_changes(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = PriorityWriter("sqlite-writer")

    async def run(self, work: Callable[[Session], T], *, urgent: bool = False) -> T:
        """Run ``work`` in the writer thread inside ``BEGIN IMMEDIATE``; urgent work goes first."""
        return await self._writer.submit(lambda: self._run_in_thread(work), urgent=urgent)

    def _run_in_thread(self, work: Callable[[Session], T]) -> T:
        with self._sessions.begin() as session:
            return work(session)

    async def dispose(self) -> None:
        """Stop the writer thread (after the work already queued) and close the connection."""
        await self._writer.submit(self.engine.dispose, urgent=False)
        await self._writer.close()


class PriorityWriter:
    """One thread that runs submitted functions one at a time, urgent ones before the rest.

    A platform's acknowledgement waits for its inbox commit; on SQLite that commit would
    otherwise queue behind whole worker batches.
    """

    def __init__(self, name: str) -> None:
        self._queue: queue.PriorityQueue[
            tuple[int, int, Callable[[], Any] | None, Future[Any] | None]
        ]
        self._queue = queue.PriorityQueue()
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    async def submit(self, fn: Callable[[], T], *, urgent: bool) -> T:
        """Run ``fn`` in the thread and wait for its result."""
        future: Future[T] = Future()
        self._queue.put((0 if urgent else 1, next(self._order), fn, future))
        return await asyncio.wrap_future(future)

    async def close(self) -> None:
        """Stop once everything queued has run."""
        self._queue.put((2, next(self._order), None, None))
        await asyncio.to_thread(self._thread.join)

    def _serve(self) -> None:
        while True:
            _priority, _order, fn, future = self._queue.get()
            if fn is None or future is None:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)


class AsyncDatabase:
    """PostgreSQL through asyncpg (or SQLite through aiosqlite), sync work run via ``run_sync``."""

    def __init__(self, url: URL, pool_size: int = 10) -> None:
        kwargs: dict[str, Any] = {}
        if url.get_backend_name() == "postgresql":
            kwargs = {"pool_size": pool_size, "max_overflow": pool_size, "pool_pre_ping": True}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self.dialect = url.get_backend_name()
        if self.dialect == "sqlite":
            _install_sqlite_hooks(self.engine.sync_engine)
        _plain_savepoints(self.engine.sync_engine)
        _count_changes(self.engine.sync_engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def run(self, work: Callable[[Session], T], *, urgent: bool = False) -> T:
        """Run ``work`` in one transaction, retrying serialization failures and deadlocks.

        (``urgent`` changes nothing here: the pool runs transactions side by side.)
        """
        for attempt in range(3):
            try:
                async with self._sessions.begin() as session:
                    return await session.run_sync(work)
            except DBAPIError as exc:
                if attempt == 2 or not retryable(exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def retryable(exc: BaseException) -> bool:
    """Whether an error is a deadlock or a serialization failure: nothing is wrong with the
    work, and running its whole transaction again may well succeed."""
    return isinstance(exc, DBAPIError) and _sqlstate(exc) in RETRYABLE_SQLSTATES


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def open_database(raw_url: str, *, pool_size: int = 10) -> ThreadedSQLiteDatabase | AsyncDatabase:
    """Build the runner that fits the URL: a writer thread for SQLite, asyncpg for PostgreSQL.

    ``sqlite+aiosqlite://`` asks for the per-statement aiosqlite path instead of the writer thread.
    """
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_dir(url)
        if url.get_driver_name() != "aiosqlite":
            return ThreadedSQLiteDatabase(url)
    return AsyncDatabase(url, pool_size=pool_size)


def ensure_sqlite_dir(url: URL) -> None:
    if url.database and url.database != ":memory:":
        with contextlib.suppress(OSError):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
