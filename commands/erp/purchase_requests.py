"""/pr (/采购申请): anyone asks to buy a product; the request is numbered (``PR2026-00001``) and
submitted to the approval engine's ``purchase`` template (its amount conditions decide the
route), whose approvers get their cards as for ``/purchase``. ``/pr show PR2026-00001`` shows
it to whoever raised it and to buyers. The command layer joins the two modules: the ERP keeps the
request and learns the decision from the approval's ``PurchaseRequested`` event."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Kind
from bot.replies import Card, Message
from bot.router import CommandSpec, Router
from commands.approvals.budget_facts import budget_facts
from commands.approvals.common import cause_of
from commands.approvals.publish import Publisher, publish
from commands.crm.lines import ask_for
from commands.crm.verbs import action_of
from commands.erp.cards import product_name
from commands.erp.lines import in_stock_units, product_of, quantity_of, require
from commands.erp.purchase_cards import request_card
from commands.erp.purchase_lines import pfield, read_purchase, request_of
from domain.approvals import queries
from domain.approvals.catalog import find_template
from domain.approvals.form import read_pairs
from domain.approvals.services import inputs_for, prepare, submit_request
from domain.approvals.sla import subject_of
from domain.approvals.store import load
from domain.erp.models import Product
from domain.erp.purchase_models import PurchaseRequest
from domain.erp.purchasing import Wanted, link_approval, raise_request, refresh_request
from domain.shared.errors import DomainError
from domain.shared.quantity import plain

TEMPLATE = "purchase"
REQUEST_FIELDS = (
    pfield("product", Kind.RECORD, positional=True),
    pfield("qty", Kind.NUMBER, positional=True),
    pfield("needed", Kind.DATE),
    pfield("price", Kind.MONEY),
    pfield("reason", positional=True),
)
SHOW_FIELDS = (pfield("request", Kind.RECORD, positional=True),)


class RequestArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def purchase_request(ctx: CommandContext, _args: RequestArgs) -> Message | None:
    """Raise a purchase request, or show one."""
    word, _sep, text = ctx.typed.partition(" ")
    if word and action_of(word, ("show",)):
        reading = read_purchase(ctx, SHOW_FIELDS, text)
        require(ctx, SHOW_FIELDS, reading, ("request",))
        request = request_of(ctx, reading.values["request"])
        return request_card(ctx, request, approval_status=_approval_status(ctx, request))
    return _raise(ctx)


def _approval_status(ctx: CommandContext, request: PurchaseRequest) -> str:
    """Where the request's approval stands while the ERP waits for it (``rejected``,
    ``withdrawn``, ``returned``; empty when the request's own status says it all)."""
    if refresh_request(ctx.session, request) != "pending" or request.approval_id is None:
        return ""
    state = load(ctx.session, request.approval_id)
    return state.status if state is not None and state.status != "pending" else ""


def _raise(ctx: CommandContext) -> Message | None:
    reading = read_purchase(ctx, REQUEST_FIELDS, ctx.typed)
    require(ctx, REQUEST_FIELDS, reading, ("product", "qty", "reason"))
    values = reading.values
    product = product_of(ctx, values["product"])
    quantity = in_stock_units(product, ctx.typed, quantity_of(values["qty"]))
    price = _price(ctx, product, values.get("price"))
    needed = date.fromisoformat(values["needed"]) if "needed" in values else None
    wanted = [Wanted(product.id, quantity, price)]
    request = raise_request(ctx.session, ctx.actor.id, wanted, needed, values["reason"], ctx.now)
    submit_for_approval(ctx, request, product, quantity)
    return None


def _price(ctx: CommandContext, product: Product, typed: str | None) -> Decimal:
    """The estimated unit price: typed, else the product's cost; asked for when neither."""
    if typed is not None:
        return Decimal(typed)
    if product.cost > 0:
        return product.cost
    raise ask_for(ctx, REQUEST_FIELDS[3])


def submit_for_approval(
    ctx: CommandContext, request: PurchaseRequest, product: Product, qty: Decimal
) -> None:
    """Submit the request to the purchase template; its approvers get their cards and the
    requester the request's card, as ``/purchase`` does."""
    template = find_template(ctx.session, TEMPLATE)
    pairs = [
        ("item", f"{request.number} {product.sku} {product_name(ctx, product)}"[:200]),
        ("quantity", plain(qty)),
        ("amount", str(request.amount)),
        ("reason", request.reason),
    ]
    if product.default_supplier:
        pairs.append(("supplier", product.default_supplier[:200]))
    if request.needed_by:
        pairs.append(("needed_by", request.needed_by.isoformat()))
    inputs = inputs_for(ctx.session, ctx.actor.timezone, ctx.now)
    values, problems = read_pairs(template.spec, pairs, inputs, {})
    if problems:
        raise DomainError("{number} cannot be submitted for approval.", number=request.number)
    facts = budget_facts(ctx.session, ctx.now)
    draft = prepare(ctx.session, template, values, ctx.actor.id, facts)
    outcome = submit_request(ctx.session, draft, ctx.actor.id, ctx.now, cause_of(ctx))
    link_approval(ctx.session, request, outcome.after.id)
    out = publish(ctx, outcome) or Publisher(ctx, outcome.after, outcome.template)
    card = out.card(ctx.actor.id, queries.INITIATOR)
    headline = ctx.t(
        _("Purchase request {number} submitted for approval as #{id}."),
        number=request.number,
        id=outcome.after.id,
    )
    ref = ctx.reply(
        Card(headline, card.body, card.fields, card.buttons, card.footer, card.status),
        subject=subject_of(outcome.after.id),
    )
    queries.remember_card(
        ctx.session, outcome.after.id, ctx.actor.id, ref, queries.INITIATOR, ctx.now
    )


def register(router: Router) -> None:
    """Register /pr."""
    router.add(
        CommandSpec(
            name="pr",
            summary=_("Ask to buy a product (a purchase request, approved before it is ordered)"),
            handler=purchase_request,
            args=RequestArgs,
            aliases=("采购申请", "purchase-request"),
            details=_(
                "Anyone may raise one; it goes through the purchase approval, and once approved "
                "a buyer asks for quotes (/rfq), compares them (/compare) and orders (/po)."
            ),
            examples=(
                _("/pr BOLT-M6 500 needed=2026-12-20 reason=restock"),
                _("/pr show PR2026-00001"),
            ),
        )
    )
