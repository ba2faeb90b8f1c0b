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
from domain.directory.roles import Permission
from domain.directory.services import member_view
from domain.shared.errors import DomainError, Forbidden

log = structlog.get_logger(__name__)
TIMER_HANDLERS: dict[str, TimerHandler] = {}
FOUND_SHOWN = 20
PAGE = 20
OPTION_KEYS = (
    "name",
    "kind",
    "industry",
    "tier",
    "source",
    "tags",
    "phone",
    "email",
    "address",
    "key",
)


class CustomerArgs(BaseModel):
    """``/customer add|find|show|edit|assign|transfer …`` with ``key=value`` fields."""

    action: str = Field(description=_("add|find|show|edit|assign|transfer"))
    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})
    name: str | None = Field(default=None, description=_("name="))
    kind: str | None = Field(default=None, description=_("kind=company|person"))
    industry: str | None = Field(default=None, description=_("industry="))
    tier: str | None = Field(default=None, description=_("tier="))
    source: str | None = Field(default=None, description=_("source="))
    tags: str | None = Field(default=None, description=_("tags=a,b"))
    phone: str | None = Field(default=None, description=_("phone="))
    email: str | None = Field(default=None, description=_("email="))
    address: str | None = Field(default=None, description=_("address="))
    key: str | None = Field(default=None, description=_("key="))
    owner: str | None = Field(default=None, description=_("owner=@rep"))


class CustomersArgs(BaseModel):
    """``/customers [mine|team] [page]``."""

    which: Literal["mine", "team"] = Field(default="mine", description=_("mine|team"))
    page: int = Field(default=1, ge=1, le=10_000, description=_("page"))


Subcommand = Callable[[CommandContext, CustomerArgs], Message]


def customer(ctx: CommandContext, args: CustomerArgs) -> Message:
    """Run one ``/customer`` subcommand (``/customer 12`` shows customer 12)."""
    if record_number(args.action) is not None:
        args = args.model_copy(update={"action": "show", "rest": f"{args.action} {args.rest}"})
    action = action_of(args.action, SUBCOMMANDS)
    if action is None:
        raise DomainError(
            "/customer takes one of: {choices}.", choices=action_names(SUBCOMMANDS, ctx.locale)
        )
    return SUBCOMMANDS[action](ctx, args)


def values_of(args: CustomerArgs, words: list[str], allowed: tuple[str, ...]) -> dict[str, Value]:
    """The ``key=value`` fields given; a ``key=value`` word the command does not know is refused."""
    stray = next((w for w in words if "=" in w), None)
    if stray is not None:
        raise DomainError(
            "Unknown field {field}. You can set: {allowed}.",
            field=stray.split("=", 1)[0],
            allowed=", ".join(allowed),
        )
    values: dict[str, Value] = {}
    for key in OPTION_KEYS:
        raw = getattr(args, key)
        if raw is not None:
            values[key] = split_list(raw) if key == "tags" else raw
    return values


def _add(ctx: CommandContext, args: CustomerArgs) -> Message:
    words = args.rest.split()
    values = values_of(args, words, (*CUSTOMER_KEYS, "owner"))
    name = " ".join(words) or str(values.pop("name", ""))
    owner_id = ctx.actor.id
    if args.owner is not None:
        owner_id = member_for(ctx, args.owner).id
        check_owner(ctx.session, scope(ctx), owner_id)
    customer_id = add_customer(
        ctx.session,
        values={**values, "name": name},
        owner_id=owner_id,
        actor_id=ctx.actor.id,
        now=ctx.now,
    )
    title = ctx.t(_("Customer #{id} added: {name}"), id=customer_id, name=name)
    return customer_card(ctx, customer_for(ctx, str(customer_id)), title, CardStatus.SUCCESS)


def _find(ctx: CommandContext, args: CustomerArgs) -> Message:
    text = " ".join([args.rest, *(v for k in OPTION_KEYS if (v := getattr(args, k)))])
    found = find_customers(ctx.session, scope(ctx), text, limit=FOUND_SHOWN)
    title = ctx.t(_("Customers matching {text} ({count})"), text=text.strip(), count=found.total)
    return customer_list(ctx, title, found)


def _show(ctx: CommandContext, args: CustomerArgs) -> Message:
    return customer_card(ctx, customer_for(ctx, _one_id(args, "/customer show 12")))


def _one_id(args: CustomerArgs, example: str) -> str:
    words = args.rest.split()
    if not words:
        raise DomainError("Which customer? For example: {example}", example=example)
    return words[0]


def _edit(ctx: CommandContext, args: CustomerArgs) -> Message:
    words = args.rest.split()
    target = customer_for(ctx, _one_id(args, "/customer edit 12 tier=A"))
    values = values_of(args, words[1:], CUSTOMER_KEYS)
    if len(words) > 1:
        raise DomainError(
            "Write changes as key=value. You can set: {allowed}.", allowed=", ".join(CUSTOMER_KEYS)
        )
    if args.owner is not None:
        raise DomainError("Change the owner with /customer assign {id} @rep.", id=target.id)
    edit_customer(ctx.session, target, values, ctx.actor.id, ctx.now)
    title = ctx.t(_("Customer #{id} changed: {name}"), id=target.id, name=target.name)
    return customer_card(ctx, target, title, CardStatus.SUCCESS)


def _invite(ctx: CommandContext, args: CustomerArgs) -> Message:
    """``/customer invite N``: a one-time chat link for contact N, as ``/guest-invite N``."""
    return invite_contact(ctx, args.rest.split())


def _assign(ctx: CommandContext, args: CustomerArgs) -> Message:
    words = args.rest.split()
    if len(words) != 2:
        raise DomainError(
            "Say which customer and to whom, for example: {example}",
            example="/customer assign 12 @erin",
        )
    target = customer_for(ctx, words[0])
    new_owner = member_for(ctx, words[1])
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
                "/customer add Acme Ltd industry=retail tier=A phone=021-5555-0000",
                "/customer find 华为",
                "/customer show 12",
                "/customer edit 12 tier=B tags=vip,retail",
                "/customer assign 12 @erin",
                "/customer transfer @bob @erin all",
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
            examples=("/customers mine", "/customers team 2"),
        )
    )
    contacts.register(router)
