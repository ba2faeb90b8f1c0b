"""Alembic environment: runs on a connection from ``bot.migrate``, or on BIZBOT_DATABASE_URL."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from bot.config import Settings
from bot.models import metadata
from domain.shared.db import UTCDateTime, normalise_url
from domain.shared.money import Money
from domain.shared.quantity import Quantity

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy types, so revisions never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, Money | Quantity):
        return "sa.BigInteger()"
    return False


def run_on(connection: Connection) -> None:
    """Apply migrations on an open connection."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    """Open the database named in the settings and migrate it."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(normalise_url(url).set(drivername=_async_driver(url)))
    async with engine.connect() as connection:
        await connection.run_sync(run_on)
        await connection.commit()
    await engine.dispose()


def _async_driver(url: str) -> str:
    backend = normalise_url(url).get_backend_name()
    return "postgresql+asyncpg" if backend == "postgresql" else "sqlite+aiosqlite"


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `bizbot db upgrade`")
elif (handed := config.attributes.get("connection")) is not None:
    run_on(handed)
else:
    asyncio.run(run_from_url(Settings().database_url.get_secret_value()))
