"""The interfaces between the kernel and the channel adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from aiohttp import web

from bot.events import Address, InboundEvent, InboundFile
from bot.replies import Message

GUEST_LINK_PREFIX = "guest-"  # a deep-link payload carrying a guest invitation, not a bind code
GUEST_JOIN_COMMAND = "join"  # what such a payload is sent to: ``/join guest-…``
MAX_INBOUND_BYTES = 10 * 1024 * 1024  # a file a member sends: a phone photo or a scan fits


class DeliveryError(Exception):
    """Sending failed in a way worth retrying later (network, 5xx)."""


class RetryLater(DeliveryError):
    """The platform asked us to wait (HTTP 429 ``Retry-After``, Telegram ``retry_after``)."""

    def __init__(self, seconds: float, detail: str = "") -> None:
        super().__init__(detail or f"rate limited, retry after {seconds:g}s")
        self.seconds = seconds


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (channel not found, bot blocked, user left): dead-letter at once."""


class ChannelClient(Protocol):
    """Sends and edits messages on one platform; the delivery relay is its only caller."""

    channel: str

    async def send(self, address: Address, message: Message, context: Mapping[str, str]) -> str:
        """Post a message and return the platform's id for it (used to edit it later).

        ``context`` is the ``extra`` of the event being answered (a reply URL, a session
        webhook, a one-time card code), or empty for notifications.
        """
        ...

    async def edit(
        self, address: Address, message_id: str, message: Message, context: Mapping[str, str]
    ) -> None:
        """Replace a message sent earlier, e.g. a card whose buttons were used."""
        ...

    def pace(self, address: Address) -> float:
        """Seconds to wait before the next send to this conversation (the platform's rate limit).

        Calling it books the slot: a caller that gets 0 may send now.
        """
        ...


@dataclass(frozen=True, slots=True)
class RoomRequest:
    """A conversation to open for a group of people (a deal room): ``name`` is stable, so that
    opening it again finds the room made before instead of making a second one."""

    name: str  # e.g. ``deal-12``: lower case, digits and hyphens
    title: str
    members: tuple[str, ...]  # the members' user ids on the room's platform
    workspace: str = ""


@runtime_checkable
class RoomOpener(Protocol):
    """A channel client that can open a conversation for several members (optional)."""

    async def open_room(self, room: RoomRequest) -> Address:
        """Open the room named ``room.name``, or find the one opened before under that name,
        and make sure the members are in it; where to send to it. ``PermanentDeliveryError``
        when this platform or installation cannot (then the flow falls back to direct
        messages); other ``DeliveryError`` s are retried."""
        ...


@dataclass(frozen=True, slots=True)
class JoinedRoom:
    """A room a member is in, on a channel that keeps its rooms itself (the web chat)."""

    conversation: str
    title: str


class RoomMembers(Protocol):
    """Who is in the rooms of a channel that has no platform to keep them (the web chat)."""

    async def add(
        self, channel: str, conversation: str, title: str, members: Sequence[str]
    ) -> None:
        """Put the members in the room (those already in it stay); return once committed."""
        ...

    async def rooms_of(self, channel: str, member: str) -> list[JoinedRoom]:
        """The rooms on ``channel`` that ``member`` (their user id there) is in."""
        ...


class Channel(Protocol):
    """An enabled chat platform: its client for delivery, its inbound routes, its background work.

    Constructing one does no I/O. At shutdown ``stop`` ends receiving (Socket Mode, long
    polling) first; the client keeps delivering until the pipeline has stopped, then ``close``
    closes its connections.
    """

    client: ChannelClient

    def mount(self, app: web.Application, ingest: Ingest) -> None:
        """Add the platform's inbound routes (verify, translate, ``ingest``, then acknowledge)."""
        ...

    async def start(self, ingest: Ingest) -> None:
        """Start background work."""
        ...

    async def stop(self) -> None:
        """Stop receiving."""
        ...

    async def close(self) -> None:
        """Close outbound connections (after the pipeline has stopped)."""
        ...


@dataclass(frozen=True, slots=True)
class Accepted:
    """The inbox's answer to an event: whether it is new (False for a duplicate)."""

    new: bool


Ingest = Callable[[InboundEvent], Awaitable[Accepted]]


@dataclass(frozen=True, slots=True)
class WebUser:
    """A member (or a guest: a customer's contact) signed in to the web chat."""

    handle: str
    name: str
    locale: str
    guest: bool = False  # a guest's handle is internal: never shown to them


class WebAuth(Protocol):
    """Web chat sign-in, backed by the directory."""

    async def local_members(self) -> list[WebUser]:
        """Members offered for local login."""
        ...

    async def start_local(self, handle: str) -> str | None:
        """A session secret for a local login as ``handle`` (None if no such active member)."""
        ...

    async def link_user(self, secret: str) -> WebUser | None:
        """The member a one-time login link would sign in, without using it up."""
        ...

    async def start_from_link(self, secret: str) -> str | None:
        """A session secret for a one-time login link (None if unknown, used or expired)."""
        ...

    async def invited_name(self, secret: str) -> str | None:
        """The name of the guest a one-time invitation would sign in, without using it up."""
        ...

    async def start_guest(self, secret: str) -> str | None:
        """A guest's session secret for a one-time invitation (None if unknown, used, expired)."""
        ...

    async def user_for(self, session_secret: str) -> WebUser | None:
        """The active member of a session."""
        ...

    async def end(self, session_secret: str) -> None:
        """Log out."""
        ...


class History(Protocol):
    """Reads a conversation back, for clients that (re)connect."""

    async def __call__(
        self, address: Address, limit: int, before: str = ""
    ) -> list[dict[str, Any]]:
        """The last ``limit`` lines (before the line whose ``cursor`` is ``before``, if given),
        oldest first, as JSON-safe dicts; ``ValueError`` for a cursor of no line of theirs."""
        ...


@dataclass(frozen=True, slots=True)
class ExternalContactChange:
    """A customer (external contact) added or removed by a member on a platform (WeCom)."""

    channel: str
    workspace: str
    staff_user_id: str
    external_user_id: str
    added: bool
    state: str
    changed_at: datetime
    profile: ExternalProfile | None = None  # what the platform tells of the customer, if known


@dataclass(frozen=True, slots=True)
class ExternalProfile:
    """A customer as the platform knows them, for matching to CRM contacts."""

    name: str  # the customer's own (WeChat) name
    remark: str = ""  # the member's note of their name, often the real one
    corp_name: str = ""
    phones: tuple[str, ...] = ()  # the numbers the member noted


class ExternalContacts(Protocol):
    """Where adapters record external contacts, for the CRM to build on."""

    async def record(self, change: ExternalContactChange) -> None:
        """Store the change durably; return only once it is committed."""
        ...


class SeenSignatures(Protocol):
    """Callback signatures already used, shared by every process on the database.

    For platforms whose signature does not cover the body (DingTalk's HTTP callbacks), so that
    one captured signature cannot carry a second, different body.
    """

    async def first_use(self, channel: str, signature: str, expires_at: datetime) -> bool:
        """Record ``signature`` until ``expires_at``; True only the first time it is recorded."""
        ...

    async def forget(self, channel: str, signature: str) -> None:
        """Let a signature be used again (its request could not be stored; it may be resent)."""
        ...


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file kept in a conversation, as a download serves it."""

    name: str
    content_type: str
    data: bytes


class Files(Protocol):
    """The files kept with conversations: what a member sends, what Bizbot sends them."""

    async def download(self, file_id: int, conversation_key: str) -> StoredFile | None:
        """A file of that conversation (None for one that is not, or no longer, there)."""
        ...

    async def keep(self, address: Address, sender_id: str, name: str, data: bytes) -> InboundFile:
        """Check a file a member sent (size, type by its bytes) and keep it if it is allowed
        and ``sender_id`` is an active member; either way, what the inbound event carries."""
        ...
