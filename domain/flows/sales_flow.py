"""The sales flow's steps (issue 16 point 2) that join the CRM, approvals and the ERP:

1. a deal is won (``crm.deal_won``) and its customer has an open quotation → a contract
   approval, prefilled from the deal and that quotation, submitted in the owner's name (a deal
   won without one has nothing to order: the CRM alone, as before);
2. the contract is approved (``approval.approved``) → the quotation becomes a sales order,
   confirmed: what is free is reserved, the rest backordered (the ERP's own rules);
   rejected (``approval.rejected``) → the flow stops, and the owner is told why.

Each step keeps its result on the deal's ``SalesRun``, so a step applied twice (a redelivery,
a replay after a crash) finds what the first one did and does nothing more. Telling people is
the commands side's (``commands/flows/sales_flow.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.approvals.store import log_of
from domain.crm.models import Customer, Deal
from domain.erp.models import Product
from domain.erp.sales import confirm_order, lines_of, order_from_quote
from domain.erp.sales_events import backordered
from domain.erp.sales_models import SalesDocument
from domain.flows.models import SalesRun
from domain.shared.domain_events import DomainEvent
from domain.shared.quantity import plain

CONTRACT_TEMPLATE = "contract"


@dataclass(frozen=True, slots=True)
class Won:
    """A won deal about to get its contract approval: what to prefill it with."""

    run: SalesRun
    deal: Deal
    customer: Customer
    quote: SalesDocument
    lines: list[str]  # "SKU × qty @ price" per quotation line


def start(session: Session, event: DomainEvent, now: datetime) -> Won | None:
    """The run of a newly won deal: the deal, its customer and the customer's newest open
    quotation. None when the deal has a run already, or when the customer has no open
    quotation: then there is nothing to order, and the run only records that (``no_quote``)."""
    deal_id = int(event.payload["deal"])
    if session.get(SalesRun, deal_id) is not None:
        return None
    deal = session.get_one(Deal, deal_id)
    customer = session.get_one(Customer, deal.customer_id)
    quote = session.scalars(
        select(SalesDocument)
        .where(
            SalesDocument.kind == "quote",
            SalesDocument.status == "open",
            SalesDocument.customer_id == customer.id,
        )
        .order_by(SalesDocument.id.desc())
        .limit(1)
    ).first()
    run = SalesRun(
        deal_id=deal.id,
        owner_id=deal.owner_id,
        quote_id=quote.id if quote else None,
        stage="contract" if quote else "no_quote",
        created_at=now,
        updated_at=now,
    )
    session.add(run)
    session.flush()
    if quote is None:  # nothing to order: the CRM alone, or a contract the rep applies for
        return None
    return Won(run, deal, customer, quote, quote_lines(session, quote))


def quote_lines(session: Session, quote: SalesDocument) -> list[str]:
    """Each line of a quotation as ``SKU × qty @ price``."""
    lines = lines_of(session, quote.id)
    query = select(Product.id, Product.sku).where(Product.id.in_([x.product_id for x in lines]))
    skus: dict[int, str] = {row.id: row.sku for row in session.execute(query)}
    return [f"{skus[x.product_id]} × {plain(x.quantity)} @ {x.unit_price}" for x in lines]


def contract_submitted(session: Session, run: SalesRun, request_id: int, now: datetime) -> None:
    """Keep the contract approval submitted for the run."""
    run.request_id, run.updated_at = request_id, now
    session.flush()


def run_of_request(session: Session, event: DomainEvent) -> SalesRun | None:
    """The run whose contract approval this event is about (None: not one of the flow's)."""
    if event.payload.get("template") != CONTRACT_TEMPLATE:
        return None
    request_id = int(event.payload["request"])
    return session.scalars(select(SalesRun).where(SalesRun.request_id == request_id)).first()


@dataclass(frozen=True, slots=True)
class Ordered:
    """What an approved contract became: the confirmed order and what it is short of."""

    run: SalesRun
    order: SalesDocument | None
    short: dict[str, Decimal]  # SKU → backordered quantity


def order_contract(session: Session, run: SalesRun, now: datetime) -> Ordered | None:
    """Turn the run's quotation into a confirmed order, once (None when done before). Without
    an open quotation the run ends at ``no_quote``: the owner makes the order by hand."""
    if run.stage != "contract":
        return None
    quote = session.get(SalesDocument, run.quote_id) if run.quote_id else None
    if quote is None or quote.status != "open":
        run.stage, run.updated_at = "no_quote", now
        session.flush()
        return Ordered(run, None, {})
    order = order_from_quote(session, quote.id, run.owner_id, now)
    confirm_order(session, order.id, now)
    run.order_id, run.stage, run.updated_at = order.id, "ordered", now
    session.flush()
    return Ordered(run, order, shortages(session, order))


def shortages(session: Session, order: SalesDocument) -> dict[str, Decimal]:
    """What of an order is backordered, by SKU."""
    short: dict[str, Decimal] = {}
    for line in lines_of(session, order.id):
        missing = backordered(line)
        if missing > 0:
            sku = session.get_one(Product, line.product_id).sku
            short[sku] = short.get(sku, Decimal(0)) + missing
    return short


@dataclass(frozen=True, slots=True)
class Stopped:
    """A run stopped by a rejected contract: who rejected it and why."""

    run: SalesRun
    by: int | None
    reason: str


def stop(session: Session, run: SalesRun, now: datetime) -> Stopped | None:
    """Stop the run after its contract was rejected, once (None when stopped before)."""
    if run.stage != "contract":
        return None
    assert run.request_id is not None  # a run found by its request
    decided = [e.event for e in log_of(session, run.request_id) if e.event.kind == "rejected"]
    last = decided[-1] if decided else None
    reason = str(last.data.get("comment", "")) if last else ""
    run.stage, run.note, run.updated_at = "stopped", reason[:500], now
    session.flush()
    return Stopped(run, last.actor if last else None, reason)
