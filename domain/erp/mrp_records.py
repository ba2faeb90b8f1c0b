"""An MRP plan shown by day or by ISO week (``--bucket day|week``): orders grouped by the bucket
of their release date, and a part's time-phased record (gross requirements, scheduled
receipts, planned receipts and releases, projected on hand) as textbooks draw it. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.erp.mrp import Plan, PlannedOrder
from domain.erp.mrp_lots import ZERO
from domain.worktime.calendar import MAX_DAYS


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday


def bucket_start(day: date, bucket: Bucket) -> date:
    """The first day of the bucket holding ``day``."""
    return day - timedelta(days=day.weekday()) if bucket is Bucket.WEEK else day


def bucket_label(start: date, bucket: Bucket) -> str:
    """``2026-12-07`` for a day, ``2026-W50`` for an ISO week."""
    if bucket is Bucket.DAY:
        return start.isoformat()
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def orders_by_bucket(plan: Plan, bucket: Bucket) -> dict[date, list[PlannedOrder]]:
    """The planned orders grouped by the bucket of their release date, in date order."""
    grouped: dict[date, list[PlannedOrder]] = defaultdict(list)
    for order in plan.orders:
        grouped[bucket_start(order.release, bucket)].append(order)
    return dict(grouped)


@dataclass(frozen=True, slots=True)
class Period:
    """One column of a part's MRP record; ``projected``: on hand at the end of the period."""

    start: date
    gross: Decimal
    scheduled: Decimal
    planned_receipts: Decimal
    planned_releases: Decimal
    projected: Decimal


def record(plan: Plan, part_id: int, bucket: Bucket, first: date, last: date) -> list[Period]:
    """The part's record for every bucket from the one holding ``first`` to the one holding
    ``last`` (events before ``first`` count in the first column; after ``last``, nowhere)."""
    begin, end = bucket_start(first, bucket), bucket_start(last, bucket)
    if (end - begin).days > MAX_DAYS:
        raise ValueError("span too long")
    columns = {
        "gross": _sum(plan.gross.get(part_id, {}).items(), bucket, begin),
        "scheduled": _sum(
            ((s.due, s.quantity) for s in plan.scheduled.get(part_id, [])), bucket, begin
        ),
        "planned_receipts": _sum(
            ((o.due, o.quantity) for o in plan.orders if o.part_id == part_id), bucket, begin
        ),
        "planned_releases": _sum(
            ((o.release, o.quantity) for o in plan.orders if o.part_id == part_id), bucket, begin
        ),
    }
    step = timedelta(days=7 if bucket is Bucket.WEEK else 1)
    periods = []
    projected = plan.parts[part_id].on_hand
    start = begin
    while start <= end:
        values = {name: sums.get(start, ZERO) for name, sums in columns.items()}
        projected += values["scheduled"] + values["planned_receipts"] - values["gross"]
        periods.append(Period(start, projected=projected, **values))
        start += step
    return periods


def _sum(
    entries: Iterable[tuple[date, Decimal]], bucket: Bucket, begin: date
) -> dict[date, Decimal]:
    sums: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for day, quantity in entries:
        sums[max(bucket_start(day, bucket), begin)] += quantity
    return sums
