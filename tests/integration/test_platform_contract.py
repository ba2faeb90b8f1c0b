"""The contract every chat platform keeps, one suite run on each (drivers in tests/platforms.py).

Each platform's fake and our server with its real adapter, spoken to in the platform's own wire
format: a double tap gives one effect, a tap by someone the card is not for changes nothing, a
redelivered event gives one effect, a rate limit waits the given time and loses nothing, a member
the platform no longer knows is a dead letter, a stranger is told how to bind, and forged or stale
requests are refused with nothing written. DingTalk runs twice, over its signed HTTP callbacks and
over Stream mode (which signs nothing). What only one platform does (its signing details, its
rendering, its URL verification, its own ways of answering) stays in that platform's test file.

Where the database is part of the property (one effect from a compare-and-set or a unique key,
the outbox's wait, nothing written) the tests run on SQLite and PostgreSQL; the rest on SQLite.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.config import Settings
from bot.pipeline.tables import OutboxStatus
from tests.platforms import Platform, Servers, eventually, outbox, outcome_text, running_platform
from tests.rigs import inbox_count

EVERY_WAY_IN = ["slack", "telegram", "dingtalk", "dingtalk-stream", "wecom"]
SIGNED = ["slack", "telegram", "dingtalk", "wecom"]  # Stream mode carries no signature
CHINESE = "中文"
NOT_YOURS = {"en": "This button is not for you.", "zh": "这个按钮不是给你的。"}
ALREADY_DONE = "这个操作已经完成了。"  # the member chose Chinese with the first tap
# who the owner's card is not for, and the language they read
OTHER_READS = {"slack": "en", "telegram": "zh", "dingtalk": "zh", "wecom": "zh"}


@pytest.fixture
def servers(
    monkeypatch: pytest.MonkeyPatch,
    aiohttp_server: Callable[..., Any],
    aiohttp_client: Callable[..., Any],
) -> Servers:
    """What the drivers start their servers with."""
    return Servers(monkeypatch, aiohttp_server, aiohttp_client)


@pytest.fixture
async def platform(
    request: pytest.FixtureRequest, settings: Settings, servers: Servers
) -> AsyncIterator[Platform]:
    """The platform named by the test's parameter, on SQLite and PostgreSQL."""
    async with running_platform(request.param, settings, servers) as running:
        yield running


@pytest.fixture
async def sqlite_platform(
    request: pytest.FixtureRequest, sqlite_settings: Settings, servers: Servers
) -> AsyncIterator[Platform]:
    """The platform named by the test's parameter, on SQLite only."""
    async with running_platform(request.param, sqlite_settings, servers) as running:
        yield running


@pytest.mark.parametrize("platform", EVERY_WAY_IN, indirect=True)
async def test_a_double_tap_gives_one_effect(platform: Platform) -> None:
    await platform.say(platform.owner, "/lang")
    card = platform.last_card(platform.owner)
    first = platform.press(platform.owner, card, CHINESE)
    second = platform.press(platform.owner, card, CHINESE)
    statuses = list(await asyncio.gather(first(), second(), first()))  # the first one resent
    await platform.settle()
    assert statuses == [200, 200, 200]
    assert await inbox_count(platform.runtime) == 3  # /lang, and each tap once
    assert platform.edits() == [card.key]
    shown = outcome_text(platform.card_now(card))
    assert "语言" in shown and "从现在起我会用中文和你交流。" in shown
    assert platform.told(platform.owner, card) == ALREADY_DONE  # the second tap
    assert platform.send_attempts() == 2  # the card, and that
    assert platform.answered() == sorted([first.key, first.key, second.key])  # each delivery


@pytest.mark.parametrize("sqlite_platform", EVERY_WAY_IN, indirect=True)
async def test_a_tap_by_someone_not_allowed_is_refused_and_the_card_unchanged(
    sqlite_platform: Platform,
) -> None:
    platform = sqlite_platform
    await platform.say(platform.owner, "/lang", in_group=True)
    card = platform.last_card(platform.owner, in_group=True)
    before = platform.card_now(card)
    tap = platform.press(platform.other, card, CHINESE)
    with capture_logs() as logs:
        assert await tap() == 200
        await platform.settle()
    [refusal] = [e for e in logs if e["event"] == "refused.token_not_yours"]
    assert refusal["member"] == platform.other_handle
    assert platform.edits() == []
    assert platform.card_now(card) == before
    reads = OTHER_READS[platform.name.removesuffix("-stream")]
    assert platform.told(platform.other, card) == NOT_YOURS[reads]
    assert platform.send_attempts() == 2  # the card, and that
    assert platform.answered() == [tap.key]


@pytest.mark.parametrize("platform", EVERY_WAY_IN, indirect=True)
async def test_a_redelivered_event_gives_one_effect_and_one_reply(platform: Platform) -> None:
    message = platform.message(platform.owner, "/lang zh")
    first = await message()
    again = await message()  # the platform retries
    storm = await asyncio.gather(*(message() for _ in range(10)))
    await platform.settle()
    assert (first, again, set(storm)) == (200, 200, {200})
    assert await inbox_count(platform.runtime) == 1
    assert platform.send_attempts() == 1
    [reply] = platform.replies_to(platform.owner)
    assert "从现在起我会用中文和你交流" in reply


@pytest.mark.parametrize("platform", EVERY_WAY_IN, indirect=True)
async def test_a_rate_limit_waits_the_given_time_and_loses_nothing(platform: Platform) -> None:
    platform.rate_limit_next_send(seconds=7)
    asked_at = platform.clock.now()
    assert await platform.message(platform.owner, "/ping")() == 200

    async def told_to_wait() -> bool:
        return any(row.last_error for row in await outbox(platform.runtime))

    await eventually(told_to_wait)
    [waiting] = await outbox(platform.runtime)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 0)  # not an attempt
    assert waiting.next_attempt_at == asked_at + timedelta(seconds=7)
    assert platform.send_attempts() == 1
    platform.clock.advance(7)
    await platform.settle()
    [sent] = await outbox(platform.runtime)
    assert (sent.status, sent.attempts) == (OutboxStatus.SENT, 1)
    assert platform.send_attempts() == 2
    # the refused send, then the same reply again
    assert ["pong" in reply for reply in platform.replies_to(platform.owner)] == [True, True]


@pytest.mark.parametrize("sqlite_platform", EVERY_WAY_IN, indirect=True)
async def test_a_member_the_platform_no_longer_knows_is_a_dead_letter_at_once(
    sqlite_platform: Platform,
) -> None:
    platform = sqlite_platform
    refusal = platform.unknown_recipient(platform.owner)
    await platform.say(platform.owner, "/ping")
    [row] = await outbox(platform.runtime)
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)
    assert refusal.lower() in (row.last_error or "").lower()
    assert platform.send_attempts() == 1


@pytest.mark.parametrize("sqlite_platform", EVERY_WAY_IN, indirect=True)
async def test_a_stranger_is_told_how_to_bind_and_shown_nobody(
    sqlite_platform: Platform,
) -> None:
    platform = sqlite_platform
    await platform.say(platform.stranger, "/whoami")
    [told] = platform.replies_to(platform.stranger)
    assert "/bind" in told or "/绑定" in told
    assert not any(name in told for name in ("Alice", "Bob", "Carol", "李博"))


@pytest.mark.parametrize("platform", SIGNED, indirect=True)
async def test_forged_and_stale_requests_are_refused_and_nothing_is_written(
    platform: Platform,
) -> None:
    forgeries = platform.forgeries()
    with capture_logs() as logs:
        statuses = [await forgery.send() for forgery in forgeries]
    await platform.settle()
    labelled = {forgery.label: status for forgery, status in zip(forgeries, statuses, strict=True)}
    assert labelled == {forgery.label: forgery.status for forgery in forgeries}
    logged = [  # one refusal for each, and nothing else
        {key: entry.get(key) for key in forgery.logged}
        for entry, forgery in zip(logs, forgeries, strict=True)
    ]
    assert logged == [forgery.logged for forgery in forgeries]
    assert await inbox_count(platform.runtime) == 0
    assert platform.calls() == 0
