"""Slack payloads (slash commands, Events API envelopes, block_actions) -> InboundEvent. Pure.

Delivery ids, which the inbox dedupes on:

- Events API: the envelope's ``event_id``; Slack sends it again unchanged with every retry.
- Slash commands and ``block_actions`` have no event id. Each invocation and each click gets
  its own ``trigger_id``, so ``command:<trigger_id>`` and ``action:<trigger_id>`` name one
  delivery: a resent request (Socket Mode redelivers an envelope that was not acked) is one
  effect, while a double click is two deliveries, made one effect by the action token's single
  use in the kernel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.events import Address, EventKind, InboundEvent

CHANNEL = "slack"
MAX_TEXT = 4000
TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,，]*")
MESSAGE_TYPES = frozenset({"message", "app_mention"})


class PayloadError(ValueError):
    """A signed Slack payload that cannot become an event (a required id is missing)."""


def command_event(body: Mapping[str, Any]) -> InboundEvent:
    """A slash command: ``/biz whoami`` becomes ``/whoami`` (any slash command name works)."""
    user = _required(body, "user_id")
    channel = _required(body, "channel_id")
    return InboundEvent(
        kind=EventKind.COMMAND,
        address=Address(CHANNEL, channel, _text(body, "team_id")),
        event_id=f"command:{_required(body, 'trigger_id')}",
        sender_id=user,
        text=command_text(_text(body, "text")),
        sender_name=_text(body, "user_name"),
        is_direct=channel.startswith("D"),
        extra=_reply_context(body),
    )


def command_text(text: str) -> str:
    """The words after the slash command, as one of our commands (nothing: ``/help``)."""
    words = unescape(text).strip()[:MAX_TEXT]
    if not words:
        return "/help"
    return words if words.startswith(("/", "／")) else f"/{words}"


def action_events(body: Mapping[str, Any]) -> list[InboundEvent]:
    """Button taps of a ``block_actions`` payload; only each action's token is used."""
    if body.get("type") != "block_actions":
        raise PayloadError(f"unsupported interaction {body.get('type')!r}")
    user = _mapping(body, "user")
    user_id = _required(user, "id")
    trigger = _required(body, "trigger_id")
    team = _text(_mapping(body, "team"), "id") or _text(user, "team_id")
    conversation = (
        _text(_mapping(body, "channel"), "id")
        or _text(_mapping(body, "container"), "channel_id")
        or user_id
    )
    events = []
    for index, action in enumerate(body.get("actions") or []):
        token = _token(action)
        if token is None:
            continue
        events.append(
            InboundEvent(
                kind=EventKind.ACTION,
                address=Address(CHANNEL, conversation, team),
                event_id=f"action:{trigger}" + (f":{index}" if index else ""),
                sender_id=user_id,
                action_token=token,
                sender_name=_text(user, "username") or _text(user, "name"),
                is_direct=conversation.startswith("D"),
                extra=_reply_context(body),
            )
        )
    if not events:
        raise PayloadError("block_actions without a valid button token")
    return events


def message_event(envelope: Mapping[str, Any]) -> InboundEvent | None:
    """A direct message or an @mention; None for everything else (bots, edits, other events)."""
    event = _mapping(envelope, "event")
    kind = event.get("type")
    if kind not in MESSAGE_TYPES or _from_a_bot(event):
        return None
    if kind == "message" and event.get("channel_type") != "im":
        return None
    user, channel = _text(event, "user"), _text(event, "channel")
    if not user or not channel:
        return None
    text = unescape(LEADING_MENTION.sub("", _text(event, "text"))).strip()[:MAX_TEXT]
    if not text:
        if kind == "message" and not message_files(envelope):
            return None
        text = "" if kind == "message" else "/help"
    thread = _text(event, "thread_ts")
    return InboundEvent(
        kind=EventKind.COMMAND if text.startswith(("/", "／")) else EventKind.MESSAGE,
        address=Address(CHANNEL, channel, _text(envelope, "team_id") or _text(event, "team")),
        event_id=_required(envelope, "event_id"),
        sender_id=user,
        text=text,
        is_direct=kind == "message",
        extra={"thread_ts": thread} if thread else {},
    )


def unescape(text: str) -> str:
    """Undo Slack's escaping of ``&``, ``<`` and ``>`` in message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _from_a_bot(event: Mapping[str, Any]) -> bool:
    """Our own and other bots' messages (``bot_id``); edits, joins and the like (``subtype``,
    except ``file_share``: a member sending a file)."""
    subtype = event.get("subtype")
    return bool(
        event.get("bot_id") or (subtype and subtype != "file_share") or event.get("bot_profile")
    )


@dataclass(frozen=True, slots=True)
class SlackFile:
    """A file on a member's message: where to download it (with the bot token) and its size."""

    name: str
    size: int
    url: str


def message_files(envelope: Mapping[str, Any]) -> list[SlackFile]:
    """The files a message event carries (``files`` of a ``file_share`` message)."""
    files = _mapping(envelope, "event").get("files")
    if not isinstance(files, list):
        return []
    return [
        SlackFile(
            _text(f, "name") or "file", int(f.get("size") or 0), _text(f, "url_private_download")
        )
        for f in files
        if isinstance(f, Mapping) and _text(f, "url_private_download")
    ]


def _token(action: Any) -> str | None:
    if not isinstance(action, Mapping):
        return None
    token = action.get("value") or action.get("action_id")
    return token if isinstance(token, str) and TOKEN.match(token) else None


def _reply_context(body: Mapping[str, Any]) -> dict[str, str]:
    url = _text(body, "response_url")
    return {"response_url": url} if url.startswith(("https://", "http://")) else {}


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _required(data: Mapping[str, Any], key: str) -> str:
    value = _text(data, key)
    if not value:
        raise PayloadError(f"no {key}")
    return value
