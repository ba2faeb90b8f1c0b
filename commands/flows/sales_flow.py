"""The sales flow in chat (issue 16 point 2), as two durable consumers:

- ``flows.sales.contract`` (``crm.deal_won``): the contract approval, prefilled from the deal and
  the customer's open quotation, is submitted in the owner's name; its approvers get their cards,
  and the owner the request's card saying the flow started it.
- ``flows.sales.order`` (``approval.approved`` / ``approval.rejected`` of those contracts):
  approved, the quotation becomes a confirmed sales order and the owner is told what is reserved
  and what is short; a shortage puts the material plan before the planners, with its buttons.
  Rejected, the flow stops and the owner is told who rejected it, why, and that nothing was
  ordered.

The logic and the once-only records are in ``domain/flows/sales_flow.py``; this module speaks.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from bot.context import SpeakingTo
from bot.i18n import _, t
from bot.pipeline.flows import FlowConsumer, FlowContext
from bot.replies import Card, CardStatus
from commands.approvals.publish import Publisher, publish
from commands.erp.planning import plan_card
from commands.flows import deal_rooms
from domain.approvals import queries
from domain.approvals.catalog import find_template
from domain.approvals.form import read_pairs
from domain.approvals.services import DECIDED_EVENTS, inputs_for, prepare, submit_request
from domain.approvals.sla import subject_of
from domain.approvals.state import Node
from domain.approvals.store import Cause
from domain.crm.deals import WON_EVENT
from domain.directory.services import holders_else_admins
from domain.directory.views import MemberView
from domain.erp.mrp_records import Bucket
from domain.erp.planning import run_mrp
from domain.flows import rooms, sales_flow
from domain.flows.consumers import Consumer
from domain.shared.domain_events import DomainEvent
from domain.shared.errors import DomainError
from domain.shared.quantity import plain
from domain.shared.recurrence import zone
from domain.worktime.services import work_calendar

CAUSE = Cause(source="flow:sales")


def contract_for_won_deal(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """Submit the won deal's contract approval in the owner's name, once."""
    won = sales_flow.start(session, event, context.now)
    if won is None:
        return
    owner = context.member(won.run.owner_id)
    template = find_template(session, sales_flow.CONTRACT_TEMPLATE)
    pairs = [
        ("counterparty", won.customer.name[:200]),
        ("amount", str(won.deal.amount)),
        ("summary", _summary(owner.locale, won)[:1000]),
    ]
    inputs = inputs_for(session, owner.timezone, context.now)
    values, problems = read_pairs(template.spec, pairs, inputs, {})
    if problems:  # retried, then parked where an operator sees it
        raise DomainError("Deal #{id} cannot be put to contract approval.", id=won.deal.id)
    draft = prepare(session, template, values, owner.id)
    outcome = submit_request(session, draft, owner.id, context.now, CAUSE)
    sales_flow.contract_submitted(session, won.run, outcome.after.id, context.now)
    out = publish(context, outcome) or Publisher(context, outcome.after, outcome.template)
    card = out.card(owner.id, queries.INITIATOR)
    headline = t(
        owner.locale,
        _("Deal #{deal} {name} is won: contract approval #{id} was submitted in your name."),
        deal=won.deal.id,
        name=won.deal.name,
        id=outcome.after.id,
    )
    ref = context.notify(
        owner.id,
        Card(headline, card.body, card.fields, card.buttons, card.footer, card.status),
        subject=subject_of(outcome.after.id),
    )
    queries.remember_card(session, outcome.after.id, owner.id, ref, queries.INITIATOR, context.now)
    _open_room(session, won, outcome.after.nodes, context)


def _open_room(
    session: Session, won: sales_flow.Won, nodes: tuple[Node, ...], context: FlowContext
) -> None:
    """The deal's room, with the contract's approvers in it, told the flow started."""
    approvers = [a for node in nodes for a in node.approvers]
    deal = won.deal
    room = deal_rooms.want_room(
        session, context, deal.id, deal.name, won.customer.name, won.run.owner_id, approvers
    )
    if room.status == rooms.DIRECT:  # the owner's own chat: the request's card said it all
        return
    title = t(
        room.locale,
        _("Deal #{deal} {name} is won: contract approval #{id} was submitted in {owner}'s name."),
        deal=deal.id, name=deal.name, id=won.run.request_id,
        owner=context.member(won.run.owner_id).name,
    )  # fmt: skip
    deal_rooms.announce(context, deal.id, Card(title, status=CardStatus.INFO),
                        subject=f"sales-run:{deal.id}:won")  # fmt: skip


def _summary(locale: str, won: sales_flow.Won) -> str:
    deal = t(locale, _("Deal #{deal} {name}."), deal=won.deal.id, name=won.deal.name)
    quote = t(locale, _("Quotation {number}: {lines}."), number=won.quote.number,
              lines="; ".join(won.lines))  # fmt: skip
    return f"{deal}{'' if locale.startswith('zh') else ' '}{quote}"


def order_on_decision(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """An approved contract becomes the order; a rejected one stops the flow."""
    run = sales_flow.run_of_request(session, event)
    if run is None:
        return
    if event.name == DECIDED_EVENTS["approved"]:
        ordered = sales_flow.order_contract(session, run, context.now)
        if ordered is not None:
            _tell_ordered(session, ordered, context)
        return
    stopped = sales_flow.stop(session, run, context.now)
    if stopped is not None:
        _tell_stopped(stopped, context)


def _tell_ordered(session: Session, ordered: sales_flow.Ordered, context: FlowContext) -> None:
    run = ordered.run
    locale = context.member(run.owner_id).locale
    if ordered.order is None:
        title = t(locale, _("Contract #{id} is approved. There is no open quotation to order "
                            "from: make the order with /order."), id=run.request_id)  # fmt: skip
        deal_rooms.tell(context, run.deal_id, run.owner_id, Card(title, status=CardStatus.WARNING),
                        subject=f"sales-run:{run.deal_id}")  # fmt: skip
        return
    order = ordered.order
    body = (
        _shortage_text(locale, ordered.short)
        if ordered.short
        else t(locale, _("Everything is reserved."))
    )
    title = t(
        locale,
        _("Contract #{id} is approved: order {number} for {customer} is confirmed."),
        id=run.request_id,
        number=order.number,
        customer=order.customer_name,
    )
    deal_rooms.tell(
        context,
        run.deal_id,
        run.owner_id,
        Card(title, body, status=CardStatus.WARNING if ordered.short else CardStatus.SUCCESS),
        subject=f"sales-run:{run.deal_id}",
    )
    if ordered.short:
        _plan_for_planners(session, order.number, ordered.short, context)


def _shortage_text(locale: str, short: dict[str, Decimal]) -> str:
    missing = ", ".join(f"{sku} × {plain(qty)}" for sku, qty in short.items())
    return t(locale, _("Short: {missing}. The planners have the material plan."), missing=missing)


def _plan_for_planners(
    session: Session, number: str, short: dict[str, Decimal], context: FlowContext
) -> None:
    """The material plan, with its buttons, to each planner (the admins if there is none)."""
    calendar = work_calendar(session)
    today = context.now.astimezone(zone(calendar.timezone)).date()
    plan = run_mrp(session, today, calendar)
    for planner in planners(session):
        reader = SpeakingTo(session, planner.locale)
        headline = reader.t(
            _("Order {number} is short: {missing}."),
            number=number,
            missing=", ".join(f"{sku} × {plain(qty)}" for sku, qty in short.items()),
        )
        card = plan_card(reader, plan, Bucket.DAY, headline)
        context.notify(planner.id, card, subject=f"sales-run-plan:{number}")


def planners(session: Session) -> list[MemberView]:
    """Who plans production: the members with the production role, else the admins."""
    return holders_else_admins(session, "production")


def _tell_stopped(stopped: sales_flow.Stopped, context: FlowContext) -> None:
    run = stopped.run
    locale = context.member(run.owner_id).locale
    by = context.member(stopped.by).name if stopped.by else t(locale, _("an approver"))
    reason = stopped.reason or t(locale, _("no reason given"))
    title = t(
        locale,
        _("Contract #{id} was rejected by {by}: {reason}. The flow for deal #{deal} stopped; "
          "nothing was ordered, and the quotation stays open."),
        id=run.request_id, by=by, reason=reason, deal=run.deal_id,
    )  # fmt: skip
    deal_rooms.tell(context, run.deal_id, run.owner_id, Card(title, status=CardStatus.DANGER),
                    subject=f"sales-run:{run.deal_id}")  # fmt: skip


DECISIONS = frozenset({DECIDED_EVENTS["approved"], DECIDED_EVENTS["rejected"]})
FLOW_CONSUMERS: list[FlowConsumer] = [
    Consumer("flows.sales.contract", frozenset({WON_EVENT}), contract_for_won_deal),
    Consumer("flows.sales.order", DECISIONS, order_on_decision),
]
