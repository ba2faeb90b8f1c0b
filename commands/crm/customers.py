"""/customer add|find|show|edit|assign|transfer and /customers mine|team.

Every customer id goes through the actor's scope (``customer_common``); out of scope reads like
missing. Contacts and communication records are in ``contacts``, handover in ``handover``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext, TimerHandler
from bot.i18n import _, t
from bot.parsing import record_number
from bot.reader import Kind, Reading
from bot.replies import CardStatus, Message, Reply
from bot.router import CommandSpec, Router
from commands.crm import contacts, handover
from commands.crm.customer_cards import customer_card, customer_list
from commands.crm.customer_common import (
    customer_for,
    is_manager,
    member_for,
    scope,
    split_list,
)
from commands.crm.guest_invites import invite_contact
from commands.crm.lines import KIND_CHOICES, customer_named, field, read_line
from commands.crm.verbs import action_names, action_of
from domain.crm.customers import (
    CUSTOMER_KEYS,
    Value,
    add_customer,
    assign_customer,
    check_owner,
    customers_of,
    edit_customer,
    find_customers,
)
from domain.crm.models import Customer
from domain.directory.roles import Permission
from domain.directory.services import member_view
from domain.shared.errors import DomainError, Forbidden

log = structlog.get_logger(__name__)
TIMER_HANDLERS: dict[str, TimerHandler] = {}
FOUND_SHOWN = 20
PAGE = 20
CUSTOMER_FIELDS = (
    field("kind", Kind.CHOICE, choices=KIND_CHOICES),
    *(field(key) for key in ("industry", "tier", "source", "tags", "phone", "email", "address")),
    field("key"),
)
LISTED = ("tags",)


class CustomerArgs(BaseModel):
    """``/customer add|find|show|edit|assign|transfer …``; what follows the action word is read
    by the kernel's argument reader (``commands/crm/lines.py``)."""

    action: str = Field(description=_("add|find|show|edit|assign|transfer"))
    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


class CustomersArgs(BaseModel):
    """``/customers [mine|team] [page]``."""

    which: Literal["mine", "team"] = Field(
        default="mine",
        description=_("mine|team"),
        json_schema_extra={"words": {"mine": ["我的", "my"], "team": ["团队"]}},
    )
    page: int = Field(default=1, ge=1, le=10_000, description=_("page"))


Subcommand = Callable[[CommandContext, CustomerArgs], Message]


def customer(ctx: CommandContext, args: CustomerArgs) -> Message:
    """Run one ``/customer`` subcommand (``/customer 12`` shows customer 12)."""
    if record_number(args.action) is not None:
        return customer_card(ctx, customer_for(ctx, args.action))
    action = action_of(args.action, SUBCOMMANDS)
    if action is None:
        raise DomainError(
            "/customer takes one of: {choices}.", choices=action_names(SUBCOMMANDS, ctx.locale)
        )
    return SUBCOMMANDS[action](ctx, args)


def after_action(ctx: CommandContext) -> str:
    """What was typed after the subcommand's word."""
    return ctx.typed.partition(" ")[2].strip()


def values_of(reading: Reading, keys: tuple[str, ...]) -> dict[str, Value]:
    """The fields read, lists split (``tags=vip,retail``)."""
    return {
        key: split_list(value) if key in LISTED else value
        for key, value in reading.values.items()
        if key in keys
    }


def _add(ctx: CommandContext, args: CustomerArgs) -> Message:
    fields = (field("name", positional=True), *CUSTOMER_FIELDS, field("owner", Kind.MEMBER))
    reading = read_line(ctx, fields, after_action(ctx))
    values = values_of(reading, CUSTOMER_KEYS)
    owner_id = ctx.actor.id
    if "owner" in reading.values:
        owner_id = member_for(ctx, reading.values["owner"]).id
        check_owner(ctx.session, scope(ctx), owner_id)
    customer_id = add_customer(
        ctx.session, values=values, owner_id=owner_id, actor_id=ctx.actor.id, now=ctx.now
    )
    name = str(values.get("name", ""))
    title = ctx.t(_("Customer #{id} added: {name}"), id=customer_id, name=name)
    return customer_card(ctx, customer_for(ctx, str(customer_id)), title, CardStatus.SUCCESS)


def _find(ctx: CommandContext, args: CustomerArgs) -> Message:
    text = after_action(ctx)
    found = find_customers(ctx.session, scope(ctx), text, limit=FOUND_SHOWN)
    title = ctx.t(_("Customers matching {text} ({count})"), text=text.strip(), count=found.total)
    return customer_list(ctx, title, found)


def _show(ctx: CommandContext, args: CustomerArgs) -> Message:
    return customer_card(ctx, _one(ctx, _("/customer show 12")))


def _one(ctx: CommandContext, example: str) -> Customer:
    """The customer named after the action word (by number or name)."""
    text = after_action(ctx)
    if not text:
        raise DomainError("Which customer? For example: {example}", example=example)
    return customer_named(ctx, text)


def _edit(ctx: CommandContext, args: CustomerArgs) -> Message:
    fields = (field("customer", Kind.RECORD, positional=True), field("name"), *CUSTOMER_FIELDS)
    reading = read_line(ctx, fields, after_action(ctx))
    if "customer" not in reading.values:
        raise DomainError(
            "Which customer? For example: {example}", example=_("/customer edit 12 tier=A")
        )
    target = customer_named(ctx, reading.values["customer"])
    edit_customer(ctx.session, target, values_of(reading, CUSTOMER_KEYS), ctx.actor.id, ctx.now)
    title = ctx.t(_("Customer #{id} changed: {name}"), id=target.id, name=target.name)
    return customer_card(ctx, target, title, CardStatus.SUCCESS)


def _invite(ctx: CommandContext, args: CustomerArgs) -> Message:
    """``/customer invite N``: a one-time chat link for contact N, as ``/guest-invite N``."""
    return invite_contact(ctx, after_action(ctx).split())


def _assign(ctx: CommandContext, args: CustomerArgs) -> Message:
    fields = (
        field("customer", Kind.RECORD, positional=True),
        field("owner", Kind.MEMBER, positional=True),
    )
    reading = read_line(ctx, fields, after_action(ctx))
    if not {"customer", "owner"} <= set(reading.values):
        raise DomainError(
            "Say which customer and to whom, for example: {example}",
            example=_("/customer assign 12 @erin"),
        )
    target = customer_named(ctx, reading.values["customer"])
    new_owner = member_for(ctx, reading.values["owner"])
    previous = assign_customer(ctx.session, target, new_owner.id, ctx.actor.id, ctx.now)
    for member_id in {previous, new_owner.id} - {ctx.actor.id}:
        member = member_view(ctx.session, member_id)
        ctx.notify(
            member_id,
            Reply(
                t(
                    member.locale,
                    _("🔁 {actor} gave customer #{id} ({name}) to {owner} (@{handle})."),
                    actor=ctx.actor.name,
                    id=target.id,
                    name=target.name,
                    owner=new_owner.name,
                    handle=new_owner.handle,
                )
            ),
        )
    return Reply(
        ctx.t(
            _("Customer #{id} ({name}) now belongs to {owner} (@{handle})."),
            id=target.id,
            name=target.name,
            owner=new_owner.name,
            handle=new_owner.handle,
        )
    )


SUBCOMMANDS: dict[str, Subcommand] = {
    "add": _add,
    "find": _find,
    "show": _show,
    "edit": _edit,
    "assign": _assign,
    "transfer": handover.transfer_command,
    "invite": _invite,
}


def customers(ctx: CommandContext, args: CustomersArgs) -> Message:
    """List the actor's customers, or (managers) their team's."""
    offset = (args.page - 1) * PAGE
    mine = args.which == "mine"
    if not mine and not is_manager(ctx):
        log.warning("refused.crm_team", member=ctx.actor.handle)
        raise Forbidden("Only managers can list their team's customers.")
    owners = {ctx.actor.id} if mine else None
    found = customers_of(ctx.session, scope(ctx), owners, limit=PAGE, offset=offset)
    title = ctx.t(
        _("My customers ({count})") if mine else _("Team customers ({count})"), count=found.total
    )
    return customer_list(ctx, title, found, offset)


def register(router: Router) -> None:
    """Register the customer, contact and communication record commands."""
    router.add(
        CommandSpec(
            name="customer",
            summary=_("Add, find, show, change, assign or hand over customers"),
            handler=customer,
            args=CustomerArgs,
            aliases=("客户",),
            permission=Permission.CRM_USE,
            details=_(
                "A customer is an id such as 12 or #12. Fields are key=value; tags and phones "
                "take a,b lists."
            ),
            examples=(
                _("/customer add Acme Ltd industry=retail tier=A phone=021-5555-0000"),
                _("/customer find 华为"),
                _("/customer show 12"),
                _("/customer edit 12 tier=B tags=vip,retail"),
                _("/customer assign 12 @erin"),
                _("/customer transfer @bob @erin all"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="customers",
            summary=_("List your customers, or your team's"),
            handler=customers,
            args=CustomersArgs,
            aliases=("客户列表",),
            permission=Permission.CRM_USE,
            examples=(_("/customers mine"), _("/customers team 2")),
        )
    )
    contacts.register(router)
