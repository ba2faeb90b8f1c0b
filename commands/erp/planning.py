"""/mrp (/物料需求): run material requirements planning and act on it from one card.

The card lists the planned orders by day or by ISO week (``/mrp week``), and the exceptions;
its buttons confirm one planned order, or all of them. Confirming turns a planned production
order into a production order (``MO…``) and a planned purchase into a purchase request submitted
to the purchase approval (``PR…``), as ``/mo new`` and ``/pr`` do. Before anything is made the plan
is run again: what it no longer proposes (because another tap, or another planner, confirmed it
already) is not made twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from bot.context import CommandContext, Speaking
from bot.i18n import _
from bot.replies import Action, Button, Card, CardStatus, Message, Reply
from bot.router import ActionSpec, CommandSpec, Router
from commands.erp.cards import product_name
from commands.erp.forecasts import period_label
from commands.erp.purchase_requests import submit_for_approval
from domain.directory.roles import Permission
from domain.erp.models import Product
from domain.erp.mrp import Plan, PlannedOrder
from domain.erp.mrp_forecasts import period_of
from domain.erp.mrp_records import Bucket, bucket_label, orders_by_bucket
from domain.erp.planning import run_mrp
from domain.erp.production import create_production
from domain.erp.purchasing import Wanted, raise_request
from domain.erp.warehouses import all_warehouses, main_location
from domain.shared.errors import DomainError
from domain.shared.quantity import plain
from domain.shared.recurrence import zone
from domain.worktime.services import work_calendar

CONFIRM_ACTION = "erp.mrp.confirm"
CONFIRM_ALL_ACTION = "erp.mrp.confirm_all"
BUTTONS = 5  # planned orders with a button of their own; the rest through "Confirm all"
SHOWN = 30
WEEK_WORDS = ("week", "weekly", "周", "按周")
EXCEPTION_LABELS = {
    "expedite": _("expedite"),
    "short": _("short: no lead time covers it"),
    "postpone": _("postpone"),
    "cancel": _("cancel: not needed"),
}


class PlanningArgs(BaseModel):
    """``week`` (or ``周``) shows the plan by ISO week; by day otherwise."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def mrp(ctx: CommandContext, _args: PlanningArgs) -> Message:
    """/mrp [week]: the plan, with buttons to confirm it."""
    bucket = Bucket.WEEK if ctx.typed.strip().lower() in WEEK_WORDS else Bucket.DAY
    return plan_card(ctx, _plan(ctx), bucket)


def plan_card(ctx: Speaking, plan: Plan, bucket: Bucket, headline: str = "") -> Card:
    """The planned orders by bucket, the exceptions, and the buttons."""
    lines = [headline] if headline else []
    for start, orders in orders_by_bucket(plan, bucket).items():
        lines.append(bucket_label(start, bucket))
        lines += [f"  {_order_line(ctx, o)}" for o in orders]
    if not plan.orders:
        lines.append(ctx.t(_("Nothing to plan: stock and open orders cover every need.")))
    lines += [
        _exception_line(ctx, plan, e.kind, e.part_id, e.day, e.quantity) for e in plan.exceptions
    ]
    return Card(
        title=ctx.t(
            _("Material requirements: {orders} planned orders, {exceptions} exceptions"),
            orders=len(plan.orders),
            exceptions=len(plan.exceptions),
        ),
        body="\n".join(lines[:SHOWN]),
        status=CardStatus.WARNING if plan.exceptions else CardStatus.INFO,
        buttons=_buttons(ctx, plan),
    )


def confirm_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Confirm the planned order on the button, if the plan still proposes it."""
    wanted = _decoded(target)
    plan = _plan(ctx)
    match = next((o for o in plan.orders if _code(o) == wanted), None)
    if match is None:
        return Reply(ctx.t(_("That planned order is already covered; nothing was made.")))
    return Reply(ctx.t(_("Made {made}."), made=_confirm(ctx, match)))


def confirm_all_button(ctx: CommandContext, _target: str, _args: dict[str, Any]) -> Message | None:
    """Confirm every planned order the plan proposes now."""
    plan = _plan(ctx)
    if not plan.orders:
        return Reply(ctx.t(_("Nothing to confirm: the plan proposes nothing now.")))
    made = [_confirm(ctx, order) for order in plan.orders]
    return Reply(ctx.t(_("Made {made}."), made=", ".join(made)))


def _confirm(ctx: CommandContext, order: PlannedOrder) -> str:
    """The production order or purchase request a planned order becomes; its number."""
    product = ctx.session.get(Product, order.part_id)
    assert product is not None  # planned from the catalog
    if order.kind == "make":
        made = create_production(
            ctx.session, product.id, order.quantity, _location(ctx), ctx.now,
            due=order.due, owner_id=ctx.actor.id, source="MRP",
        )  # fmt: skip
        return made.number
    sources = ", ".join(_source(ctx, source) for source in order.sources)
    reason = ctx.t(_("Planned by MRP for {sources}"), sources=sources[:200])
    request = raise_request(
        ctx.session, ctx.actor.id, [Wanted(product.id, order.quantity)], order.due, reason, ctx.now
    )
    submit_for_approval(ctx, request, product, order.quantity)
    return request.number


def _source(ctx: CommandContext, source: str) -> str:
    """What a planned order is for, in the reader's words: ``forecast 2026-12`` is a forecast's
    (``mrp_forecasts.consume``); an order number or SKU stays as it is."""
    kind, _space, label = source.partition(" ")
    period = period_of(label) if kind == "forecast" else None
    if period is None:
        return source
    return ctx.t(_("forecast {period}"), period=period_label(ctx, period))


def _plan(ctx: CommandContext) -> Plan:
    calendar = work_calendar(ctx.session)
    today = ctx.now.astimezone(zone(calendar.timezone)).date()
    return run_mrp(ctx.session, today, calendar)


def _location(ctx: CommandContext) -> int:
    """Where planned production is made: the first warehouse by code."""
    warehouses = all_warehouses(ctx.session)
    if not warehouses:
        raise DomainError("Add a warehouse first.")
    return main_location(ctx.session, warehouses[0])


def _order_line(ctx: Speaking, order: PlannedOrder) -> str:
    product = ctx.session.get(Product, order.part_id)
    assert product is not None
    kind = _("make") if order.kind == "make" else _("buy")
    return ctx.t(
        _("{kind} {sku} {name} × {qty}: release {release}, due {due}"),
        kind=ctx.t(kind),
        sku=product.sku,
        name=product_name(ctx, product),
        qty=plain(order.quantity),
        release=order.release.isoformat(),
        due=order.due.isoformat(),
    )


def _exception_line(
    ctx: Speaking, plan: Plan, kind: str, part_id: int, day: date, quantity: Decimal
) -> str:
    return ctx.t(
        _("⚠ {sku} {qty} on {day}: {what}"),
        sku=plan.parts[part_id].sku,
        qty=plain(quantity),
        day=day.isoformat(),
        what=ctx.t(EXCEPTION_LABELS[kind]),
    )


def _buttons(ctx: Speaking, plan: Plan) -> tuple[Button, ...]:
    buttons = [
        Button(
            ctx.t(_("Confirm {sku} × {qty}"), sku=plan.parts[o.part_id].sku, qty=plain(o.quantity)),
            Action(CONFIRM_ACTION, _code(o)),
        )
        for o in plan.orders[:BUTTONS]
    ]
    if len(plan.orders) > 1:
        buttons.append(Button(ctx.t(_("Confirm all")), Action(CONFIRM_ALL_ACTION, "all")))
    return tuple(buttons)


def _code(order: PlannedOrder) -> str:
    """A planned order as a button names it: kind, product, quantity and due date."""
    return f"{order.kind}:{order.part_id}:{plain(order.quantity)}:{order.due.isoformat()}"


def _decoded(target: str) -> str:
    """The code on a button (refused when it is not one)."""
    kind, *rest = target.split(":")
    if kind not in ("make", "buy") or len(rest) != 3:
        raise DomainError("That button is not a planned order.")
    return target


def register(router: Router) -> None:
    """Register /mrp and its card's buttons."""
    router.add(
        CommandSpec(
            name="mrp",
            summary=_("Material requirements planning: what to make and buy, and when"),
            handler=mrp,
            args=PlanningArgs,
            aliases=("物料需求", "物料需求计划"),
            permission=Permission.PRODUCE,
            examples=(_("/mrp"), _("/mrp week")),
        )
    )
    for name, handler in (
        (CONFIRM_ACTION, confirm_button),
        (CONFIRM_ALL_ACTION, confirm_all_button),
    ):
        router.add_action(ActionSpec(name, handler, permission=Permission.PRODUCE))
