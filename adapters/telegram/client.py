"""Sending, editing and answering through PTB's ``Bot`` against the Bot API (or any base URL).

The request object is tuned after research/performance.md: httpcore's connection pool costs
O(n²) in concurrent requests, so at most ``MAX_IN_FLIGHT`` calls run at once and the pool holds
exactly that many connections. (``sniffio`` is a declared dependency for the same reason: without
it httpcore re-scans ``sys.path`` for every lock it creates.)
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Bot, InputFile, LinkPreviewOptions, Update, User
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.render import render
from adapters.telegram.translate import ALLOWED_UPDATES, CHANNEL, TOPIC_MARK
from bot.events import Address
from bot.logging import get_logger
from bot.pacing import Limit, Pacer
from bot.ports import DeliveryError, PermanentDeliveryError, RetryLater, RoomRequest
from bot.replies import Attachment, Message, Reply

log = get_logger("bizbot.telegram")
T = TypeVar("T")

MAX_IN_FLIGHT = 8
NOT_MODIFIED = "message is not modified"
EDIT_TARGET_GONE = ("message to edit not found", "message can't be edited")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
WEBHOOK_CONNECTIONS = 40
MAX_CAPTION = 1024  # characters of a photo's or document's caption
MAX_TOPIC_NAME = 128  # createForumTopic's limit
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # sendPhoto's limit; larger pictures go as documents
PER_CHAT, PER_GROUP, OVERALL = Limit(1, 1.0), Limit(20, 60.0), Limit(30, 1.0)


@dataclass(frozen=True, slots=True)
class TelegramLimits:
    """The Bot FAQ's send limits: 1 msg/s per chat, 20 msg/min per group, 30 msg/s in all."""

    per_chat: Limit = PER_CHAT
    per_group: Limit = PER_GROUP
    overall: Limit = OVERALL


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds for each phase of a Bot API call (long polls add their own wait to ``read``)."""

    connect: float = 5.0
    read: float = 10.0
    write: float = 10.0
    pool: float = 5.0


class MessageUnchanged(PermanentDeliveryError):
    """An edit to the same content: Telegram's "message is not modified", which is success."""


class EditTargetGone(PermanentDeliveryError):
    """The message to edit was deleted (or can no longer be edited)."""


class TelegramClient:
    """The Telegram ChannelClient: a PTB ``Bot`` with a bounded number of calls in flight."""

    channel = CHANNEL

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        in_flight: int = MAX_IN_FLIGHT,
        timeouts: Timeouts = Timeouts(),
        limits: TelegramLimits = TelegramLimits(),
        clock: Callable[[], float] = time.monotonic,
        staff_group: str = "",
    ) -> None:
        quiet_token_logging()
        self._staff_group = staff_group
        self._requests = (_request(1, timeouts), _request(in_flight, timeouts))
        self.bot = Bot(
            token,
            base_url=api_url,
            base_file_url=file_url(api_url),
            request=self._requests[1],
            get_updates_request=self._requests[0],
        )
        self._slots = asyncio.Semaphore(in_flight)
        self._limits = limits
        self._pacer = Pacer(clock)
        self._answers: set[asyncio.Task[bool]] = set()

    async def send(self, address: Address, message: Message, context: Mapping[str, str]) -> str:
        """Post a message; its id is ``chat_id:message_id`` so that edits can find the chat.

        Files go as photos (pictures up to 10 MB) or documents. A text with one file is one
        post, the text as its caption (so a failed upload leaves nothing to post twice); a
        card, or several files, is the message and then each file.
        """
        if message.attachments:
            return await self._send_with_files(address, message, context)
        out = render(message)
        sent = await self._call(
            self.bot.send_message,
            chat_id=chat_of(address),
            message_thread_id=topic_of(address),
            text=out.text,
            parse_mode=out.parse_mode,
            reply_markup=out.keyboard,
            link_preview_options=NO_PREVIEW,
        )
        return message_ref(sent.chat_id, sent.message_id)

    async def _send_with_files(
        self, address: Address, message: Message, context: Mapping[str, str]
    ) -> str:
        files = message.attachments
        if isinstance(message, Reply) and len(files) == 1 and len(message.text) <= MAX_CAPTION:
            return await self._send_file(address, files[0], message.text)
        first = await self.send(address, replace(message, attachments=()), context)
        for file in files:
            await self._send_file(address, file, "")
        return first

    async def _send_file(self, address: Address, file: Attachment, caption: str) -> str:
        """sendPhoto or sendDocument, the bytes uploaded as multipart/form-data."""
        as_photo = file.is_image and len(file.data) <= MAX_PHOTO_BYTES
        method = self.bot.send_photo if as_photo else self.bot.send_document
        sent = await self._call(
            method,
            chat_of(address),
            InputFile(file.data, filename=file.name),
            caption=caption or None,
            message_thread_id=topic_of(address),
        )
        return message_ref(sent.chat_id, sent.message_id)

    async def open_room(self, room: RoomRequest) -> Address:
        """A forum topic in the staff supergroup (``BIZBOT_TELEGRAM_STAFF_GROUP``): a bot cannot
        create groups. ``PermanentDeliveryError`` without one, so the flow falls back to direct
        messages. Telegram cannot look a topic up by its name: a retry after a crash between
        Telegram's answer and our record makes a second, empty topic."""
        if not self._staff_group:
            raise PermanentDeliveryError("telegram: no staff group to open topics in")
        group = Address(CHANNEL, self._staff_group, room.workspace)
        topic = await self._call(
            self.bot.create_forum_topic, chat_id=chat_of(group), name=room.title[:MAX_TOPIC_NAME]
        )
        conversation = f"{self._staff_group}{TOPIC_MARK}{topic.message_thread_id}"
        return Address(CHANNEL, conversation, room.workspace)

    async def edit(
        self, address: Address, message_id: str, message: Message, context: Mapping[str, str]
    ) -> None:
        """Replace a message in place (keyboard included); a deleted one is sent anew."""
        chat_id, number = parse_message_ref(message_id)
        out = render(message)
        try:
            await self._call(
                self.bot.edit_message_text,
                chat_id=chat_id,
                message_id=number,
                text=out.text,
                parse_mode=out.parse_mode,
                reply_markup=out.keyboard,
                link_preview_options=NO_PREVIEW,
            )
        except MessageUnchanged:
            return
        except EditTargetGone:
            log.info("telegram.edit_target_gone", message_id=message_id)
            await self.send(address, replace(message, attachments=()), context)

    def pace(self, address: Address) -> float:
        """Book a send slot: per chat, per group (negative chat ids), and for the whole bot."""
        limits = self._limits
        chat = str(chat_of(address))  # a forum topic shares its group's limits
        per_chat = (limits.per_chat, limits.per_group) if is_group(chat) else (limits.per_chat,)
        return self._pacer.reserve((f"chat:{chat}", per_chat), ("bot", (limits.overall,)))

    async def identify(self) -> User:
        """``getMe``: who the bot is (raises ``InvalidToken`` for a refused token)."""
        await self.bot.initialize()
        return self.bot.bot

    def answer_soon(self, callback_query_id: str) -> None:
        """Stop the tapping user's spinner, in the background (the outcome follows as a message)."""
        task = asyncio.create_task(self.answer_callback(callback_query_id))
        self._answers.add(task)
        task.add_done_callback(self._answers.discard)

    @property
    def answers_pending(self) -> int:
        """Callback answers still in flight."""
        return len(self._answers)

    async def answer_callback(self, callback_query_id: str) -> bool:
        """``answerCallbackQuery`` with no text; a failure is logged, never raised."""
        try:
            await self._call(self.bot.answer_callback_query, callback_query_id)
        except DeliveryError as exc:
            log.info("telegram.callback_answer_failed", error=str(exc))
            return False
        return True

    async def download(self, file_id: str, limit: int) -> bytes | None:
        """A member's file: ``getFile``, then its bytes; None when Telegram will not give it
        (gone, over the Bot API's 20 MB) or it is larger than ``limit``."""
        try:
            found = await self._call(self.bot.get_file, file_id)
            if (found.file_size or 0) > limit:
                return None
            async with self._slots:
                data = await found.download_as_bytearray()
        except (DeliveryError, TelegramError) as exc:
            log.info("telegram.download_failed", error=str(exc))
            return None
        return bytes(data) if len(data) <= limit else None

    async def fetch_updates(self, offset: int, wait: int, limit: int = 100) -> tuple[Update, ...]:
        """``getUpdates``: confirms every update before ``offset``, waits up to ``wait`` seconds."""
        return await self.bot.get_updates(
            offset=offset, timeout=wait, limit=limit, allowed_updates=list(ALLOWED_UPDATES)
        )

    async def remove_webhook(self) -> None:
        """``deleteWebhook``, keeping pending updates (long polling needs the webhook gone)."""
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def set_webhook(self, url: str, secret_token: str, *, drop_pending: bool) -> None:
        """Point Telegram at our webhook, with the secret token it must echo back."""
        await self._call(
            self.bot.set_webhook,
            url=url,
            secret_token=secret_token,
            allowed_updates=list(ALLOWED_UPDATES),
            max_connections=WEBHOOK_CONNECTIONS,
            drop_pending_updates=drop_pending,
        )

    async def close(self) -> None:
        """Let pending callback answers finish, then close the connection pools."""
        if self._answers:
            await asyncio.wait(self._answers, timeout=5)
        await asyncio.gather(*(request.shutdown() for request in self._requests))

    async def _call(self, method: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        async with self._slots:
            try:
                return await method(*args, **kwargs)
            except TelegramError as exc:
                raise delivery_error(exc) from exc


def delivery_error(exc: TelegramError) -> DeliveryError:
    """What a Bot API failure means for the outbox: wait, retry later, or give up now."""
    if isinstance(exc, RetryAfter):
        return RetryLater(retry_after_seconds(exc), str(exc))
    if isinstance(exc, Forbidden):  # bot blocked or kicked, user deactivated
        return PermanentDeliveryError(str(exc))
    if isinstance(exc, ChatMigrated):
        return PermanentDeliveryError(f"the group moved to chat {exc.new_chat_id}")
    if isinstance(exc, BadRequest):  # chat not found, bad markup: the same request fails again
        text = exc.message.lower()
        if NOT_MODIFIED in text:
            return MessageUnchanged(exc.message)
        if any(gone in text for gone in EDIT_TARGET_GONE):
            return EditTargetGone(exc.message)
        return PermanentDeliveryError(exc.message)
    if isinstance(exc, InvalidToken):
        return DeliveryError(f"the bot token was refused: {exc.message}")
    return DeliveryError(f"{type(exc).__name__}: {exc.message}")  # network, timeouts, 5xx


def retry_after_seconds(exc: RetryAfter) -> float:
    """``retry_after`` as seconds (PTB 22 gives an int or, opted in, a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def file_url(api_url: str) -> str:
    """Where files are downloaded: ``…/bot`` becomes ``…/file/bot`` (Telegram's layout)."""
    return api_url[: -len("bot")] + "file/bot" if api_url.endswith("/bot") else api_url


def message_ref(chat_id: int, message_id: int) -> str:
    """Our id for a Telegram message: message ids are only unique within a chat."""
    return f"{chat_id}:{message_id}"


def parse_message_ref(ref: str) -> tuple[int, int]:
    """``chat_id:message_id`` back to its numbers."""
    chat, _, number = ref.rpartition(":")
    try:
        return int(chat), int(number)
    except ValueError:
        raise PermanentDeliveryError(f"not a Telegram message id: {ref!r}") from None


def chat_of(address: Address) -> int | str:
    """The chat id of a conversation (numeric, or an ``@channel`` name; a forum topic's is its
    group's)."""
    conversation = address.conversation.partition(TOPIC_MARK)[0]
    return int(conversation) if conversation.lstrip("-").isdigit() else conversation


def topic_of(address: Address) -> int | None:
    """The forum topic of a conversation (``GROUP/TOPIC``, a deal room), if it is one."""
    topic = address.conversation.partition(TOPIC_MARK)[2]
    return int(topic) if topic.isdigit() else None


def is_group(conversation: str) -> bool:
    """Groups and channels have negative chat ids; people have positive ones."""
    return conversation.startswith("-")


def quiet_token_logging() -> None:
    """Bot API URLs contain the token: keep httpx's request lines and PTB's debug lines out."""
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLogger("telegram").level))


def _request(pool: int, timeouts: Timeouts) -> HTTPXRequest:
    return HTTPXRequest(
        connection_pool_size=pool,
        connect_timeout=timeouts.connect,
        read_timeout=timeouts.read,
        write_timeout=timeouts.write,
        pool_timeout=timeouts.pool,
    )
