"""WeCom customers (external contacts) as CRM contacts, in chat.

When a member adds a customer on WeCom, the member is told which contact the customer was
matched to (with "Not them: unlink"), or offered the likely contacts as buttons, "Another
contact…" (they type its number) and "New customer". ``/contact link CONTACT W`` and
``/contact unlink CONTACT W`` do the same by command (``W`` is the number on the card).
"""

from __future__ import annotations

from typing import Any

from bot.context import CommandContext, TimerContext
from bot.i18n import _, t
from bot.logging import get_logger
from bot.parsing import record_number
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from bot.router import ActionSpec, PromptSpec, Router
from commands.crm.customer_common import scope
from domain.crm.external_links import (
    KIND,
    OFFERED,
    Candidate,
    LinkView,
    added_by,
    candidates,
    clear_match,
    link,
    link_as_new_customer,
    link_of,
    removed,
    unlink,
    yours,
)
from domain.crm.scope import scope_of
from domain.directory.external_contacts import ExternalContactView, external_contact
from domain.directory.roles import Permission
from domain.shared.errors import DomainError, NotFound
from domain.timers.services import TimerView

log = get_logger("bizbot.crm.external")

REASONS = {
    "colleague": _("a colleague linked them"),
    "phone": _("the phone number you noted"),
    "name": _("the name"),
}


def fire_contact_changed(ctx: TimerContext, timer: TimerView) -> None:
    """An external contact was added or removed: match, offer, or note the removal."""
    contact = external_contact(ctx.session, int(timer.payload["external_contact"]))
    if contact is not None and not contact.active:
        removed(ctx.session, contact, ctx.now)
        return
    member = added_by(ctx.session, contact) if contact is not None else None
    if contact is None or member is None:
        log.info("crm.external_contact_unclaimed", timer=timer.id)
        return
    if link_of(ctx.session, contact) is not None:
        return  # linked already: a repeated change
    member_scope = scope_of(ctx.session, member.id, member.roles)
    found = candidates(ctx.session, member_scope, contact)
    match = clear_match(found)
    if match is None:
        ctx.notify(member.id, offer_card(member.locale, contact, found[:OFFERED]))
        return
    linked = link(
        ctx.session,
        member_scope,
        contact,
        match.contact_id,
        actor_id=None,
        now=ctx.now,
        matched=True,
    )
    ctx.notify(member.id, linked_card(member.locale, contact, linked, REASONS[match.reason]))


def offer_card(locale: str, contact: ExternalContactView, found: list[Candidate]) -> Card:
    """The member is asked which contact a customer they added is."""
    number = contact.id
    buttons = [
        Button(
            t(
                locale,
                _("{contact} ({customer})"),
                contact=c.contact_name,
                customer=c.customer_name,
            ),
            Action("crm.external.link", f"{number}:{c.contact_id}"),
        )
        for c in found
    ]
    buttons += [
        Button(t(locale, _("Another contact…")), Action("crm.external.choose", str(number))),
        Button(
            t(locale, _("New customer")),
            Action("crm.external.new", str(number)),
            style=ButtonStyle.PRIMARY,
        ),
    ]
    body = (
        t(locale, _("Is this one of your contacts? Link them to keep their history together."))
        if found
        else t(locale, _("None of your contacts has this name or phone number."))
    )
    return Card(
        title=t(locale, _("New WeCom customer: {name}"), name=_name(contact)),
        body=body,
        fields=_profile_fields(locale, contact),
        buttons=tuple(buttons),
        footer=t(locale, _("Or: /contact link CONTACT {number}"), number=number),
        status=CardStatus.PENDING,
    )


def linked_card(locale: str, contact: ExternalContactView, linked: LinkView, why: str) -> Card:
    """A customer the member added was linked to a contact (by a match, or by them)."""
    fields = [
        CardField(t(locale, _("Contact")), f"#{linked.contact_id} {linked.contact_name}"),
        CardField(t(locale, _("Customer")), f"#{linked.customer_id} {linked.customer_name}"),
    ]
    if why:
        fields.append(CardField(t(locale, _("Matched by")), t(locale, why)))
    buttons: tuple[Button, ...] = ()
    if linked.matched:
        buttons = (
            Button(
                t(locale, _("Not them: unlink")), Action("crm.external.unlink", str(contact.id))
            ),
        )
    return Card(
        title=t(locale, _("WeCom customer {name} linked"), name=_name(contact)),
        fields=tuple(fields),
        buttons=buttons,
        status=CardStatus.SUCCESS,
    )


def link_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """A candidate's button: link to that contact."""
    number, _sep, contact_id = target.partition(":")
    return _link(ctx, int(number), int(contact_id))


def choose_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """ "Another contact…": ask for the contact's number."""
    contact = _yours(ctx, int(target))
    ctx.ask(
        "crm.external.link",
        Reply(
            ctx.t(
                _("Which contact is {name}? Send the contact's number (see /customer show)."),
                name=_name(contact),
            )
        ),
        {"external": contact.id},
    )
    return None


def choose_prompt(ctx: CommandContext, text: str, state: dict[str, Any]) -> Message | None:
    """The contact number typed after "Another contact…"."""
    contact_id = record_number(text)
    if contact_id is None:
        raise DomainError("Send a contact's number, like 12.")
    return _link(ctx, int(state["external"]), contact_id)


def new_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """ "New customer": a customer owned by the member, with this person as its contact."""
    contact = _yours(ctx, int(target))
    linked = link_as_new_customer(ctx.session, scope(ctx), contact, ctx.actor.id, ctx.now)
    return linked_card(ctx.locale, contact, linked, "")


def unlink_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """ "Not them": undo a match, and offer the choice again."""
    contact = _yours(ctx, int(target))
    unlink(ctx.session, scope(ctx), contact, ctx.actor.id, ctx.now)
    return offer_card(ctx.locale, contact, candidates(ctx.session, scope(ctx), contact)[:OFFERED])


def link_command(ctx: CommandContext, words: list[str]) -> Message:
    """``/contact link CONTACT W``."""
    contact_id, number = _two_numbers(words, _("/contact link 12 3"))
    return _link(ctx, number, contact_id)


def unlink_command(ctx: CommandContext, words: list[str]) -> Message:
    """``/contact unlink CONTACT W``."""
    contact_id, number = _two_numbers(words, _("/contact unlink 12 3"))
    contact = _yours(ctx, number)
    current = link_of(ctx.session, contact)
    if current is None or current.contact_id != contact_id:
        raise NotFound("WeCom customer #{id} is not linked to a contact.", id=number)
    unlink(ctx.session, scope(ctx), contact, ctx.actor.id, ctx.now)
    return Reply(
        ctx.t(
            _("WeCom customer {name} is no longer linked to contact #{contact}."),
            name=_name(contact),
            contact=contact_id,
        )
    )


def _link(ctx: CommandContext, number: int, contact_id: int) -> Message:
    contact = _yours(ctx, number)
    linked = link(ctx.session, scope(ctx), contact, contact_id, actor_id=ctx.actor.id, now=ctx.now)
    return linked_card(ctx.locale, contact, linked, "")


def _yours(ctx: CommandContext, number: int) -> ExternalContactView:
    try:
        return yours(ctx.session, ctx.actor, number)
    except NotFound:
        log.warning("refused.crm_external_contact", member=ctx.actor.handle, external=number)
        raise


def _two_numbers(words: list[str], example: str) -> tuple[int, int]:
    numbers = [n for n in (record_number(w) for w in words) if n is not None]
    if len(numbers) != 2 or len(words) != 2:
        raise DomainError("For example: {example}", example=example)
    return numbers[0], numbers[1]


def _name(contact: ExternalContactView) -> str:
    return contact.profile.display_name or contact.external_user_id


def _profile_fields(locale: str, contact: ExternalContactView) -> tuple[CardField, ...]:
    profile = contact.profile
    pairs = [
        (_("WeCom customer"), f"#{contact.id}"),
        (_("Their name"), profile.name if profile.remark else ""),
        (_("Company"), profile.corp_name),
        (_("Phone"), ", ".join(profile.phones)),
    ]
    return tuple(CardField(t(locale, label), value) for label, value in pairs if value)


def register(router: Router) -> None:
    """Register the buttons and the question of the WeCom customer cards."""
    for name, handler in (
        ("crm.external.link", link_button),
        ("crm.external.choose", choose_button),
        ("crm.external.new", new_button),
        ("crm.external.unlink", unlink_button),
    ):
        router.add_action(ActionSpec(name=name, handler=handler, permission=Permission.CRM_USE))
    router.add_prompt(PromptSpec(name="crm.external.link", handler=choose_prompt))


TIMER_HANDLERS = {KIND: fire_contact_changed}
