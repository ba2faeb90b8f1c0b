"""Files in and out of chat: their bytes are kept in the ``files`` table.

Outbound, a message's attachments are stored in the transaction that queues the message (the
outbox keeps only their ids), and loaded back when the relay claims it: a crash between the
commit and the send loses nothing. Inbound, a file a member sends is checked by its bytes
(``sniff``) and its size before it is kept; anything else is refused with a reason the command
can tell the member.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Insert, Select, bindparam, insert, literal, select
from sqlalchemy.orm import Session

from bot.events import Address, InboundFile, Unreadable
from bot.pipeline.tables import FILES, FileRow
from bot.ports import MAX_INBOUND_BYTES, StoredFile
from bot.replies import Attachment, Message

MAX_OUTBOUND_BYTES = 20 * 1024 * 1024  # below every platform's upload limit (DingTalk: 20 MB)


def store_attachments(
    session: Session, address: Address, message: Message, now: datetime
) -> Message:
    """The message with each new attachment's bytes stored for ``address``'s conversation."""
    stored = []
    for file in message.attachments:
        if file.file_id is not None:  # a file kept before (a receipt on an approval card)
            shared = share_file(session, file, file.file_id, address.key)
            if shared is not None:  # gone (pruned): the card still names it
                stored.append(shared)
            continue
        if len(file.data) > MAX_OUTBOUND_BYTES:
            raise ValueError(f"{file.name} is larger than {MAX_OUTBOUND_BYTES} bytes")
        row_id = _insert_file(
            session, address.key, "out", file.name, file.content_type, file.data, now
        )
        stored.append(file.stored(row_id))
    return replace(message, attachments=tuple(stored))


def _insert_file(
    session: Session,
    conversation_key: str,
    direction: str,
    name: str,
    content_type: str,
    data: bytes,
    now: datetime,
) -> int:
    result = session.execute(
        _insert(),
        {
            "conversation_key": conversation_key,
            "direction": direction,
            "name": name[:255],
            "content_type": content_type[:100],
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "data": data,
            "created_at": now,
        },
    )
    return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]


def share_file(
    session: Session, file: Attachment, file_id: int, conversation_key: str
) -> Attachment | None:
    """The file as a file of this conversation: itself if it is one already (or a copy made
    before, for an earlier version of the card), else a copy made in the database, so that the
    web chat serves it to this conversation's member; None once the file is no longer kept.
    Only messages with kept files pay this."""
    source = select(FILES.c.sha256).where(FILES.c.id == file_id).scalar_subquery()
    here = session.scalar(
        select(FILES.c.id)
        .where(FILES.c.conversation_key == conversation_key, FILES.c.sha256 == source)
        .where(FILES.c.name == file.name)
        .order_by(FILES.c.id)
        .limit(1)
    )
    if here is None:
        columns = ("direction", "name", "content_type", "size", "sha256", "data", "created_at")
        copy = select(
            literal(conversation_key).label("conversation_key"), *(FILES.c[c] for c in columns)
        ).where(FILES.c.id == file_id)
        here = session.scalar(
            insert(FILES).from_select(["conversation_key", *columns], copy).returning(FILES.c.id)
        )
    return replace(file, file_id=int(here)) if here is not None else None


@cache
def _insert() -> Insert:
    return insert(FILES)


def file_ids(messages: Iterable[Message]) -> set[int]:
    """The stored files the messages carry."""
    return {f.file_id for m in messages for f in m.attachments if f.file_id is not None}


def load_bytes(session: Session, ids: set[int]) -> dict[int, bytes]:
    """The bytes of stored files, by id (only asked for when a message carries files)."""
    rows = session.execute(_bytes(), {"ids": sorted(ids)})
    return {row_id: bytes(data) for row_id, data in rows}


@cache
def _bytes() -> Select[Any]:
    return select(FILES.c.id, FILES.c.data).where(FILES.c.id.in_(bindparam("ids", expanding=True)))


def with_bytes(message: Message, data: dict[int, bytes]) -> Message:
    """The message with its attachments' bytes filled in; ``Unreadable`` if one is gone."""
    files: list[Attachment] = []
    for file in message.attachments:
        if file.file_id not in data:
            raise Unreadable(f"file {file.file_id} ({file.name}) is no longer stored")
        files.append(replace(file, data=data[file.file_id]))
    return replace(message, attachments=tuple(files))


def file_for(session: Session, file_id: int, conversation_key: str) -> StoredFile | None:
    """A stored file, only if it belongs to that conversation (None otherwise: no such file)."""
    row = session.get(FileRow, file_id)
    if row is None or row.conversation_key != conversation_key:
        return None
    return StoredFile(row.name, row.content_type, bytes(row.data))


class Refusal(StrEnum):
    """Why an inbound file was not kept."""

    TOO_BIG = "too_big"
    EXECUTABLE = "executable"
    TYPE = "type"  # not one of the kinds we keep (images and PDF)
    UNAVAILABLE = "unavailable"  # the platform would not give us the bytes
    STRANGER = "stranger"  # not from an active member


# What a file's first bytes say it is. Only these kinds are kept: the photo or scan of a
# receipt, an invoice PDF. The declared type and the name are never trusted.
ALLOWED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
# Programs and scripts, refused with their own message (a clearer one than "not allowed").
EXECUTABLE_MAGIC: tuple[bytes, ...] = (
    b"MZ",  # Windows PE (.exe, .dll)
    b"\x7fELF",  # Linux
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"#!",  # a script with an interpreter line
    b"dex\n",  # Android
)
EXECUTABLE_SUFFIXES = (".exe", ".bat", ".cmd", ".com", ".msi", ".scr", ".ps1", ".sh", ".js", ".apk")


def sniff(data: bytes) -> str | None:
    """The content type the bytes show, among the kinds we keep; None for any other."""
    for magic, content_type in ALLOWED_MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_inbound(name: str, data: bytes) -> tuple[str, Refusal | None]:
    """The checked content type of a received file, or why it is refused."""
    if len(data) > MAX_INBOUND_BYTES:
        return "", Refusal.TOO_BIG
    if data.startswith(EXECUTABLE_MAGIC) or name.lower().endswith(EXECUTABLE_SUFFIXES):
        return "", Refusal.EXECUTABLE
    content_type = sniff(data)
    if content_type is None:
        return "", Refusal.TYPE
    return content_type, None


def keep_inbound(
    session: Session, address: Address, name: str, data: bytes, now: datetime
) -> InboundFile:
    """Check a file a member sent and keep it if allowed; either way, what the event carries."""
    safe_name = _file_name(name)
    content_type, refusal = check_inbound(safe_name, data)
    if refusal is not None:
        return InboundFile(safe_name, "", len(data), refused=refusal)
    row_id = _insert_file(session, address.key, "in", safe_name, content_type, data, now)
    return InboundFile(safe_name, content_type, len(data), file_id=row_id)


def refused_file(name: str, size: int, refusal: Refusal) -> InboundFile:
    """A file the adapter refused before fetching its bytes (too big, unavailable)."""
    return InboundFile(_file_name(name), "", size, refused=refusal)


def _file_name(name: str) -> str:
    """The last part of a name, without path separators or control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return (cleaned or "file")[:200]
