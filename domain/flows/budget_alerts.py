"""A posted entry → the budgets it took across 80 % or 100 % (issue 15 point 4).

``post_entry`` records ``finance.entry_posted`` with each new entry; this consumer asks the
finance module which of its budgets' thresholds the entry crossed. The claim is a
compare-and-set on the budget's alert level, so a threshold is told once even when several
entries cross it in transactions running side by side, and the consumer machinery applies each
event once (docs/FLOWS.md)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from domain.finance.budgets import Crossing, crossings
from domain.finance.posting import ENTRY_POSTED
from domain.shared.domain_events import DomainEvent

CONSUMER = "finance.budget_alerts"
EVENTS = frozenset({ENTRY_POSTED})


def crossed_by(session: Session, event: DomainEvent) -> list[Crossing]:
    """The thresholds the event's entry crossed, claimed now (nothing for a budget told already)."""
    return crossings(session, int(event.payload["entry_id"]))
