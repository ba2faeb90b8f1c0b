"""Schema migrations, applied by ``bizbot db upgrade`` and at the start of ``bizbot serve``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session

import migrations
from domain.shared.db import ensure_sqlite_dir, normalise_url

SCRIPT_LOCATION = Path(migrations.__file__).parent
STARTUP_LOCK = 0x62697A62  # PostgreSQL advisory lock key ("bizb") for setting up a database


def hold_startup_lock(connection: Connection) -> None:
    """On PostgreSQL, wait until no other process is setting up this database; held to commit.

    Processes started together would otherwise all run the same migration or load the demo
    org at once, and all but one crash. (SQLite serves one process.)
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({STARTUP_LOCK})")


def alembic_config() -> Config:
    """An Alembic config pointing at the bundled migrations."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def head_revision() -> str | None:
    """The newest revision in the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade_on(connection: Connection) -> None:
    hold_startup_lock(connection)
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current_on(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def revision_of(session: Session) -> str | None:
    """The revision the database is at, read inside a unit of work."""
    return _current_on(session.connection())


def _async_url(raw_url: str) -> str:
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_dir(url)
        url = url.set(drivername="sqlite+aiosqlite")
    return url.render_as_string(hide_password=False)


async def upgrade(raw_url: str) -> None:
    """Bring the database schema to the newest revision."""
    engine = create_async_engine(_async_url(raw_url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_on)
    finally:
        await engine.dispose()


async def current_revision(raw_url: str) -> str | None:
    """The revision the database is at (None before the first upgrade)."""
    engine = create_async_engine(_async_url(raw_url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_on)
    finally:
        await engine.dispose()
