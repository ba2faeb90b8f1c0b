"""Telegram ``Update`` -> InboundEvent. Pure: no I/O, no clock.

Commands arrive as ``/cmd`` or ``/cmd@botname``. In private chats anything the member types is
taken (plain text too); in groups only commands, and only bare ones or those addressed to us,
as Telegram's conventions ask. Messages from bots, ourselves included, are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, Chat, MaybeInaccessibleMessage, Message, Update

from bot.events import Address, EventKind, InboundEvent
from bot.ports import GUEST_JOIN_COMMAND, GUEST_LINK_PREFIX

CHANNEL = "telegram"
TOPIC_MARK = "/"  # a forum topic's conversation (a deal room): GROUP/TOPIC
ALLOWED_UPDATES = ("message", "callback_query")
TOKEN_FORMAT = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
COMMAND_PREFIXES = ("/", "／")


class UpdateError(ValueError):
    """A request body that is not a Telegram update."""


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is: its id (from the token) and its username (from ``getMe``, "" until then)."""

    id: int
    username: str = ""


def bot_id_of(token: str) -> int:
    """The bot's user id, the number before the colon of its token."""
    match = TOKEN_FORMAT.match(token)
    if match is None:
        raise ValueError("a Telegram bot token looks like 123456789:AAH... (from @BotFather)")
    return int(match.group(1))


def parse_update(data: Any) -> Update:
    """A JSON body as PTB's ``Update`` (no bot attached: we never use its shortcuts)."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise UpdateError("not a Telegram update")
    try:
        return Update.de_json(data, None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UpdateError(f"malformed update: {exc}") from exc


def to_event(update: Update, me: BotIdentity) -> InboundEvent | None:
    """The event an update asks for, or None when it is not for us (other bots, other kinds)."""
    if update.callback_query is not None:
        return _tap(update.update_id, update.callback_query, me)
    if update.message is not None:
        return _say(update.update_id, update.message, me)
    return None


def callback_query_id(update: Update) -> str | None:
    """The id to pass to ``answerCallbackQuery``, if the update is a button tap."""
    return update.callback_query.id if update.callback_query is not None else None


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file or photo on a message: what ``getFile`` needs, and what Telegram says of it."""

    file_id: str
    name: str
    size: int


def file_of(update: Update) -> FileRef | None:
    """The document or the largest photo size a message carries, if any."""
    message = update.message
    if message is None:
        return None
    if message.document is not None:
        document = message.document
        return FileRef(document.file_id, document.file_name or "file", document.file_size or 0)
    if message.photo:
        photo = max(message.photo, key=lambda size: size.width * size.height)
        return FileRef(photo.file_id, f"photo-{message.message_id}.jpg", photo.file_size or 0)
    return None


def _say(update_id: int, message: Message, me: BotIdentity) -> InboundEvent | None:
    sender = message.from_user
    text = (message.text or message.caption or "").strip()
    has_file = message.document is not None or bool(message.photo)
    if sender is None or sender.is_bot or not (text or has_file):
        return None
    is_direct = message.chat.type == Chat.PRIVATE
    is_command = text.startswith(COMMAND_PREFIXES)
    if not is_direct and not (is_command and _addressed_to_us(text, me)):
        return None
    return InboundEvent(
        kind=EventKind.COMMAND if is_command else EventKind.MESSAGE,
        address=address_of(message),
        event_id=_event_id(me, update_id),
        sender_id=str(sender.id),
        text=start_as_help_or_bind(text) if is_command else text,
        sender_name=sender.full_name,
        locale_hint=sender.language_code or "",
        is_direct=is_direct,
    )


def _tap(update_id: int, query: CallbackQuery, me: BotIdentity) -> InboundEvent | None:
    origin = query.message
    if origin is None or not query.data or query.from_user.is_bot:
        return None  # inline-mode messages and games carry no token of ours
    return InboundEvent(
        kind=EventKind.ACTION,
        address=address_of(origin),
        event_id=_event_id(me, update_id),
        sender_id=str(query.from_user.id),
        action_token=query.data,
        sender_name=query.from_user.full_name,
        locale_hint=query.from_user.language_code or "",
        is_direct=origin.chat.type == Chat.PRIVATE,
    )


def address_of(message: MaybeInaccessibleMessage) -> Address:
    """The conversation of a message: its chat, or in a forum (a deal room) the chat's topic
    (``GROUP/TOPIC``), so that the answer goes to the topic it was asked in."""
    chat = str(message.chat.id)
    if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
        return Address(CHANNEL, f"{chat}{TOPIC_MARK}{message.message_thread_id}")
    return Address(CHANNEL, chat)


def start_as_help_or_bind(text: str) -> str:
    """``/start`` (sent when someone opens the bot) shows the help; ``/start CODE`` binds, and
    ``/start guest-…`` accepts a guest invitation (``/join``).

    A ``https://t.me/BOT?start=CODE`` link opens the chat and sends ``/start CODE`` in one tap.
    """
    head, _, rest = text.partition(" ")
    if head[1:].split("@", 1)[0].lower() != "start":
        return text
    payload = rest.strip()
    if payload.startswith(GUEST_LINK_PREFIX):
        return f"/{GUEST_JOIN_COMMAND} {payload}"
    return f"/bind {payload}" if payload else "/help"


def _addressed_to_us(text: str, me: BotIdentity) -> bool:
    """``/cmd`` is for every bot in a group; ``/cmd@name`` only for the bot called ``name``."""
    head = text[1:].split(maxsplit=1)[0] if len(text) > 1 else ""
    _, at, name = head.partition("@")
    return not at or (bool(me.username) and name.lower() == me.username.lower())


def _event_id(me: BotIdentity, update_id: int) -> str:
    """Update ids are per bot, so the bot id keeps two bots' updates apart in the inbox."""
    return f"{me.id}:{update_id}"
