"""MRP at scale: 10,000 parts in BOMs 5 levels deep with 50,000 needs, planned by the engine
alone or by the full run from the database, against a naive per-need recursive explosion
measured in the same run.

``python -m bench.mrp [--db sqlite|postgresql] [--parts N] [--needs M] [--receipts R] [--quick]
[--no-baseline]``

Without ``--db``, the engine alone (``domain.erp.mrp.plan``) on inputs in memory:

1. Generates in memory (seeded, so every run plans the same data): ``--parts`` parts on five
   levels (10 %, 15 %, 20 %, 25 %, 30 %); every part above the last level is made from three
   components, two on the next level and one on any deeper level (so parts are shared across
   levels); the last level is bought. Lead times of 1–5 (made) or 3–15 (bought) days, one part
   in five in calendar days, the others in working days of a calendar with holidays; a mix of
   lot rules; stock on hand and some safety stock. ``--needs`` needs on the top level's parts
   over 120 days, and ``--receipts`` scheduled receipts on random parts.
2. Times ``domain.erp.mrp.plan`` (the engine only; loading from the database is not measured)
   with ``time.perf_counter``, best of ``--repeat`` runs, and checks that two runs are equal.
3. The baseline, in the same run, on the same data: for each need in date order, a recursive
   explosion through the BOM with no low-level codes: the part reached is netted there and then
   against what is left of its stock and receipts, a shortfall is ordered (same lot rules and
   lead-time offsets) and its components are reached in turn, however often each is reached.

With ``--db``, the full run from the database (``domain.erp.planning.run_mrp``):

1. The same generated case is written **in bulk** (Core ``INSERT``s of many rows, not the domain
   functions one by one) into a fresh database (SQLite in a temporary directory, migrated by
   ``bot.migrate.upgrade``; PostgreSQL made on BIZBOT_TEST_PG_URL, default
   postgresql://postgres@127.0.0.1:5432/test, and dropped afterwards): a product per part, a BOM
   version in force per made part (one in ten also has an older version with other quantities
   and a newer one not in force yet), a one-step routing on every other made part, the stock on
   hand as balances, a confirmed sales order line per need (five lines an order; the orders carry
   no delivery date, so every need is due today in the run) and an open purchase order per
   scheduled receipt. What ``planning.load_inputs`` reads back is checked against the case
   (BOM lines in force, stock on hand, each part's demand and receipts); a mismatch stops the run.
2. Times ``run_mrp`` (loading and planning, one transaction through ``db.run``), best of
   ``--repeat``; the loading alone is timed too.
3. The baseline, in the same run: one transaction that loads the same inputs with the same
   ``planning.load_inputs`` and plans them with the naive explosion above. It must end with
   ``run_mrp``'s planned orders (checked).

Prints one markdown table and writes the JSON to bench/results/. Loopback/local only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from bot import migrate
from domain.erp.models import Location, Product, StockBalance, Warehouse
from domain.erp.mrp import LotRule, Need, Part, Plan, Supply, Usage, plan
from domain.erp.mrp_lots import net
from domain.erp.planning import Inputs, load_inputs, run_mrp
from domain.erp.production_models import Bom, BomLine, Operation, WorkCentre
from domain.erp.purchase_models import PurchaseOrder, PurchaseOrderLine, Supplier
from domain.erp.sales_models import SalesDocument, SalesLine
from domain.shared.db import Database, open_database
from domain.worktime.calendar import WorkCalendar
from tests.support import create_pg_database, drop_pg_database

RESULTS = Path(__file__).parent / "results"
T = TypeVar("T")
SEED = 14
TODAY = date(2027, 1, 4)
LEVELS = (0.10, 0.15, 0.20, 0.25, 0.30)
HORIZON_DAYS = 120
LINES_PER_ORDER = 5
IN_FORCE, OLDER, NEWER = 2, 1, 3  # BOM versions; one made part in ten has all three
SEEDED_TABLES = (
    "erp_products", "erp_boms", "erp_bom_lines", "erp_operations", "erp_stock_balances",
    "erp_sales_documents", "erp_sales_lines", "erp_purchase_orders", "erp_purchase_order_lines",
)  # fmt: skip
CALENDAR = WorkCalendar(
    holidays=frozenset({date(2027, 2, d) for d in range(10, 17)} | {date(2027, 4, 5)}),
    workdays=frozenset({date(2027, 2, 7), date(2027, 2, 20)}),
)


@dataclass(frozen=True)
class Case:
    """The generated inputs of one run."""

    parts: list[Part]
    usages: list[Usage]
    needs: list[Need]
    supplies: list[Supply]


def _part(rng: random.Random, part_id: int, make: bool, weekly: Decimal) -> Part:
    """A part whose fixed, minimum or multiple lot is about a week of its demand."""
    rule = rng.choice(list(LotRule))
    size = max(Decimal(10), (weekly / 10).to_integral_value() * 10)
    return Part(
        part_id,
        f"P{part_id:05d}",
        make=make,
        lead_days=rng.randint(1, 5) if make else rng.randint(3, 15),
        calendar_days=rng.random() < 0.2,
        on_hand=Decimal(rng.randint(0, 200)),
        safety=Decimal(rng.choice((0, 0, 0, 10, 20))),
        lot_rule=rule,
        lot_quantity=Decimal(0) if rule is LotRule.LOT_FOR_LOT else size,
    )


def _levels(parts: int) -> list[list[int]]:
    levels, next_id = [], 1
    for share in LEVELS:
        size = max(1, round(parts * share))
        levels.append(list(range(next_id, next_id + size)))
        next_id += size
    return levels


def _boms(rng: random.Random, levels: list[list[int]]) -> list[Usage]:
    """Three components per made part: two on the next level, one on any deeper level."""
    usages = []
    for depth, level in enumerate(levels[:-1]):
        below = levels[depth + 1]
        deeper = [p for lower in levels[depth + 1 :] for p in lower]
        for parent in level:
            children = set(rng.sample(below, min(2, len(below)))) | {rng.choice(deeper)}
            for child in sorted(children):
                usages.append(Usage(parent, child, Decimal(rng.choice((1, 1, 2, 3, "0.5")))))
    return usages


def _weekly(levels: list[list[int]], usages: list[Usage], needs: list[Need]) -> dict[int, Decimal]:
    """Each part's demand over the horizon, exploded top-down, per week."""
    total: dict[int, Decimal] = defaultdict(Decimal)
    for need in needs:
        total[need.part_id] += need.quantity
    for usage in sorted(usages, key=lambda u: u.parent_id):  # parents' ids are on higher levels
        total[usage.component_id] += total[usage.parent_id] * usage.per_unit
    return {p: total[p] * 7 / HORIZON_DAYS for level in levels for p in level}


def generate(parts: int, needs: int, receipts: int) -> Case:
    """Seeded parts in five levels, their BOMs, needs on the top level and scheduled receipts."""
    rng = random.Random(SEED)
    levels = _levels(parts)
    usages = _boms(rng, levels)
    days = [TODAY + timedelta(days=n) for n in range(HORIZON_DAYS)]
    demand = [
        Need(rng.choice(levels[0]), rng.choice(days), Decimal(rng.randint(1, 20)), f"SO{n:06d}")
        for n in range(needs)
    ]
    weekly = _weekly(levels, usages, demand)
    made = {part_id for level in levels[:-1] for part_id in level}
    drawn = [_part(rng, p, p in made, weekly[p]) for p in sorted(weekly)]
    supplies = [
        Supply(
            rng.choice(drawn).id, rng.choice(days[:60]), Decimal(rng.randint(10, 200)), f"PO{n:05d}"
        )
        for n in range(receipts)
    ]
    return Case(drawn, usages, demand, supplies)


def naive(case: Case, today: date, calendar: WorkCalendar) -> list[tuple[int, date, Decimal]]:
    """The baseline: each need exploded recursively on its own, with no low-level codes. A part
    reached is netted again over all its requirements so far (``mrp_lots.net``), and the change
    in its planned releases reaches its components in turn, however often each is reached.
    Returns the planned orders it ends with (part, due, quantity), to compare with ``plan()``."""
    parts = {part.id: part for part in case.parts}
    components: dict[int, list[Usage]] = defaultdict(list)
    for usage in case.usages:
        components[usage.parent_id].append(usage)
    receipts: dict[int, list[Supply]] = defaultdict(list)
    for supply in sorted(case.supplies, key=lambda s: (s.due, s.source, s.quantity)):
        receipts[supply.part_id].append(supply)
    gross: dict[int, dict[date, Decimal]] = defaultdict(dict)
    released: dict[int, dict[date, Decimal]] = defaultdict(dict)
    lots: dict[int, list[tuple[date, list[Decimal]]]] = {}

    def reach(part_id: int, day: date, quantity: Decimal) -> None:
        part, requirements = parts[part_id], gross[part_id]
        requirements[day] = requirements.get(day, Decimal(0)) + quantity
        if not requirements[day]:
            del requirements[day]
        lots[part_id] = net(part, requirements, receipts[part_id], today).lots
        before, after = released[part_id], _releases(part, lots[part_id], calendar)
        released[part_id] = after
        if part.make:
            for when in sorted(before.keys() | after.keys()):
                change = after.get(when, Decimal(0)) - before.get(when, Decimal(0))
                for usage in components[part_id] if change else ():
                    reach(usage.component_id, when, change * usage.per_unit)

    for part in case.parts:  # stock already below safety needs an order with no demand at all
        reach(part.id, today, Decimal(0))
    for need in sorted(case.needs, key=lambda n: (n.due, n.part_id, n.source)):
        reach(need.part_id, need.due, need.quantity)
    return sorted(
        (p, due, q) for p, planned in lots.items() for due, sizes in planned for q in sizes
    )


def _releases(
    part: Part, lots: list[tuple[date, list[Decimal]]], calendar: WorkCalendar
) -> dict[date, Decimal]:
    """Quantity released per day (the naive way: the calendar walked for every lot)."""
    out: dict[date, Decimal] = defaultdict(Decimal)
    for due, sizes in lots:
        if part.calendar_days:
            out[due - timedelta(days=part.lead_days)] += sum(sizes, Decimal(0))
        else:
            out[calendar.working_days_before(due, part.lead_days)] += sum(sizes, Decimal(0))
    return out


def _timed(function: Callable[[], T], repeat: int) -> tuple[float, float, T]:
    """The best wall-clock and CPU seconds of ``repeat`` calls, and the last call's result (CPU
    time too because the box is shared: wall time includes waiting for a core)."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        started, used = time.perf_counter(), time.process_time()
        result = function()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - used)
    assert result is not None
    return wall, cpu, result


def run(parts: int, needs: int, receipts: int, repeat: int, baseline: bool) -> dict[str, Any]:
    """Generate, plan, check, and time the baseline; every figure in one dict."""
    started = time.perf_counter()
    case = generate(parts, needs, receipts)
    generated = time.perf_counter() - started
    engine_s, engine_cpu, result = _timed(
        lambda: plan(
            case.parts, case.usages, case.needs, case.supplies, today=TODAY, calendar=CALENDAR
        ),
        repeat,
    )
    again = plan(case.parts, case.usages, case.needs, case.supplies, today=TODAY, calendar=CALENDAR)
    if (again.orders, again.exceptions) != (result.orders, result.exceptions):
        raise SystemExit("two runs on the same data planned differently")
    figures: dict[str, Any] = {
        "parts": parts,
        "usages": len(case.usages),
        "levels": max(result.low_level_codes.values()) + 1,
        "needs": needs,
        "receipts": receipts,
        "generate_s": round(generated, 2),
        "engine_s": round(engine_s, 3),
        "engine_cpu_s": round(engine_cpu, 3),
        "repeat": repeat,
        "planned_orders": len(result.orders),
        "exceptions": len(result.exceptions),
        "same_plan_twice": True,
    }
    if baseline:
        naive_s, naive_cpu, naive_orders = _timed(lambda: naive(case, TODAY, CALENDAR), 1)
        ours = sorted((o.part_id, o.due, o.quantity) for o in result.orders)
        figures |= {
            "naive_s": round(naive_s, 3),
            "naive_cpu_s": round(naive_cpu, 3),
            "naive_orders": len(naive_orders),
            "naive_same_orders": naive_orders == ours,
            "ratio": round(naive_cpu / engine_cpu, 1),
        }
    return figures | {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
    }


@dataclass(frozen=True)
class Place:
    """Where the seeded documents point: the warehouse, its location, the supplier."""

    warehouse: int
    location: int
    supplier: int


def _place(session: Session, now: datetime) -> Place:
    warehouse = Warehouse(code="WH1", name="Bench")
    supplier = Supplier(name="Bench supplier", created_at=now)
    session.add_all([warehouse, supplier])
    session.flush()
    location = Location(warehouse_id=warehouse.id, code="MAIN", name="Main")
    session.add(location)
    session.flush()
    return Place(warehouse.id, location.id, supplier.id)


def _products(session: Session, case: Case, now: datetime) -> dict[int, int]:
    """A product per part; returns each part's product id."""
    rows = [
        {
            "sku": part.sku,
            "name_en": f"Bench part {part.id}",
            "kind": "semi" if part.make else "raw",
            "lead_days": part.lead_days,
            "lead_calendar_days": part.calendar_days,
            "safety_stock": part.safety,
            "lot_rule": part.lot_rule.value,
            "lot_quantity": part.lot_quantity,
            "created_at": now,
            "updated_at": now,
        }
        for part in case.parts
    ]
    session.execute(insert(Product), rows)
    by_sku = {
        sku: product_id for sku, product_id in session.execute(select(Product.sku, Product.id))
    }
    return {part.id: by_sku[part.sku] for part in case.parts}


def _bom_versions(session: Session, case: Case, ids: dict[int, int], now: datetime) -> None:
    """The version in force for every made part; one in ten also has an older version and a
    newer one not in force yet, both with twice the quantities (so loading the wrong one shows)."""
    made = [part.id for part in case.parts if part.make]
    starts = {IN_FORCE: TODAY - timedelta(days=30), OLDER: TODAY - timedelta(days=400)}
    starts[NEWER] = TODAY + timedelta(days=30)
    versions = [
        {"product_id": ids[p], "version": v, "effective_from": starts[v], "created_at": now}
        for n, p in enumerate(made)
        for v in ((OLDER, IN_FORCE, NEWER) if n % 10 == 0 else (IN_FORCE,))
    ]
    session.execute(insert(Bom), versions)
    bom_of = {
        (product_id, version): bom_id
        for bom_id, product_id, version in session.execute(
            select(Bom.id, Bom.product_id, Bom.version)
        )
    }
    components: dict[int, list[Usage]] = defaultdict(list)
    for usage in case.usages:
        components[usage.parent_id].append(usage)
    part_of = {product_id: part_id for part_id, product_id in ids.items()}
    lines = [
        {
            "bom_id": bom_id,
            "position": position,
            "component_id": ids[usage.component_id],
            "quantity": usage.per_unit * (1 if version == IN_FORCE else 2),
        }
        for (product_id, version), bom_id in bom_of.items()
        for position, usage in enumerate(components[part_of[product_id]], 1)
    ]
    session.execute(insert(BomLine), lines)


def _routings(session: Session, case: Case, ids: dict[int, int]) -> None:
    """One step at one work centre for every other made part (the others keep their lead)."""
    centre = WorkCentre(code="BENCH", name="Bench line", hours_per_day=Decimal(8))
    session.add(centre)
    session.flush()
    made = [part.id for part in case.parts if part.make]
    rows = [
        {
            "product_id": ids[part_id],
            "position": 1,
            "name": "Assemble",
            "work_centre_id": centre.id,
            "hours_per_unit": Decimal("0.05"),
            "setup_hours": Decimal(4),
        }
        for part_id in made[::2]
    ]
    session.execute(insert(Operation), rows)


def _stock(session: Session, case: Case, ids: dict[int, int], place: Place) -> None:
    rows = [
        {"product_id": ids[p.id], "location_id": place.location, "on_hand": p.on_hand}
        for p in case.parts
        if p.on_hand
    ]
    session.execute(insert(StockBalance), rows)


def _sales_orders(
    session: Session, case: Case, ids: dict[int, int], place: Place, now: datetime
) -> None:
    """A confirmed order line per need, five lines an order."""
    numbers = [f"SO{n:06d}" for n in range(0, len(case.needs), LINES_PER_ORDER)]
    orders = [
        {
            "kind": "order",
            "number": number,
            "status": "confirmed",
            "customer_id": 1,
            "customer_name": "Bench customer",
            "location_id": place.location,
            "created_at": now,
            "confirmed_at": now,
            "updated_at": now,
        }
        for number in numbers
    ]
    session.execute(insert(SalesDocument), orders)
    order_id = {
        number: id_
        for number, id_ in session.execute(select(SalesDocument.number, SalesDocument.id))
    }
    lines = [
        {
            "document_id": order_id[numbers[n // LINES_PER_ORDER]],
            "position": n % LINES_PER_ORDER + 1,
            "product_id": ids[need.part_id],
            "quantity": need.quantity,
            "unit_price": Decimal(10),
        }
        for n, need in enumerate(case.needs)
    ]
    session.execute(insert(SalesLine), lines)


def _purchase_orders(
    session: Session, case: Case, ids: dict[int, int], place: Place, now: datetime
) -> None:
    """An open purchase order per scheduled receipt, due on its date."""
    orders = [
        {
            "number": supply.source,
            "supplier_id": place.supplier,
            "warehouse_id": place.warehouse,
            "status": "open",
            "expected_on": supply.due,
            "created_at": now,
        }
        for supply in case.supplies
    ]
    session.execute(insert(PurchaseOrder), orders)
    order_id = {
        number: id_
        for number, id_ in session.execute(select(PurchaseOrder.number, PurchaseOrder.id))
    }
    lines = [
        {
            "order_id": order_id[supply.source],
            "product_id": ids[supply.part_id],
            "quantity": supply.quantity,
            "unit_price": Decimal(5),
        }
        for supply in case.supplies
    ]
    session.execute(insert(PurchaseOrderLine), lines)


def seed_case(session: Session, case: Case) -> dict[int, int]:
    """The case's rows, inserted in bulk; returns each part's product id."""
    now = datetime.now(UTC)
    place = _place(session, now)
    ids = _products(session, case, now)
    _bom_versions(session, case, ids, now)
    _routings(session, case, ids)
    _stock(session, case, ids, place)
    _sales_orders(session, case, ids, place, now)
    _purchase_orders(session, case, ids, place, now)
    return ids


def check_loaded(case: Case, inputs: Inputs, ids: dict[int, int]) -> None:
    """Stop unless the inputs loaded are the case's: BOM lines in force, on hand, each part's
    demand (all due today: sales orders carry no date) and receipts."""
    part = {product_id: part_id for part_id, product_id in ids.items()}
    demand: dict[int, Decimal] = defaultdict(Decimal)
    for need in case.needs:
        demand[need.part_id] += need.quantity
    loaded: dict[int, Decimal] = defaultdict(Decimal)
    for need in inputs.needs:
        loaded[part[need.part_id]] += need.quantity
    mismatches = {
        "BOM lines": sorted((u.parent_id, u.component_id, u.per_unit) for u in case.usages)
        != sorted((part[u.parent_id], part[u.component_id], u.per_unit) for u in inputs.usages),
        "on hand": {p.id: p.on_hand for p in case.parts}
        != {part[p.id]: p.on_hand for p in inputs.parts},
        "demand": demand != loaded or {n.due for n in inputs.needs} != {TODAY},
        "receipts": sorted((s.part_id, s.due, s.quantity) for s in case.supplies)
        != sorted((part[s.part_id], s.due, s.quantity) for s in inputs.supplies),
    }
    if any(mismatches.values()):
        raise SystemExit(f"loaded inputs differ from the seeded case: {mismatches}")


async def seed(db: Database, case: Case) -> tuple[dict[int, int], float]:
    """The case written in bulk, then ANALYZEd; its product ids and the seconds it took."""
    started = time.perf_counter()
    ids = await db.run(lambda s: seed_case(s, case))
    await db.run(lambda s: [s.execute(text(f"ANALYZE {name}")) for name in SEEDED_TABLES])
    return ids, time.perf_counter() - started


async def _timed_db(
    db: Database, work: Callable[[Session], T], repeat: int
) -> tuple[float, float, T]:
    """``_timed`` for one transaction through ``db.run``, begin and commit included."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        started, used = time.perf_counter(), time.process_time()
        result = await db.run(work)
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - used)
    assert result is not None
    return wall, cpu, result


def _naive_from_database(session: Session) -> list[tuple[int, date, Decimal]]:
    """The baseline: the same loading, then the naive explosion."""
    inputs = load_inputs(session, TODAY, CALENDAR)
    case = Case(inputs.parts, inputs.usages, inputs.needs, inputs.supplies)
    return naive(case, TODAY, CALENDAR)


def _orders(result: Plan) -> list[tuple[int, date, Decimal]]:
    return sorted((o.part_id, o.due, o.quantity) for o in result.orders)


async def measure(
    db: Database, case: Case, ids: dict[int, int], repeat: int, baseline: bool
) -> dict[str, Any]:
    """Check the loading, time it and ``run_mrp``, check two runs agree, time the baseline."""
    load_s, load_cpu, inputs = await _timed_db(
        db, lambda s: load_inputs(s, TODAY, CALENDAR), repeat
    )
    check_loaded(case, inputs, ids)
    run_s, run_cpu, result = await _timed_db(db, lambda s: run_mrp(s, TODAY, CALENDAR), repeat)
    again = await db.run(lambda s: run_mrp(s, TODAY, CALENDAR))
    if (again.orders, again.exceptions) != (result.orders, result.exceptions):
        raise SystemExit("two runs on the same database planned differently")
    figures: dict[str, Any] = {
        "levels": max(result.low_level_codes.values()) + 1,
        "load_s": round(load_s, 3),
        "load_cpu_s": round(load_cpu, 3),
        "run_mrp_s": round(run_s, 3),
        "run_mrp_cpu_s": round(run_cpu, 3),
        "repeat": repeat,
        "planned_orders": len(result.orders),
        "exceptions": len(result.exceptions),
        "same_plan_twice": True,
    }
    if baseline:
        naive_s, naive_cpu, naive_orders = await _timed_db(db, _naive_from_database, 1)
        figures |= {
            "naive_s": round(naive_s, 3),
            "naive_cpu_s": round(naive_cpu, 3),
            "naive_orders": len(naive_orders),
            "naive_same_orders": naive_orders == _orders(result),
            "ratio": round(naive_s / run_s, 1),
        }
    return figures


async def run_db(
    db_kind: str, parts: int, needs: int, receipts: int, repeat: int, baseline: bool
) -> dict[str, Any]:
    """Generate, seed a fresh database, measure, drop it; every figure in one dict."""
    case = generate(parts, needs, receipts)
    with tempfile.TemporaryDirectory(prefix="bizbot-bench-mrp-") as workdir:
        url = f"sqlite:///{workdir}/bench.db" if db_kind == "sqlite" else await create_pg_database()
        try:
            await migrate.upgrade(url)
            db = open_database(url)
            try:
                ids, seed_s = await seed(db, case)
                figures = await measure(db, case, ids, repeat, baseline)
            finally:
                await db.dispose()
        finally:
            if db_kind == "postgresql":
                await drop_pg_database(url)
    return {
        "db": db_kind,
        "parts": parts,
        "usages": len(case.usages),
        "needs": needs,
        "receipts": receipts,
        "seed_s": round(seed_s, 1),
        "loaded_as_seeded": True,
        **figures,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
    }


def table(result: dict[str, Any]) -> str:
    """One markdown table with every figure."""
    rows = [
        (
            "parts / BOM lines / levels",
            f"{result['parts']:,} / {result['usages']:,} / {result['levels']}",
        ),
        ("needs / scheduled receipts", f"{result['needs']:,} / {result['receipts']:,}"),
        (
            f"`plan()`, best of {result['repeat']}: wall / CPU",
            f"{result['engine_s']} / {result['engine_cpu_s']} s",
        ),
        ("planned orders / exceptions", f"{result['planned_orders']:,} / {result['exceptions']:,}"),
        ("same plan twice (checked)", "yes" if result["same_plan_twice"] else "NO"),
    ]
    if "naive_s" in result:
        rows += [
            (
                "naive per-need explosion: wall / CPU",
                f"{result['naive_s']} / {result['naive_cpu_s']} s",
            ),
            (
                "naive orders (same as `plan()`'s?)",
                f"{result['naive_orders']:,} ({'yes' if result['naive_same_orders'] else 'NO'})",
            ),
            ("naive / `plan()` (CPU)", f"{result['ratio']}×"),
        ]
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def db_table(result: dict[str, Any]) -> str:
    """One markdown table with every figure of a run from the database."""
    rows = [
        ("database", result["db"]),
        (
            "products / BOM lines in force / levels",
            f"{result['parts']:,} / {result['usages']:,} / {result['levels']}",
        ),
        (
            "open sales order lines / purchase orders",
            f"{result['needs']:,} / {result['receipts']:,}",
        ),
        ("seeding (bulk inserts, not the domain functions)", f"{result['seed_s']} s"),
        ("loaded inputs = seeded case (checked)", "yes" if result["loaded_as_seeded"] else "NO"),
        (
            f"loading alone, best of {result['repeat']}: wall / CPU",
            f"{result['load_s']} / {result['load_cpu_s']} s",
        ),
        (
            f"`run_mrp` (load + plan), best of {result['repeat']}: wall / CPU",
            f"{result['run_mrp_s']} / {result['run_mrp_cpu_s']} s",
        ),
        ("planned orders / exceptions", f"{result['planned_orders']:,} / {result['exceptions']:,}"),
        ("same plan twice (checked)", "yes" if result["same_plan_twice"] else "NO"),
    ]
    if "naive_s" in result:
        rows += [
            (
                "naive: same loading + per-need explosion: wall / CPU",
                f"{result['naive_s']} / {result['naive_cpu_s']} s",
            ),
            (
                "naive orders (same as `run_mrp`'s?)",
                f"{result['naive_orders']:,} ({'yes' if result['naive_same_orders'] else 'NO'})",
            ),
            ("naive / `run_mrp` (wall)", f"{result['ratio']}×"),
        ]
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default=None)
    parser.add_argument("--parts", type=int, default=None)
    parser.add_argument("--needs", type=int, default=None)
    parser.add_argument("--receipts", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 parts, 5,000 needs")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    args.parts = args.parts or 10_000 // scale
    args.needs = args.needs or 50_000 // scale
    args.receipts = args.receipts or 5_000 // scale
    return args


def main() -> None:
    args = parse_args()
    sizes = (args.parts, args.needs, args.receipts, args.repeat, args.baseline)
    if args.db:
        result = asyncio.run(run_db(args.db, *sizes))
        print(db_table(result))
    else:
        result = run(*sizes)
        print(table(result))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"mrp-{args.db or 'engine'}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\n{out}")


if __name__ == "__main__":
    main()
