"""WeCom callback XML -> InboundEvent or an external-contact change. Pure.

XML is parsed with the standard library after refusing any DOCTYPE: WeCom never sends one, and
without it there are no entities to expand or fetch.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from bot.events import Address, EventKind, InboundEvent
from bot.ports import ExternalContactChange, ExternalProfile

CHANNEL = "wecom"
MAX_TEXT = 4000
MAX_XML = 256 * 1024
DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# ChangeType -> whether the relation is active afterwards: the member added the customer, the
# member removed the customer, or the customer removed the member.
CONTACT_CHANGES = {
    "add_external_contact": True,
    "del_external_contact": False,
    "del_follow_user": False,
}

# Keys of ``InboundEvent.extra`` (handed back to the client as ``context`` when answering).
RESPONSE_CODE = "response_code"
TASK_ID = "task_id"
# A picture's media id: taken out of ``extra`` by the channel, which fetches the picture
# (``media/get``) before the event is stored.
MEDIA_ID = "media_id"


class PayloadError(ValueError):
    """XML that is not a WeCom callback."""


def parse_xml(raw: bytes | str) -> dict[str, str]:
    """The child elements of a flat ``<xml>`` document, as tag -> text."""
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_XML:
        raise PayloadError("XML too large")
    if DOCTYPE.search(data):
        raise PayloadError("DOCTYPE not allowed")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DOCTYPE, so no entities
    except ET.ParseError as exc:
        raise PayloadError(f"not XML: {exc}") from exc
    return {child.tag: (child.text or "").strip() for child in root}


def callback_to_event(fields: dict[str, str]) -> InboundEvent | ExternalContactChange | None:
    """A decrypted callback as an event or a contact change; None for what Bizbot ignores."""
    corp, user = fields.get("ToUserName", ""), fields.get("FromUserName", "")
    msg_type = fields.get("MsgType", "")
    if msg_type == "text":
        return _text_event(fields, corp, user)
    if msg_type == "image":
        return _image_event(fields, corp, user)
    if msg_type != "event":
        return None
    event = fields.get("Event", "")
    if event == "template_card_event":
        return _card_event(fields, corp, user)
    if event == "change_external_contact":
        return _contact_change(fields, corp)
    return None


def _required(fields: dict[str, str], *names: str) -> None:
    missing = [name for name in names if not fields.get(name)]
    if missing:
        raise PayloadError(f"missing {', '.join(missing)}")


def _text_event(fields: dict[str, str], corp: str, user: str) -> InboundEvent | None:
    _required(fields, "ToUserName", "FromUserName", "MsgId")
    text = fields.get("Content", "").strip()[:MAX_TEXT]
    if not text:
        return None
    return InboundEvent(
        kind=EventKind.COMMAND if text.startswith(("/", "／")) else EventKind.MESSAGE,
        address=Address(CHANNEL, user, corp),
        event_id=fields["MsgId"],
        sender_id=user,
        text=text,
        is_direct=True,
    )


def _image_event(fields: dict[str, str], corp: str, user: str) -> InboundEvent:
    """A picture a member sent the app (WeCom's app messages carry no other files)."""
    _required(fields, "ToUserName", "FromUserName", "MsgId", "MediaId")
    return InboundEvent(
        kind=EventKind.MESSAGE,
        address=Address(CHANNEL, user, corp),
        event_id=fields["MsgId"],
        sender_id=user,
        is_direct=True,
        extra={MEDIA_ID: fields["MediaId"]},
    )


def _card_event(fields: dict[str, str], corp: str, user: str) -> InboundEvent:
    """A template card button: EventKey is our action token; ResponseCode edits the card once."""
    _required(fields, "ToUserName", "FromUserName", "CreateTime", "EventKey")
    key, task = fields["EventKey"], fields.get("TaskId", "")
    extra = {TASK_ID: task}
    if fields.get("ResponseCode"):
        extra[RESPONSE_CODE] = fields["ResponseCode"]
    return InboundEvent(
        kind=EventKind.ACTION,
        address=Address(CHANNEL, user, corp),
        event_id=f"{user}:{fields['CreateTime']}:card:{task}:{key}",
        sender_id=user,
        action_token=key[:64],
        is_direct=True,
        extra=extra,
    )


def _contact_change(fields: dict[str, str], corp: str) -> ExternalContactChange | None:
    added = CONTACT_CHANGES.get(fields.get("ChangeType", ""))
    if added is None:
        return None
    _required(fields, "UserID", "ExternalUserID", "CreateTime")
    if not fields["CreateTime"].isdigit():
        raise PayloadError("CreateTime is not a number")
    return ExternalContactChange(
        channel=CHANNEL,
        workspace=corp,
        staff_user_id=fields["UserID"],
        external_user_id=fields["ExternalUserID"],
        added=added,
        state=fields.get("State", ""),
        changed_at=datetime.fromtimestamp(int(fields["CreateTime"]), UTC),
    )


def profile_from(data: dict[str, Any], staff_user_id: str) -> ExternalProfile:
    """An ``externalcontact/get`` answer as a profile: the customer's name and company, with the
    remark and phone numbers noted by the member who added them (their ``follow_user`` entry)."""
    contact = data.get("external_contact")
    if not isinstance(contact, dict):
        raise PayloadError("no external_contact in the answer")
    follows = data.get("follow_user")
    follow = next(
        (
            f
            for f in (follows if isinstance(follows, list) else [])
            if isinstance(f, dict) and f.get("userid") == staff_user_id
        ),
        {},
    )
    phones = follow.get("remark_mobiles")
    return ExternalProfile(
        name=_text(contact.get("name")),
        remark=_text(follow.get("remark")),
        corp_name=_text(follow.get("remark_corp_name")) or _text(contact.get("corp_name")),
        phones=tuple(_text(p) for p in phones if _text(p)) if isinstance(phones, list) else (),
    )


def _text(value: object, limit: int = 200) -> str:
    return " ".join(str(value).split())[:limit] if isinstance(value, str | int) else ""
