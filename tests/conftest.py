"""Shared fixtures: databases (SQLite and PostgreSQL), a running pipeline, members to talk as."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.memory.client import MemoryClient
from bot import migrate
from bot.app import build_runtime
from bot.config import Settings
from domain.directory.importer import import_org
from domain.shared.clock import SystemClock
from tests.support import (
    ORG_YAML,
    Chat,
    create_pg_database,
    drop_pg_database,
    pg_admin_url,
    pg_available,
)

IN_CI = os.environ.get("CI", "").lower() == "true"
_PG_STATE: dict[str, bool] = {}


def _pg_up() -> bool:
    if "up" not in _PG_STATE:
        _PG_STATE["up"] = asyncio.run(pg_available())
    return _PG_STATE["up"]


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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database: SQLite in a temp dir, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/bizbot.db"
        await migrate.upgrade(url)
        yield url
        return
    url = await create_pg_database()
    try:
        await migrate.upgrade(url)
        yield url
    finally:
        await drop_pg_database(url)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings on a migrated SQLite database only, for tests about input or the browser."""
    url = f"sqlite:///{tmp_path}/bizbot.db"
    asyncio.run(migrate.upgrade(url))
    return Settings(database_url=url, demo=False, poll_interval=0.05)  # type: ignore[arg-type]


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
