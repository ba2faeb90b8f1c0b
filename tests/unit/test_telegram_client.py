"""Bot API failures map to the outbox's delivery errors; sends are paced like the Bot FAQ asks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from adapters.telegram.channel import TelegramConfig
from adapters.telegram.client import (
    EditTargetGone,
    MessageUnchanged,
    TelegramClient,
    delivery_error,
    parse_message_ref,
)
from bot.events import Address
from bot.ports import DeliveryError, PermanentDeliveryError, RetryLater
from tests.fake_telegram import TOKEN


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), PermanentDeliveryError),
        (Forbidden("Forbidden: bot was kicked from the group chat"), PermanentDeliveryError),
        (Forbidden("Forbidden: user is deactivated"), PermanentDeliveryError),
        (BadRequest("Bad Request: chat not found"), PermanentDeliveryError),
        (ChatMigrated(-1001234), PermanentDeliveryError),
        (BadRequest("Bad Request: message is not modified: same"), MessageUnchanged),
        (BadRequest("Bad Request: message to edit not found"), EditTargetGone),
        (TimedOut(), DeliveryError),
        (NetworkError("Bad Gateway"), DeliveryError),
        (Conflict("Conflict"), DeliveryError),
        (InvalidToken("Unauthorized"), DeliveryError),
    ],
)
def test_errors_map_to_what_the_outbox_should_do(error: TelegramError, kind: type) -> None:
    mapped = delivery_error(error)
    assert type(mapped) is kind


def test_retry_after_becomes_a_wait_of_that_many_seconds() -> None:
    mapped = delivery_error(RetryAfter(7))
    assert isinstance(mapped, RetryLater) and mapped.seconds == 7.0
    assert delivery_error(RetryAfter(timedelta(seconds=3))).seconds == 3.0  # type: ignore[attr-defined]


def test_message_ids_keep_their_chat() -> None:
    assert parse_message_ref("-100123:45") == (-100123, 45)
    with pytest.raises(PermanentDeliveryError):
        parse_message_ref("m12")


async def test_pacing_follows_the_bot_faq() -> None:
    now = [0.0]
    client = TelegramClient(TOKEN, "http://127.0.0.1:9/bot", clock=lambda: now[0])
    try:
        private, group = Address("telegram", "1001"), Address("telegram", "-100777")
        assert [client.pace(private) for _ in range(3)] == [0.0, 1.0, 2.0]  # 1 msg/s per chat
        now[0] = 100.0
        waits = [client.pace(group) for _ in range(21)]
        assert waits[1] == 1.0 and waits[19] == 19.0
        assert waits[20] == 60.0  # the 21st message to a group waits for the minute
        now[0] = 1000.0
        bulk = [client.pace(Address("telegram", str(5000 + i))) for i in range(31)]
        assert bulk[:30] == [0.0] * 30 and bulk[30] == 1.0  # 30 msg/s for the whole bot
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (TelegramConfig("nonsense", "s3cret"), "BIZBOT_TELEGRAM_BOT_TOKEN"),
        (TelegramConfig(TOKEN), "BIZBOT_TELEGRAM_SECRET_TOKEN is required"),
        (TelegramConfig(TOKEN, "has space"), "A-Z, a-z, 0-9"),
        (TelegramConfig(TOKEN, "s", api_url="ftp://x"), "BIZBOT_TELEGRAM_API_URL"),
    ],
)
def test_settings_that_cannot_work_are_explained(config: TelegramConfig, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        config.check()
    TelegramConfig(TOKEN, polling=True).check()  # polling needs no secret
