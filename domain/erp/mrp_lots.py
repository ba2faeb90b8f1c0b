"""MRP for one part: netting its time-phased gross requirements against stock and scheduled
receipts, and sizing the planned lots by the part's lot rule. Pure: no database here."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from domain.shared.errors import DomainError

ZERO = Decimal(0)
STEP = Decimal("0.001")  # the stock ledger's finest quantity (domain/shared/quantity.py)


class LotRule(StrEnum):
    """How a net requirement becomes a planned order quantity."""

    LOT_FOR_LOT = "lot_for_lot"  # exactly the net requirement
    FIXED = "fixed"  # as many orders of the fixed quantity as cover it
    MINIMUM = "minimum"  # the net requirement, but at least the minimum
    MULTIPLE = "multiple"  # one order, rounded up to a multiple


@dataclass(frozen=True, slots=True)
class Part:
    """A product as MRP sees it."""

    id: int
    sku: str
    make: bool  # True: made here (planned production order); False: bought
    lead_days: int  # purchase lead time, or production lead time from the routing
    calendar_days: bool  # lead time in calendar days instead of the org's working days
    on_hand: Decimal  # the stock the plan starts from
    safety: Decimal = ZERO
    lot_rule: LotRule = LotRule.LOT_FOR_LOT
    lot_quantity: Decimal = ZERO  # the fixed / minimum / multiple quantity

    def __post_init__(self) -> None:
        if self.lead_days < 0:
            raise DomainError("{sku}: the lead time cannot be negative.", sku=self.sku)
        if self.lot_rule is not LotRule.LOT_FOR_LOT and self.lot_quantity <= 0:
            raise DomainError("{sku}: this lot rule needs a lot quantity above zero.", sku=self.sku)


@dataclass(frozen=True, slots=True)
class Supply:
    """A scheduled receipt: an open purchase order line or production order."""

    part_id: int
    due: date
    quantity: Decimal
    source: str

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"a scheduled receipt of {self.quantity} ({self.source})")


@dataclass(frozen=True, slots=True)
class Netting:
    """What netting one part found: the lots to plan (due date, their quantities: several under
    a fixed lot size) in date order, and for each scheduled receipt the date it is first needed
    (None: never, within the plan)."""

    lots: list[tuple[date, list[Decimal]]]
    receipts_needed: list[tuple[Supply, date | None]]


def lot_sizes(part: Part, net: Decimal) -> list[Decimal]:
    """The planned order quantities that cover ``net`` (above zero) under the part's lot rule;
    quantities are rounded up to the ledger's 0.001, never down."""
    net = net.quantize(STEP, rounding=ROUND_CEILING)
    rule, size = part.lot_rule, part.lot_quantity
    if rule is LotRule.LOT_FOR_LOT:
        return [net]
    if rule is LotRule.MINIMUM:
        return [max(net, size)]
    lots = (net / size).to_integral_value(rounding=ROUND_CEILING)
    if rule is LotRule.MULTIPLE:
        return [lots * size]
    return [size] * int(lots)


def net(
    part: Part, gross: Mapping[date, Decimal], receipts: Sequence[Supply], today: date
) -> Netting:
    """Net ``gross`` requirements against on hand and ``receipts`` (sorted by due date) in date
    order, planning a lot whenever the projected balance would fall below safety stock.

    The balance is checked on every requirement date and from ``today`` on (a part already below
    safety stock gets an order due today); a day before today with no requirement plans nothing.
    Stock is used first in, first out (on hand, then receipts and lots in the order they
    arrive), so a receipt is first needed on the day its first unit is used."""
    days = sorted({*gross, *(receipt.due for receipt in receipts), today})
    balance = part.on_hand
    supplied = part.on_hand  # all that has arrived so far, on hand first
    used = part.safety  # all that has been used so far; safety stock counts as used first
    waiting: deque[tuple[Decimal, Supply]] = deque()  # arrived, unused: (supplied before it, it)
    lots: list[tuple[date, list[Decimal]]] = []
    needed: list[tuple[Supply, date | None]] = []
    arrived = 0
    for day in days:
        while arrived < len(receipts) and receipts[arrived].due <= day:
            receipt = receipts[arrived]
            waiting.append((supplied, receipt))
            supplied += receipt.quantity
            balance += receipt.quantity
            arrived += 1
        requirement = gross.get(day, ZERO)
        balance -= requirement
        used += requirement
        if balance < part.safety and (requirement or day >= today):
            sizes = lot_sizes(part, part.safety - balance)
            lots.append((day, sizes))
            balance += sum(sizes, ZERO)
            supplied += sum(sizes, ZERO)
        while waiting and waiting[0][0] < used:
            needed.append((waiting.popleft()[1], day))
    needed.extend((receipt, None) for _, receipt in waiting)
    return Netting(lots, needed)
