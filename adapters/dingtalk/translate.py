"""DingTalk payloads (robot messages, card callbacks) -> InboundEvent. Pure."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from bot.events import Address, EventKind, InboundEvent

CHANNEL = "dingtalk"
DIRECT = "1"
GROUP = "2"
MAX_TEXT = 4000
MAX_TOKEN = 64
LEADING_MENTIONS = re.compile(r"^(?:\s*@\S+)*\s*")

# Keys of ``InboundEvent.extra`` (handed back to the client as ``context`` when answering).
SESSION_WEBHOOK = "session_webhook"
SESSION_WEBHOOK_EXPIRES = "session_webhook_expires"  # ms since the epoch
CONVERSATION_TYPE = "conversation_type"
STAFF_ID = "staff_id"
CARD_BIZ_ID = "card_biz_id"
# A picture or file message's download code and name: taken out of ``extra`` by the channel,
# which fetches the file before the event is stored (they are never kept).
FILE_CODE = "file_download_code"
FILE_NAME = "file_name"


class PayloadError(ValueError):
    """A payload that is not a DingTalk robot message or card callback."""


def message_to_event(body: Any) -> InboundEvent | None:
    """A robot callback (HTTP or Stream) as an event; None for what Bizbot ignores.

    Ignored: messages other than text, pictures and files, and those sent by the robot itself.
    """
    if not isinstance(body, dict):
        raise PayloadError("expected a JSON object")
    msg_id, conversation = _text(body, "msgId"), _text(body, "conversationId")
    sender = _text(body, "senderStaffId") or _text(body, "senderId")
    if not msg_id or not conversation or not sender:
        raise PayloadError("msgId, conversationId and a sender are required")
    if sender in {_text(body, "chatbotUserId"), _text(body, "robotCode")} - {""}:
        return None
    msgtype = body.get("msgtype")
    if msgtype in ("picture", "file"):
        return _file_event(body, msg_id, conversation, sender)
    if msgtype != "text":
        return None
    text = _command_text(body)
    if not text:
        return None
    conversation_type = _text(body, "conversationType") or DIRECT
    return InboundEvent(
        kind=EventKind.COMMAND if text.startswith(("/", "／")) else EventKind.MESSAGE,
        address=Address(CHANNEL, conversation, _text(body, "senderCorpId")),
        event_id=msg_id,
        sender_id=sender,
        text=text,
        sender_name=_text(body, "senderNick"),
        is_direct=conversation_type == DIRECT,
        extra=_reply_context(body, conversation_type, sender),
    )


def _file_event(
    body: dict[str, Any], msg_id: str, conversation: str, sender: str
) -> InboundEvent | None:
    """A picture or a file: its ``content`` has the ``downloadCode`` (and a file its name)."""
    content = body.get("content")
    if not isinstance(content, dict) or not isinstance(content.get("downloadCode"), str):
        return None
    name = content.get("fileName") if body.get("msgtype") == "file" else f"picture-{msg_id}.jpg"
    conversation_type = _text(body, "conversationType") or DIRECT
    extra = _reply_context(body, conversation_type, sender)
    extra |= {FILE_CODE: content["downloadCode"], FILE_NAME: str(name or "file")}
    return InboundEvent(
        kind=EventKind.MESSAGE,
        address=Address(CHANNEL, conversation, _text(body, "senderCorpId")),
        event_id=msg_id,
        sender_id=sender,
        sender_name=_text(body, "senderNick"),
        is_direct=conversation_type == DIRECT,
        extra=extra,
    )


def card_callback_to_event(body: Any, delivery_id: str = "") -> InboundEvent:
    """A tap on an interactive card's button: the button's id is our action token.

    The tapper is answered in their own chat with the robot; the card itself is edited
    where it was sent. ``delivery_id`` is Stream mode's message id (HTTP has none: a
    resent callback is recognised by its identical body).
    """
    if not isinstance(body, dict):
        raise PayloadError("expected a JSON object")
    user, card = _text(body, "userId"), _text(body, "outTrackId")
    token = _tapped_token(body.get("content"))
    if not user or not card or not token:
        raise PayloadError("userId, outTrackId and a tapped button are required")
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode())
    return InboundEvent(
        kind=EventKind.ACTION,
        address=Address(CHANNEL, user, _text(body, "corpId")),
        event_id=delivery_id or f"card-{digest.hexdigest()[:40]}",
        sender_id=user,
        action_token=token,
        is_direct=True,
        extra={CARD_BIZ_ID: card, CONVERSATION_TYPE: DIRECT, STAFF_ID: user},
    )


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _command_text(body: dict[str, Any]) -> str:
    """The typed text, without the @mentions a group message starts with."""
    text = body.get("text")
    content = text.get("content") if isinstance(text, dict) else None
    if not isinstance(content, str):
        return ""
    return LEADING_MENTIONS.sub("", content, count=1).strip()[:MAX_TEXT]


def _reply_context(body: dict[str, Any], conversation_type: str, sender: str) -> dict[str, str]:
    extra = {CONVERSATION_TYPE: conversation_type, STAFF_ID: sender}
    webhook, expires = _text(body, "sessionWebhook"), _text(body, "sessionWebhookExpiredTime")
    if webhook.startswith(("https://", "http://")) and expires.isdigit():
        extra |= {SESSION_WEBHOOK: webhook, SESSION_WEBHOOK_EXPIRES: expires}
    return extra


def _tapped_token(content: Any) -> str:
    """``content`` is a JSON string: ``{"cardPrivateData": {"actionIds": [TOKEN], ...}}``."""
    try:
        data = json.loads(content) if isinstance(content, str) else content
        ids = data["cardPrivateData"]["actionIds"]
    except (ValueError, TypeError, KeyError):
        return ""
    token = ids[0] if isinstance(ids, list) and ids else None
    return token if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN else ""
