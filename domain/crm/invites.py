"""One-time invites that bind a chat account to a customer's contact, making it a guest.

An invite's secret is shown once (in the links the rep passes on) and stored only as its
SHA-256, like the directory's bind codes and login links."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.crm.models import Contact, GuestAccount, GuestInvite
from domain.directory.services import token_hash
from domain.shared.errors import Conflict, NotFound

SECRET_BYTES = 24  # 32 URL-safe characters: fits a Telegram ``start`` parameter with its prefix


def create_invite(
    session: Session, contact_id: int, created_by: int, now: datetime, ttl: timedelta
) -> str:
    """A new one-time invite for the contact; returns the secret (stored only hashed)."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    session.add(
        GuestInvite(
            token_hash=token_hash(secret),
            contact_id=contact_id,
            created_by=created_by,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return secret


def redeem_invite(session: Session, secret: str, now: datetime) -> Contact:
    """Use an invite exactly once (compare-and-set); its contact, or ``NotFound``."""
    hashed = token_hash(secret)
    used = session.execute(
        update(GuestInvite)
        .where(
            GuestInvite.token_hash == hashed,
            GuestInvite.used_at.is_(None),
            GuestInvite.expires_at > now,
        )
        .values(used_at=now)
    )
    invite = session.get(GuestInvite, hashed) if used.rowcount == 1 else None  # type: ignore[attr-defined]
    contact = session.get(Contact, invite.contact_id) if invite else None
    if contact is None:
        raise NotFound("This invitation is unknown, used or expired. Ask for a new one.")
    return contact


def invited_name(session: Session, secret: str, now: datetime) -> str | None:
    """The name of the contact an invite would sign in, without using it (None: unknown, used
    or expired)."""
    invite = session.get(GuestInvite, token_hash(secret))
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    return session.scalar(select(Contact.name).where(Contact.id == invite.contact_id))


def bind_guest(
    session: Session,
    secret: str,
    account: tuple[str, str, str],
    conversation: str,
    now: datetime,
) -> Contact:
    """Redeem an invite for a chat account ``(channel, workspace, platform user)``: from now on
    its messages are the contact's. An account already bound as a guest is refused."""
    channel, workspace, user = account
    existing = session.scalar(
        select(GuestAccount).where(
            GuestAccount.channel == channel,
            GuestAccount.workspace == workspace,
            GuestAccount.platform_user_id == user,
        )
    )
    if existing is not None and existing.active:
        raise Conflict("This chat is already linked to a customer contact.")
    contact = redeem_invite(session, secret, now)
    if existing is None:
        session.add(
            GuestAccount(
                contact_id=contact.id,
                channel=channel,
                workspace=workspace,
                platform_user_id=user,
                conversation_id=conversation,
                created_at=now,
            )
        )
    else:  # a chat unlinked before: link it again, to this invite's contact
        existing.contact_id, existing.conversation_id = contact.id, conversation
        existing.active, existing.created_at = True, now
    session.flush()
    return contact


WEB_CHANNEL = "webchat"
WEB_HANDLE_PREFIX = "guest~"  # "~" is never in a member's handle, so the two never meet


@dataclass(frozen=True, slots=True)
class WebGuest:
    """A guest signed in to the web chat: their conversation's handle, name and language."""

    handle: str
    name: str
    locale: str


def web_handle(cookie: str) -> str:
    """The web chat handle (and conversation) of a guest's session cookie; derived from its hash,
    so the database holds nothing that signs anyone in."""
    return WEB_HANDLE_PREFIX + token_hash(cookie)[:32]


def start_web_guest(session: Session, secret: str, now: datetime) -> tuple[str, WebGuest]:
    """Redeem an invite in the web chat: a new session cookie, bound as a guest account."""
    cookie = secrets.token_urlsafe(32)
    handle = web_handle(cookie)
    contact = bind_guest(session, secret, (WEB_CHANNEL, "", handle), handle, now)
    return cookie, WebGuest(handle, contact.name, contact.locale)


def web_guest(session: Session, cookie: str, now: datetime, ttl: timedelta) -> WebGuest | None:
    """The guest a web chat cookie signs in, while their account is active and not older than
    ``ttl``; None otherwise."""
    row = session.execute(
        select(GuestAccount.platform_user_id, GuestAccount.created_at, Contact.name, Contact.locale)
        .join(Contact, Contact.id == GuestAccount.contact_id)
        .where(
            GuestAccount.channel == WEB_CHANNEL,
            GuestAccount.workspace == "",
            GuestAccount.platform_user_id == web_handle(cookie),
            GuestAccount.active.is_(True),
        )
    ).first()
    if row is None or row.created_at + ttl <= now:
        return None
    return WebGuest(row.platform_user_id, row.name, row.locale)


def end_web_guest(session: Session, cookie: str) -> None:
    """Sign a web guest out: their account is deactivated (a new invite signs them in again)."""
    session.execute(
        update(GuestAccount)
        .where(
            GuestAccount.channel == WEB_CHANNEL,
            GuestAccount.platform_user_id == web_handle(cookie),
        )
        .values(active=False)
    )
