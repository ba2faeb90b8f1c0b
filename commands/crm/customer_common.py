"""What the customer commands share: the actor's scope, and loading a typed id through it.

An id outside the actor's scope is answered exactly like a missing one, and logged."""

from __future__ import annotations

import re

import structlog

from bot.context import CommandContext
from bot.parsing import record_number
from domain.crm.access import contact_in_scope, customer_in_scope
from domain.crm.models import Contact, Customer
from domain.crm.scope import Scope, scope_of
from domain.directory.roles import Permission, Role
from domain.directory.services import find_member
from domain.directory.views import MemberView
from domain.shared.errors import DomainError, NotFound

log = structlog.get_logger(__name__)
LIST_SEPARATORS = re.compile(r"[,，、;；]")


def scope(ctx: CommandContext) -> Scope:
    """Whose customers the actor sees."""
    return scope_of(ctx.session, ctx.actor.id, ctx.actor.roles)


def is_manager(ctx: CommandContext) -> bool:
    """Whether the actor manages a team (or sees everyone)."""
    return Role.MANAGER in ctx.actor.roles or ctx.may(Permission.CRM_ALL)


def customer_for(ctx: CommandContext, text: str) -> Customer:
    """The customer a member typed, through their scope."""
    number = record_number(text)
    try:
        if number is None:
            raise NotFound("There is no customer #{id} that you can see.", id=text.lstrip("#"))
        return customer_in_scope(ctx.session, scope(ctx), number)
    except NotFound:
        log.warning("refused.crm_out_of_scope", member=ctx.actor.handle, customer=text[:32])
        raise


def contact_for(ctx: CommandContext, text: str) -> Contact:
    """The contact a member typed, through their scope."""
    number = record_number(text)
    try:
        if number is None:
            raise NotFound("There is no contact #{id} that you can see.", id=text.lstrip("#"))
        return contact_in_scope(ctx.session, scope(ctx), number)
    except NotFound:
        log.warning("refused.crm_out_of_scope", member=ctx.actor.handle, contact=text[:32])
        raise


def member_for(ctx: CommandContext, text: str) -> MemberView:
    """An active member named by ``@handle``."""
    member = find_member(ctx.session, text) if text.startswith("@") else None
    if member is None or not member.active:
        raise DomainError("I don't know {who}. Name a colleague as @handle.", who=text[:64])
    return member


def split_list(text: str) -> list[str]:
    """``a,b`` (or Chinese commas) as a list of trimmed, non-empty items."""
    return [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()]
