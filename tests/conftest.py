"""Shared fixtures: databases (SQLite and PostgreSQL), a running pipeline, members to talk as."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
import structlog
from sqlalchemy.engine import make_url

from adapters.memory.client import MemoryClient
from bot.app import build_runtime
from bot.config import Settings
from bot.logging import console_renderer
from domain.directory.importer import import_org
from domain.shared.clock import SystemClock
from tests.support import (
    ORG_YAML,
    Chat,
    copy_sqlite_template,
    create_pg_database,
    create_pg_template,
    drop_pg_database,
    migrated_sqlite_template,
    pg_admin_url,
    pg_available,
)

T = TypeVar("T")
IN_CI = os.environ.get("CI", "").lower() == "true"
_PG_STATE: dict[str, bool] = {}


def _pg_up() -> bool:
    if "up" not in _PG_STATE:
        _PG_STATE["up"] = asyncio.run(pg_available())
    return _PG_STATE["up"]


def pytest_configure(config: pytest.Config) -> None:
    """Tests log through structlog's default chain, with the project's console renderer (plain
    tracebacks: the default renders every frame's locals, slowly)."""
    processors = structlog.get_config()["processors"]
    structlog.configure(processors=[*processors[:-1], console_renderer(colors=False)])


def pytest_report_header(config: pytest.Config) -> str:
    """Say loudly which databases the run covers."""
    if _pg_up():
        return f"PostgreSQL tests: ON ({pg_admin_url()})"
    return (
        f"!!! PostgreSQL tests: SKIPPED, no server at {pg_admin_url()} (set BIZBOT_TEST_PG_URL) !!!"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip PostgreSQL tests when no server answers, except under CI=true, where that fails."""
    if _pg_up():
        return
    if IN_CI:
        raise pytest.UsageError(f"CI=true but PostgreSQL is not reachable at {pg_admin_url()}")
    skip = pytest.mark.skip(reason=f"no PostgreSQL at {pg_admin_url()}")
    for item in items:
        if "pg" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Repeat the warning at the end, where it is seen."""
    if not _pg_up():
        terminalreporter.write_sep(
            "!", "PostgreSQL tests were SKIPPED: no server answered", red=True
        )


def in_own_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on a loop of its own (session fixtures are first asked for
    inside a test's running loop, where ``asyncio.run`` is refused)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, work).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once per test process; each test gets a copy."""
    return in_own_loop(migrated_sqlite_template(tmp_path_factory.mktemp("schema")))


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database, made once per test process; each test gets a copy."""
    name = in_own_loop(create_pg_template())
    yield name
    url = make_url(pg_admin_url()).set(database=name)
    in_own_loop(drop_pg_database(url.render_as_string(hide_password=False)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database: SQLite in a temp dir, or a fresh PostgreSQL database.

    Both are copies of a schema migrated once per test process (``test_migrations`` runs every
    revision from empty).
    """
    if request.param == "sqlite":
        yield copy_sqlite_template(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    url = await create_pg_database(template=request.getfixturevalue("pg_template"))
    try:
        yield url
    finally:
        await drop_pg_database(url)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database only, for tests where the database plays no part."""
    return copy_sqlite_template(sqlite_template, tmp_path)


@pytest.fixture
def sqlite_settings(sqlite_url: str) -> Settings:
    """Settings on a migrated SQLite database only, for tests about input or the browser."""
    return Settings(database_url=sqlite_url, demo=False, poll_interval=0.05)  # type: ignore[arg-type]


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings for a pipeline on the test database, tuned for quick tests."""
    return Settings(
        database_url=db_url,  # type: ignore[arg-type]
        demo=False,
        poll_interval=0.05,
        outbox_lease_seconds=5,
        outbox_max_attempts=3,
    )


@pytest.fixture
async def chat(settings: Settings) -> AsyncIterator[Chat]:
    """A running pipeline on the test org, with two memory channels to talk through."""
    memory, platform = MemoryClient("memory"), MemoryClient("chat")
    runtime = build_runtime(settings, [memory, platform])
    # the memory channel stands in for the web chat: members are reached there by handle
    runtime.dispatcher.policies = replace(runtime.dispatcher.policies, built_in_channel="memory")
    now = SystemClock().now()
    await runtime.db.run(lambda s: import_org(s, ORG_YAML, now))
    await runtime.start()
    try:
        yield Chat(runtime, memory, platform)
    finally:
        await runtime.stop()
        await runtime.db.dispose()
