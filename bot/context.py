"""What a command handler gets: who is asking, in which language, and how to answer."""

from __future__ import annotations

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
from domain.directory.views import MemberView, OrgView


@dataclass(frozen=True, slots=True)
class Policies:
    """Operator-set limits that commands apply (from Settings)."""

    invite_ttl: timedelta = timedelta(days=7)
    notify_channels: frozenset[str] = frozenset({"webchat"})


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
        account = preferred_account(self.session, member_id, self.policies.notify_channels)
        address = Address(account.channel, account.user, account.workspace)
        return self.outbox.send(address, message, recipient_id=member_id, subject=subject)

    def edit_card(self, message: Message) -> int:
        """Replace the card whose button was tapped (or answer anew if there is none)."""
        if self.card_id is None:
            return self.reply(message)
        return self.outbox.edit(
            self.card_id, message, recipient_id=self.actor.id, context=self.event.extra
        )
