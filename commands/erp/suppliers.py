"""/supplier (/供应商) add|show|find|edit: suppliers in chat. Everyone may look them up (with
their scorecard); adding and changing them takes ``erp.purchase`` (buyers and admins)."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import ArgumentError
from bot.reader import Field as ReaderField
from bot.reader import Kind, Reading
from bot.replies import Card, CardStatus, Message
from bot.router import CommandSpec, Router
from commands.crm.verbs import action_names, action_of
from commands.erp.lines import YES_NO, require
from commands.erp.purchase_cards import supplier_card
from commands.erp.purchase_lines import may_buy, pfield, read_purchase, supplier_of, whole_days
from domain.erp.suppliers import (
    SupplierValue,
    add_supplier,
    edit_supplier,
    find_suppliers,
    scorecard,
)

FOUND_SHOWN = 20
DETAIL_FIELDS = (
    pfield("contact"),
    pfield("terms"),
    pfield("lead", Kind.NUMBER),
    pfield("currency"),
    ReaderField("active", Kind.CHOICE, ("启用", "状态"), YES_NO, positional=False),
)
ADD_FIELDS = (pfield("name", positional=True), *DETAIL_FIELDS)
EDIT_FIELDS = (pfield("supplier", Kind.RECORD, positional=True), pfield("name"), *DETAIL_FIELDS)
TEXT_KEYS = {
    "contact": "contacts",
    "terms": "payment_terms",
    "currency": "currency",
    "name": "name",
}


class SupplierArgs(BaseModel):
    """``/supplier add|show|find|edit …``; what follows the action word goes to the reader."""

    rest: str = Field(default="", description=_("what to do"), json_schema_extra={"rest": True})


def supplier(ctx: CommandContext, _args: SupplierArgs) -> Message:
    """Run one /supplier subcommand."""
    word, _sep, text = ctx.typed.partition(" ")
    action = action_of(word, SUBCOMMANDS) if word else None
    if action is None:
        raise ArgumentError(
            "/supplier takes one of: {choices}.", choices=action_names(SUBCOMMANDS, ctx.locale)
        )
    return SUBCOMMANDS[action](ctx, text.strip())


def _add(ctx: CommandContext, text: str) -> Message:
    may_buy(ctx, "supplier add")
    reading = read_purchase(ctx, ADD_FIELDS, text)
    require(ctx, ADD_FIELDS, reading, ("name",))
    values = _values(reading)
    name = str(values.pop("name"))
    added = add_supplier(ctx.session, name, values, ctx.org.currency, ctx.now)
    title = ctx.t(_("Supplier {name} added"), name=added.name)
    return supplier_card(ctx, added, scorecard(ctx.session, added.id), title, CardStatus.SUCCESS)


def _show(ctx: CommandContext, text: str) -> Message:
    if not text:
        raise ArgumentError(
            "Which supplier? For example: {example}", example=_("/supplier show Acme")
        )
    found = supplier_of(ctx, text)
    return supplier_card(ctx, found, scorecard(ctx.session, found.id))


def _find(ctx: CommandContext, text: str) -> Message:
    if not text:
        raise ArgumentError("Find what? For example: {example}", example=_("/supplier find acme"))
    found = find_suppliers(ctx.session, text, limit=FOUND_SHOWN)
    lines = [f"{s.name} · {ctx.t(_('{days} days'), days=s.lead_days)}" for s in found]
    return Card(
        title=ctx.t(_("Suppliers matching {text} ({count})"), text=text, count=len(found)),
        body="\n".join(lines) or ctx.t(_("Nothing found.")),
    )


def _edit(ctx: CommandContext, text: str) -> Message:
    may_buy(ctx, "supplier edit")
    reading = read_purchase(ctx, EDIT_FIELDS, text)
    require(ctx, EDIT_FIELDS, reading, ("supplier",))
    target = supplier_of(ctx, reading.values["supplier"])
    edit_supplier(ctx.session, target, _values(reading))
    title = ctx.t(_("Supplier {name} changed"), name=target.name)
    return supplier_card(ctx, target, scorecard(ctx.session, target.id), title, CardStatus.SUCCESS)


def _values(reading: Reading) -> dict[str, SupplierValue]:
    typed = reading.values
    values: dict[str, SupplierValue] = {TEXT_KEYS[k]: v for k, v in typed.items() if k in TEXT_KEYS}
    if "lead" in typed:
        values["lead_days"] = whole_days(typed["lead"])
    if "active" in typed:
        values["active"] = typed["active"] == "yes"
    return values


Subcommand = Callable[[CommandContext, str], Message]
SUBCOMMANDS: dict[str, Subcommand] = {"add": _add, "show": _show, "find": _find, "edit": _edit}


def register(router: Router) -> None:
    """Register /supplier."""
    router.add(
        CommandSpec(
            name="supplier",
            summary=_("Add, show, find or change suppliers"),
            handler=supplier,
            args=SupplierArgs,
            aliases=("供应商", "suppliers"),
            details=_(
                "Everyone may look suppliers up, with their on-time and acceptance rates; adding "
                "and changing them is for buyers and admins."
            ),
            examples=(
                _('/supplier add Acme Metals contact="Li 13800000000" terms="30 days" lead=7'),
                _("/supplier show Acme Metals"),
                _("/supplier find acme"),
                _("/supplier edit Acme Metals lead=5"),
            ),
        )
    )
