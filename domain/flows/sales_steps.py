"""The sales flow after the order (issue 16 point 2, the rest): what became of a run's order,
read from the modules' own events, and where the run stands.

- ``order.delivered`` (the ERP) → delivered, with the tracking number;
- ``finance.entry_posted`` of a delivery's invoice (the finance postings) → invoiced;
- ``finance.invoice_paid`` (a receipt or a credit closed the invoice) → paid;
- ``order.cancelled`` (the ERP) → the flow stops: what was released and what stays delivered.

Each finds the run by its order; an order made outside the flow has none, and nothing happens.
The consumer's own row per event makes each step happen once; a cancelled or stopped run takes
no further step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.sales_models import SalesDocument
from domain.finance.items_models import OpenItem
from domain.finance.models import Entry
from domain.finance.posting import ENTRY_POSTED
from domain.flows.models import SalesRun
from domain.shared.domain_events import DomainEvent

INVOICE_SOURCE = "order.delivered:invoice"  # the finance postings' source of a sales invoice
ENDED = frozenset({"cancelled", "stopped", "no_quote"})


def run_of_order(session: Session, number: str) -> SalesRun | None:
    """The run whose order has this number (None: an order made outside the flow)."""
    query = (
        select(SalesRun)
        .join(SalesDocument, SalesDocument.id == SalesRun.order_id)
        .where(SalesDocument.number == number)
    )
    return session.scalars(query).first()


def invoice_of(session: Session, event: DomainEvent) -> OpenItem | None:
    """The customer invoice a ``finance.entry_posted`` event booked (None: another entry)."""
    if event.name != ENTRY_POSTED:
        return None
    entry = session.get(Entry, int(event.payload["entry_id"]))
    if entry is None or entry.source != INVOICE_SOURCE:
        return None
    return session.scalars(select(OpenItem).where(OpenItem.entry_id == entry.id)).first()


@dataclass(frozen=True, slots=True)
class Step:
    """A step of a run's order: the run, the order's number, and the event's facts."""

    run: SalesRun
    order: str
    payload: dict[str, object]


def step(session: Session, number: str, stage: str, payload: dict[str, object],
         now: datetime) -> Step | None:  # fmt: skip
    """Move the order's run to ``stage``; None when the order has no run, or its run ended."""
    run = run_of_order(session, number)
    if run is None or run.stage in ENDED:
        return None
    run.stage, run.updated_at = stage, now
    session.flush()
    return Step(run, number, payload)
