"""/warehouse (/仓库): list the warehouses, or add one (with its main location); adding takes
``erp.catalog``, like products."""

from __future__ import annotations

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import ArgumentError
from bot.replies import Card, CardStatus, Message
from bot.router import CommandSpec, Router
from commands.crm.verbs import action_of
from domain.directory.roles import Permission
from domain.erp.warehouses import add_warehouse, all_warehouses
from domain.shared.errors import Forbidden

log = structlog.get_logger(__name__)


class WarehouseArgs(BaseModel):
    """``/warehouse [add CODE NAME]``."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def warehouse(ctx: CommandContext, _args: WarehouseArgs) -> Message:
    """List the warehouses, or add one."""
    word, _sep, text = ctx.typed.partition(" ")
    if not word:
        return _listed(ctx)
    if action_of(word, ("add",)) is None:
        raise ArgumentError(
            "Add a warehouse like this: {example}", example=_("/warehouse add SH Shanghai")
        )
    return _add(ctx, text.strip())


def _listed(ctx: CommandContext) -> Card:
    lines = [f"{w.code} {w.name}".strip() for w in all_warehouses(ctx.session)]
    body = "\n".join(lines) or ctx.t(_("No warehouses yet."))
    return Card(title=ctx.t(_("Warehouses ({count})"), count=len(lines)), body=body)


def _add(ctx: CommandContext, text: str) -> Card:
    if not ctx.may(Permission.CATALOG_EDIT):
        log.warning("refused.permission", member=ctx.actor.handle, command="warehouse add")
        raise Forbidden("Only warehouse staff and admins can add warehouses.")
    code, _sep, name = text.partition(" ")
    if not code:
        raise ArgumentError(
            "Add a warehouse like this: {example}", example=_("/warehouse add SH Shanghai")
        )
    added = add_warehouse(ctx.session, code, name.strip() or code)
    title = ctx.t(_("Warehouse {code} added: {name}"), code=added.code, name=added.name)
    return Card(title=title, status=CardStatus.SUCCESS)


def register(router: Router) -> None:
    """Register /warehouse."""
    router.add(
        CommandSpec(
            name="warehouse",
            summary=_("List the warehouses, or add one"),
            handler=warehouse,
            args=WarehouseArgs,
            aliases=("仓库", "warehouses"),
            examples=(_("/warehouse"), _("/warehouse add SH Shanghai")),
        )
    )
