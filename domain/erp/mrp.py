"""Material requirements planning: from independent demand, stock, scheduled receipts and the
bills of materials in force, the planned production and purchase orders and the exceptions a
planner acts on. Pure: no database here (the caller loads the inputs and stores the plan).

Parts are planned level by level in low-level-code order, so a part used at several levels is
planned once, after every parent that can need it; a planned order of a made part needs its
components on its release date. docs/ERP.md, "Material requirements planning (MRP)"."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.erp.mrp_lots import ZERO, LotRule, Part, Supply, net
from domain.shared.errors import DomainError
from domain.worktime.calendar import WorkCalendar

__all__ = [
    "ExceptionKind",
    "LotRule",
    "Need",
    "Part",
    "Plan",
    "PlanException",
    "PlannedOrder",
    "Supply",
    "Usage",
    "low_level_codes",
    "plan",
]


@dataclass(frozen=True, slots=True)
class Usage:
    """One BOM line in force: the parent needs ``per_unit`` of the component per unit made
    (scrap and yield already included by the caller)."""

    parent_id: int
    component_id: int
    per_unit: Decimal


@dataclass(frozen=True, slots=True)
class Need:
    """Independent demand: an unshipped sales order line, or a forecast."""

    part_id: int
    due: date
    quantity: Decimal
    source: str  # e.g. "SO2026-00012" or "forecast 2026-W51"

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"a need of {self.quantity} ({self.source})")


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """A production order (``make``) or purchase (``buy``) MRP proposes. ``sources``: what is
    needed on its due date (sales orders, forecasts, or the SKUs of parents' planned orders)."""

    part_id: int
    kind: str
    quantity: Decimal
    release: date
    due: date
    sources: tuple[str, ...] = ()


class ExceptionKind(StrEnum):
    EXPEDITE = "expedite"  # a planned order whose release date is already past
    SHORT = "short"  # a planned order due before today: no lead time can cover it
    POSTPONE = "postpone"  # a scheduled receipt arriving before it is first needed
    CANCEL = "cancel"  # a scheduled receipt never needed within the plan


@dataclass(frozen=True, slots=True)
class PlanException:
    """What the planner should act on. ``day``: the planned order's release (expedite) or due
    date (short), or the scheduled receipt's due date; ``to``: the date a postponed receipt is
    first needed."""

    kind: ExceptionKind
    part_id: int
    day: date
    quantity: Decimal
    source: str
    to: date | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """One MRP run's result, in date then part order. ``gross``: each part's gross requirements
    by date, ``scheduled``: its scheduled receipts (for the time-phased record)."""

    orders: list[PlannedOrder]
    exceptions: list[PlanException]
    low_level_codes: dict[int, int]
    parts: dict[int, Part] = field(default_factory=dict)
    gross: dict[int, dict[date, Decimal]] = field(default_factory=dict)
    scheduled: dict[int, list[Supply]] = field(default_factory=dict)


def low_level_codes(parts: Mapping[int, Part], usages: Iterable[Usage]) -> dict[int, int]:
    """Each part's lowest level in any bill of materials (0: used in none), in O(parts +
    usages); a cycle is refused with the path that closes it, by SKU."""
    children: dict[int, list[int]] = defaultdict(list)
    parents: dict[int, list[int]] = defaultdict(list)
    for usage in usages:
        for part_id in (usage.parent_id, usage.component_id):
            if part_id not in parts:
                raise ValueError(f"a BOM line names part {part_id}, which is not given")
        children[usage.parent_id].append(usage.component_id)
        parents[usage.component_id].append(usage.parent_id)
    unplaced = {part_id: len(parents[part_id]) for part_id in parts}
    codes = dict.fromkeys(parts, 0)
    ready = deque(sorted(part_id for part_id, count in unplaced.items() if count == 0))
    while ready:
        parent = ready.popleft()
        for child in children[parent]:
            codes[child] = max(codes[child], codes[parent] + 1)
            unplaced[child] -= 1
            if unplaced[child] == 0:
                ready.append(child)
    stuck = {part_id for part_id, count in unplaced.items() if count > 0}
    if stuck:
        path = " → ".join(parts[part_id].sku for part_id in _cycle(parents, stuck))
        raise DomainError("The bill of materials has a cycle: {path}.", path=path)
    return codes


def _cycle(parents: Mapping[int, list[int]], stuck: set[int]) -> list[int]:
    """A cycle among ``stuck`` parts (each has a stuck parent), each part's component after
    it, from the lowest id and closed: [A, B, A]."""
    seen: dict[int, int] = {}
    walk: list[int] = []
    part_id = min(stuck)
    while part_id not in seen:
        seen[part_id] = len(walk)
        walk.append(part_id)
        part_id = min(p for p in parents[part_id] if p in stuck)
    loop = walk[seen[part_id] :][::-1]
    first = loop.index(min(loop))
    loop = loop[first:] + loop[:first]
    return [*loop, loop[0]]


class _Release:
    """Release dates by lead-time offset, remembered per (due, lead, calendar days)."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.known: dict[tuple[date, int, bool], date] = {}

    def __call__(self, part: Part, due: date) -> date:
        key = (due, part.lead_days, part.calendar_days)
        release = self.known.get(key)
        if release is None:
            if part.calendar_days:
                release = due - timedelta(days=part.lead_days)
            else:
                release = self.calendar.working_days_before(due, part.lead_days)
            self.known[key] = release
        return release


def plan(
    parts: Iterable[Part],
    usages: Iterable[Usage],
    needs: Iterable[Need],
    supplies: Iterable[Supply],
    *,
    today: date,
    calendar: WorkCalendar,
) -> Plan:
    """Plan every part, level by level: gross requirements are its needs plus its parents'
    planned order releases × per unit; netting and lot sizing are ``mrp_lots.net``; each lot is
    due the day it is needed and released its lead time earlier. The same inputs give the same
    plan."""
    by_id = {part.id: part for part in parts}
    usages = list(usages)
    codes = low_level_codes(by_id, usages)
    components: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for usage in usages:
        components[usage.parent_id].append((usage.component_id, usage.per_unit))
    gross, pegs = _independent(needs)
    scheduled = _scheduled(supplies)
    unknown = (gross.keys() | scheduled.keys()) - by_id.keys()
    if unknown:
        raise ValueError(f"a need or scheduled receipt names part {min(unknown)}, not given")
    release = _Release(calendar)
    orders: list[PlannedOrder] = []
    exceptions: list[PlanException] = []
    for part_id in sorted(by_id, key=lambda p: (codes[p], p)):
        part = by_id[part_id]
        netting = net(part, gross.get(part_id, {}), scheduled.get(part_id, []), today)
        exceptions += _receipt_exceptions(netting.receipts_needed)
        for due, quantities in netting.lots:
            placed = _place(part, quantities, release(part, due), due, pegs[part_id][due])
            orders += placed
            exceptions += [e for order in placed for e in _order_exceptions(order, today)]
            if part.make:
                _explode(
                    part, placed[0].release, sum(quantities, ZERO), components[part_id], gross, pegs
                )
    orders.sort(key=lambda o: (o.release, o.part_id, o.due))
    exceptions.sort(key=lambda e: (e.day, e.part_id, e.kind, e.source))
    return Plan(orders, exceptions, codes, by_id, dict(gross), scheduled)


def _independent(
    needs: Iterable[Need],
) -> tuple[dict[int, dict[date, Decimal]], dict[int, dict[date, set[str]]]]:
    """Gross requirements by part and date, and what they are for, from the needs alone."""
    gross: dict[int, dict[date, Decimal]] = defaultdict(dict)
    pegs: dict[int, dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
    for need in needs:
        _add(gross[need.part_id], need.due, need.quantity)
        pegs[need.part_id][need.due].add(need.source)
    return gross, pegs


def _scheduled(supplies: Iterable[Supply]) -> dict[int, list[Supply]]:
    """Scheduled receipts by part, in due date order (then source, then quantity)."""
    scheduled: dict[int, list[Supply]] = defaultdict(list)
    for supply in supplies:
        scheduled[supply.part_id].append(supply)
    for receipts in scheduled.values():
        receipts.sort(key=lambda s: (s.due, s.source, s.quantity))
    return dict(scheduled)


def _add(requirements: dict[date, Decimal], day: date, quantity: Decimal) -> None:
    requirements[day] = requirements.get(day, ZERO) + quantity


def _place(
    part: Part, quantities: list[Decimal], released: date, due: date, pegs: set[str]
) -> list[PlannedOrder]:
    kind, sources = ("make" if part.make else "buy"), tuple(sorted(pegs))
    return [PlannedOrder(part.id, kind, q, released, due, sources) for q in quantities]


def _explode(
    part: Part,
    released: date,
    quantity: Decimal,
    components: Sequence[tuple[int, Decimal]],
    gross: dict[int, dict[date, Decimal]],
    pegs: dict[int, dict[date, set[str]]],
) -> None:
    """The components of ``quantity`` of the part become gross requirements on its release."""
    for component_id, per_unit in components:
        _add(gross[component_id], released, quantity * per_unit)
        pegs[component_id][released].add(part.sku)


def _order_exceptions(order: PlannedOrder, today: date) -> list[PlanException]:
    source = ", ".join(order.sources)
    if order.due < today:
        return [
            PlanException(ExceptionKind.SHORT, order.part_id, order.due, order.quantity, source)
        ]
    if order.release < today:
        return [
            PlanException(
                ExceptionKind.EXPEDITE, order.part_id, order.release, order.quantity, source
            )
        ]
    return []


def _receipt_exceptions(needed: Sequence[tuple[Supply, date | None]]) -> list[PlanException]:
    found = []
    for receipt, day in needed:
        if day is None:
            kind, to = ExceptionKind.CANCEL, None
        elif day > receipt.due:
            kind, to = ExceptionKind.POSTPONE, day
        else:
            continue
        found.append(
            PlanException(kind, receipt.part_id, receipt.due, receipt.quantity, receipt.source, to)
        )
    return found
