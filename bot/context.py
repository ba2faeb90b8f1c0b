"""What a command handler gets: who is asking, in which language, and how to answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.events import Address, InboundEvent, InboundFile
from bot.i18n import _, t
from bot.parsing import split_command
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.prompts import open_prompt
from bot.replies import Message, Reply
from bot.router import Router
from domain.crm.deals import DEFAULT_RULES, DealRules
from domain.crm.ticket_sla import TicketPolicy
from domain.directory.reach import preferred_account, preferred_accounts
from domain.directory.roles import Permission, allows
from domain.directory.services import member_view, member_views
from domain.directory.views import MemberView, OrgView
from domain.timers.reminders import RecordState
from domain.timers.services import TimerView

PROMPT_TTL = timedelta(minutes=30)
SENT_DIRECTLY = _("I've sent it to you in a direct message.")


@dataclass(frozen=True, slots=True)
class Policies:
    """Operator-set limits that commands apply (from Settings)."""

    invite_ttl: timedelta = timedelta(days=7)
    notify_channels: frozenset[str] = frozenset({"webchat"})
    record_states: Mapping[str, RecordState] = field(default_factory=dict)
    built_in_channel: str = "webchat"  # where every member can be reached, by handle
    public_url: str = ""  # where people reach this installation (links in messages)
    deals: DealRules = DEFAULT_RULES
    tickets: TicketPolicy = field(default_factory=TicketPolicy)  # SLA hours, service department
    telegram_bot: str = ""  # the Telegram bot's username, for t.me deep links ("": none)
    guest_invite_ttl: timedelta = timedelta(days=7)
    guest_commands_per_minute: int = 20  # per guest conversation; then one notice, then silence
    guest_relay_after_hours: bool = False  # off hours, a guest's message goes to the rep's manager
    stranger_events_per_minute: int = 10  # per unbound sender; then one notice, then silence
    room_channels: frozenset[str] = frozenset()  # channels whose clients open rooms (deal rooms)

    def delivers_to(self, channel: str) -> bool:
        """Whether notifications can go to a channel (the console, for one, gets none)."""
        return channel in self.notify_channels or channel == self.built_in_channel


@dataclass(frozen=True, slots=True)
class GuestView:
    """A sender the application recognises as a guest (e.g. a customer's contact)."""

    actor_id: int  # negative: never a member's id; their buttons are bound to it
    name: str
    locale: str  # "" for the org's


GuestResolver = Callable[[Session, InboundEvent], GuestView | None]


@dataclass
class CommandContext:
    """One event being handled, inside the transaction that will also carry its replies."""

    session: Session
    event: InboundEvent
    actor: MemberView
    org: OrgView
    now: datetime
    outbox: OutboxWriter
    router: Router
    correlation_id: str
    policies: Policies = field(default_factory=Policies)
    card_id: int | None = None  # the outbox row of the card whose button was tapped
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def locale(self) -> str:
        """The actor's language."""
        return self.actor.locale

    @property
    def is_stranger(self) -> bool:
        """Whether the sender is not (yet) a member: only commands for strangers reach here then."""
        return self.actor.id == 0

    @property
    def is_guest(self) -> bool:
        """Whether the sender is a guest: only commands, buttons and questions for guests reach
        here then."""
        return self.actor.id < 0

    @property
    def typed(self) -> str:
        """What was typed after the command word (normalised); empty for a button."""
        text = self.event.text.strip()
        line = split_command(text if text.startswith(("/", "／")) else "/" + text)
        return line.rest if line else ""

    @property
    def files(self) -> tuple[InboundFile, ...]:
        """The files the member sent with this message that were checked and kept (a receipt)."""
        return tuple(f for f in self.event.files if f.file_id is not None)

    @property
    def origin(self) -> Address:
        """The conversation the event came from."""
        return self.event.address

    @property
    def direct(self) -> Address:
        """The sender's direct chat on the channel the event came from (for direct messages the
        user id is the chat, as for notifications)."""
        origin = self.origin
        return Address(origin.channel, self.event.sender_id, origin.workspace)

    def t(self, msgid: str, **params: Any) -> str:
        """Translate into the actor's language."""
        return t(self.locale, msgid, **params)

    def may(self, permission: Permission) -> bool:
        """Whether the actor holds a permission."""
        return allows(self.actor.roles, permission)

    def reply(self, message: Message, *, subject: str | None = None) -> int:
        """Answer in the conversation the event came from.

        A message carrying secrets never goes to a group: it goes to the sender's direct chat,
        and the group is told so.
        """
        if message.secrets and not self.event.is_direct:
            row_id = self.outbox.send(
                self.direct, message, recipient_id=self.actor.id, subject=subject
            )
            self.reply(Reply(self.t(SENT_DIRECTLY)))
            return row_id
        return self.outbox.send(
            self.origin,
            message,
            recipient_id=self.actor.id,
            subject=subject,
            context=self.event.extra,
        )

    def notify(self, member_id: int, message: Message, *, subject: str | None = None) -> int:
        """Send to a member where they are (``domain.directory.reach.reaches``: the channel they
        chose, else the one they last wrote from, else their first account)."""
        return notify_member(self.session, self.outbox, self.policies, member_id, message, subject)

    def ask(
        self,
        prompt: str,
        question: Message,
        state: dict[str, Any] | None = None,
        ttl: timedelta = PROMPT_TTL,
    ) -> int:
        """Ask the actor something: their next message here goes to the prompt handler ``prompt``.

        ``state`` (JSON-safe) is handed to that handler with the answer; "cancel" drops it.
        """
        open_prompt(
            self.session,
            self.origin.key,
            self.actor.id,
            prompt,
            state or {},
            self.now,
            self.now + ttl,
        )
        return self.reply(question)

    def update_cards(self, subject: str, message: Message) -> int:
        """Replace every copy of the cards about ``subject`` (e.g. each approver's)."""
        return self.outbox.edit_subject(subject, message)

    def edit_card(self, message: Message) -> int:
        """Replace the card whose button was tapped (or answer anew if there is none)."""
        if self.card_id is None:
            return self.reply(message)
        return self.outbox.edit(
            self.card_id, message, recipient_id=self.actor.id, context=self.event.extra
        )


def notify_member(
    session: Session,
    outbox: OutboxWriter,
    policies: Policies,
    member_id: int,
    message: Message,
    subject: str | None = None,
) -> int:
    """Queue a notification for a member where they are (see ``address_of``); returns the
    outbox row id. Answers to a command use ``CommandContext.reply`` instead."""
    address = address_of(session, policies, member_id)
    return outbox.send(address, message, recipient_id=member_id, subject=subject)


def address_of(session: Session, policies: Policies, member_id: int) -> Address:
    """Where a member's notifications go: the channel they chose, else the one they last wrote
    from, else their first account (``domain.directory.reach.reaches``, the one rule)."""
    account = preferred_account(
        session, member_id, policies.notify_channels, policies.built_in_channel
    )
    return Address(account.channel, account.user, account.workspace)


class Speaking(Protocol):
    """What renders a card for one reader: the transaction, and the reader's language."""

    @property
    def session(self) -> Session: ...

    @property
    def locale(self) -> str: ...

    def t(self, msgid: str, **params: Any) -> str:
        """Translate into the reader's language."""
        ...


@dataclass(frozen=True, slots=True)
class SpeakingTo:
    """A reader who is not the one acting: a card rendered for a member a flow tells."""

    session: Session
    locale: str

    def t(self, msgid: str, **params: Any) -> str:
        """Translate into the reader's language."""
        return t(self.locale, msgid, **params)


@dataclass
class BatchMemo:
    """Members and their addresses looked up once per batch of timers (one transaction, in
    which timer handlers do not change members)."""

    members: dict[int, MemberView] = field(default_factory=dict)
    addresses: dict[int, Address] = field(default_factory=dict)

    def preload(self, session: Session, policies: Policies, member_ids: set[int]) -> None:
        """Look up these members and where to reach them, in a few queries for all."""
        ids = member_ids - set(self.members)
        if not ids:
            return
        self.members |= member_views(session, ids)
        accounts = preferred_accounts(
            session, ids, policies.notify_channels, policies.built_in_channel
        )
        self.addresses |= {
            member_id: Address(a.channel, a.user, a.workspace) for member_id, a in accounts.items()
        }


@dataclass
class TimerContext:
    """What a timer handler gets: the transaction that marks the timer fired, and a way to speak."""

    session: Session
    now: datetime
    outbox: OutboxWriter
    policies: Policies
    late: timedelta
    expired: bool
    memo: BatchMemo = field(default_factory=BatchMemo)

    def notify(self, member_id: int, message: Message, *, subject: str | None = None) -> int:
        """Send to a member where they are (see ``address_of``)."""
        address = self.memo.addresses.get(member_id)
        if address is None:
            address = address_of(self.session, self.policies, member_id)
            self.memo.addresses[member_id] = address
        return self.outbox.send(address, message, recipient_id=member_id, subject=subject)

    def member(self, member_id: int) -> MemberView:
        """A member, for their name, language and time zone."""
        member = self.memo.members.get(member_id)
        if member is None:
            member = self.memo.members[member_id] = member_view(self.session, member_id)
        return member


TimerHandler = Callable[[TimerContext, TimerView], None]
