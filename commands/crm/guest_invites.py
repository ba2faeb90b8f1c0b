"""Inviting a customer's contact into chat: a one-time Telegram deep link and web chat guest link
(``/guest-invite N``, and ``/customer invite N`` through ``invite_contact``), and ``/join`` which
the Telegram deep link sends when a stranger opens it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _, normalise_locale, t
from bot.logging import get_logger
from bot.parsing import RecordNumber, record_number
from bot.ports import GUEST_LINK_PREFIX
from bot.replies import Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from bot.router import Audience, CommandSpec, Router
from commands.crm.guest_relay import tell_rep
from domain.crm.access import audit, contact_in_scope
from domain.crm.invites import bind_guest, create_invite
from domain.crm.models import Contact, Customer
from domain.crm.scope import scope_of
from domain.directory.roles import Permission
from domain.shared.errors import DomainError, NotFound

log = get_logger("bizbot.crm.guests")


class InviteArgs(BaseModel):
    """``/guest-invite N``."""

    contact: RecordNumber = Field(description=_("contact number"))


class JoinArgs(BaseModel):
    """``/join TOKEN`` (what a Telegram invite link sends)."""

    token: str = Field(description=_("invitation"))


def invite_contact(ctx: CommandContext, words: list[str]) -> Message:
    """``/customer invite N``: the same as ``/guest-invite N`` (``words`` are those after
    ``invite``)."""
    contact = record_number(words[0]) if len(words) == 1 else None
    if contact is None:
        raise DomainError("Give the contact's number, e.g. /guest-invite 12.")
    return invite(ctx, InviteArgs(contact=contact))


def invite(ctx: CommandContext, args: InviteArgs) -> Message:
    """Make a one-time invite for a contact in the member's scope and show its links (in a
    direct chat only)."""
    scope = scope_of(ctx.session, ctx.actor.id, ctx.actor.roles)
    try:
        contact = contact_in_scope(ctx.session, scope, args.contact)
    except NotFound:
        log.warning("refused.crm_contact", member=ctx.actor.handle, contact=args.contact)
        raise
    ttl = ctx.policies.guest_invite_ttl
    secret = create_invite(ctx.session, contact.id, ctx.actor.id, ctx.now, ttl)
    audit(ctx.session, ctx.actor.id, "guest.invite", ("contact", contact.id), ctx.now)
    return Card(
        title=ctx.t(_("Chat invitation for {contact}"), contact=contact.name),
        body=ctx.t(
            _("Send them one of these links. It works once, for {days} days."),
            days=max(1, ttl.days),
        ),
        fields=_links(ctx, secret),
        status=CardStatus.SUCCESS,
        secrets=(secret,),
    )


def _links(ctx: CommandContext, secret: str) -> tuple[CardField, ...]:
    """The Telegram deep link (when the bot's username is configured) and the web chat link."""
    links = []
    if ctx.policies.telegram_bot:
        url = f"https://t.me/{ctx.policies.telegram_bot}?start={GUEST_LINK_PREFIX}{secret}"
        links.append(CardField("Telegram", url))
    base = ctx.policies.public_url.rstrip("/")
    links.append(CardField(ctx.t(_("Web chat")), f"{base}/guest/{secret}"))
    return tuple(links)


def join(ctx: CommandContext, args: JoinArgs) -> Message:
    """A stranger opened an invite link: bind their chat account to the invite's contact."""
    address = ctx.origin
    account = (address.channel, address.workspace, ctx.event.sender_id)
    secret = args.token.removeprefix(GUEST_LINK_PREFIX)
    try:
        contact = bind_guest(ctx.session, secret, account, address.conversation, ctx.now)
    except DomainError:
        log.warning("refused.guest_invite", channel=address.channel)
        raise
    log.info("crm.guest_bound", contact=contact.id, channel=address.channel)
    customer = ctx.session.get(Customer, contact.customer_id)
    assert customer is not None
    audit(
        ctx.session, None, "guest.bound", ("contact", contact.id), ctx.now, channel=address.channel
    )
    _tell_owner(ctx, contact, customer)
    locale = normalise_locale(contact.locale) if contact.locale else ctx.locale
    return Reply(
        t(
            locale,
            _(
                "Welcome, {name}! This chat is now linked to {company}. Write here any time; "
                "/help shows what else you can do."
            ),
            name=contact.name,
            company=ctx.org.name,
        )
    )


def _tell_owner(ctx: CommandContext, contact: Contact, customer: Customer) -> None:
    def compose(locale: str) -> Message:
        return Reply(
            t(
                locale,
                _("{contact} of {customer} linked their chat; their messages will reach you here."),
                contact=contact.name,
                customer=customer.name,
            )
        )

    tell_rep(ctx, customer.owner_id, compose)


def register(router: Router) -> None:
    """Register /guest-invite and /join."""
    router.add(
        CommandSpec(
            name="guest-invite",
            summary=_("Invite a customer's contact to chat with you"),
            handler=invite,
            args=InviteArgs,
            aliases=("访客邀请",),
            permission=Permission.CRM_USE,
            examples=(_("/guest-invite 12"),),
        )
    )
    router.add(
        CommandSpec(
            name="join",
            summary=_("Link this chat with an invitation"),
            handler=join,
            args=JoinArgs,
            audience=Audience.STRANGERS,
            takes_secret=True,
        )
    )
