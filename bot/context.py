"""What a command handler gets: who is asking, in which language, and how to answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.events import Address, InboundEvent
from bot.i18n import t
from bot.pipeline.outbox import OutboxWriter
from bot.replies import Message
from bot.router import Router
from domain.directory.reach import preferred_account
from domain.directory.roles import Permission, allows
from domain.directory.services import member_view
from domain.directory.views import MemberView, OrgView
from domain.timers.reminders import RecordState
from domain.timers.services import TimerView


@dataclass(frozen=True, slots=True)
class Policies:
    """Operator-set limits that commands apply (from Settings)."""

    invite_ttl: timedelta = timedelta(days=7)
    notify_channels: frozenset[str] = frozenset({"webchat"})
    record_states: Mapping[str, RecordState] = field(default_factory=dict)
    built_in_channel: str = "webchat"  # where every member can be reached, by handle
    public_url: str = ""  # where people reach this installation (links in messages)


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
    def origin(self) -> Address:
        """The conversation the event came from."""
        return self.event.address

    def t(self, msgid: str, **params: Any) -> str:
        """Translate into the actor's language."""
        return t(self.locale, msgid, **params)

    def may(self, permission: Permission) -> bool:
        """Whether the actor holds a permission."""
        return allows(self.actor.roles, permission)

    def reply(self, message: Message, *, subject: str | None = None) -> int:
        """Answer in the conversation the event came from."""
        return self.outbox.send(
            self.origin,
            message,
            recipient_id=self.actor.id,
            subject=subject,
            context=self.event.extra,
        )

    def notify(self, member_id: int, message: Message, *, subject: str | None = None) -> int:
        """Send to a member where they prefer to be reached (their chosen channel, or the first)."""
        return notify_member(self.session, self.outbox, self.policies, member_id, message, subject)

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
    """Queue a message for a member on their preferred channel; returns the outbox row id."""
    account = preferred_account(
        session, member_id, policies.notify_channels, policies.built_in_channel
    )
    address = Address(account.channel, account.user, account.workspace)
    return outbox.send(address, message, recipient_id=member_id, subject=subject)


@dataclass
class TimerContext:
    """What a timer handler gets: the transaction that marks the timer fired, and a way to speak."""

    session: Session
    now: datetime
    outbox: OutboxWriter
    policies: Policies
    late: timedelta
    expired: bool

    def notify(self, member_id: int, message: Message, *, subject: str | None = None) -> int:
        """Send to a member where they prefer to be reached."""
        return notify_member(self.session, self.outbox, self.policies, member_id, message, subject)

    def member(self, member_id: int) -> MemberView:
        """A member, for their name, language and time zone."""
        return member_view(self.session, member_id)


TimerHandler = Callable[[TimerContext, TimerView], None]
