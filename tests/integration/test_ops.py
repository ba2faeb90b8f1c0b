"""What operators watch: health, readiness, metrics, structured logs, and secrets kept out."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from bot.app import build_runtime
from bot.config import Settings
from bot.logging import HeldLogs, configure_logging, get_logger
from domain.shared.db import normalise_url
from tests.support import create_pg_database, drop_pg_database
from tests.webchat import local_login, serving


async def test_health_readiness_and_metrics(settings: Settings) -> None:
    async with serving(local_login(settings)) as site:
        await site.login("alice")
        said = await site.client.post("/api/messages", json={"id": "ops-00001", "text": "/ping"})
        assert said.status == 200
        await site.runtime.settle()
        assert (await site.client.get("/healthz")).status == 200
        ready = await site.client.get("/readyz")
        assert (ready.status, await ready.json()) == (200, {"status": "ok"})
        page = await (await site.client.get("/metrics")).text()
    assert 'bizbot_events_total{channel="webchat",duplicate="false"} 1.0' in page
    assert 'bizbot_commands_total{command="ping",outcome="ok"} 1.0' in page
    assert 'bizbot_deliveries_total{channel="webchat",result="sent"} 1.0' in page
    assert "bizbot_outbox_pending 0.0" in page
    assert "bizbot_outbox_dead 0.0" in page
    assert "bizbot_command_latency_seconds_count 1.0" in page
    assert "bizbot_delivery_latency_seconds_bucket" in page


@pytest.mark.pg
async def test_readiness_fails_while_the_schema_is_behind_the_code() -> None:
    url = await create_pg_database()
    try:
        await _migrate_to_first_revision(url)
        settings = Settings(database_url=url, demo=False)  # type: ignore[arg-type]
        runtime = build_runtime(settings, [])
        try:
            problems = await runtime.readiness()
        finally:
            await runtime.db.dispose()
    finally:
        await drop_pg_database(url)
    assert set(problems) == {"migrations"}
    assert "47e91d8270f7" in problems["migrations"]


async def _migrate_to_first_revision(url: str) -> None:
    engine = create_async_engine(normalise_url(url))
    async with engine.begin() as connection:

        def first(sync: Connection) -> None:
            config = migrate.alembic_config()
            config.attributes["connection"] = sync
            command.upgrade(config, "47e91d8270f7")

        await connection.run_sync(first)
    await engine.dispose()


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging(json=True, level="INFO")
    stream = io.StringIO()
    root.handlers[0].stream = stream  # type: ignore[attr-defined]
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_json_logs_are_one_object_per_line(json_logs: io.StringIO) -> None:
    get_logger("bizbot.test").warning("refused.test", member="bob", text="多行\n文本")
    logging.getLogger("aiohttp.server").error("from the standard library")
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    assert lines[0]["event"] == "refused.test"
    assert lines[0]["level"] == "warning"
    assert lines[0]["member"] == "bob"
    assert lines[0]["text"] == "多行\n文本"  # encoded, so a newline cannot forge a log line
    assert lines[1]["event"] == "from the standard library"
    assert all("timestamp" in line for line in lines)


def test_held_log_lines_are_written_as_they_were_when_released(json_logs: io.StringIO) -> None:
    log = get_logger("bizbot.test")
    kept, dropped = HeldLogs(), HeldLogs()
    with kept.holding():
        log.warning("refused.test", member="bob")
        try:
            raise RuntimeError("kaput")
        except RuntimeError:
            log.exception("event.crashed")
    with dropped.holding():
        log.warning("refused.undone")
    log.info("not.held")
    assert [json.loads(line)["event"] for line in json_logs.getvalue().splitlines()] == ["not.held"]
    kept.release()
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["not.held", "refused.test", "event.crashed"]
    assert lines[1]["logger"] == "bizbot.test" and lines[1]["member"] == "bob"
    assert lines[1]["timestamp"] <= lines[0]["timestamp"]  # when it was logged, not released
    assert "RuntimeError: kaput" in lines[2]["exception"]


def test_secrets_never_show_in_settings_output() -> None:
    secret = "xoxb-very-secret-token"
    settings = Settings(slack_bot_token=secret, database_url="postgresql://u:pw-123@db/x")  # type: ignore[arg-type]
    shown = [repr(settings), str(settings), settings.model_dump_json()]
    assert not any(secret in text or "pw-123" in text for text in shown)
