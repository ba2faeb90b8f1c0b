"""The MRP engine at scale: ``plan()`` on 10,000 parts in BOMs 5 levels deep with 50,000 needs,
against a naive per-need recursive explosion measured in the same run.

``python -m bench.mrp [--parts N] [--needs M] [--receipts R] [--quick] [--no-baseline]``

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

Prints one markdown table and writes the JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from domain.erp.mrp import LotRule, Need, Part, Supply, Usage, plan
from domain.erp.mrp_lots import net
from domain.worktime.calendar import WorkCalendar

RESULTS = Path(__file__).parent / "results"
T = TypeVar("T")
SEED = 14
TODAY = date(2027, 1, 4)
LEVELS = (0.10, 0.15, 0.20, 0.25, 0.30)
HORIZON_DAYS = 120
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    result = run(args.parts, args.needs, args.receipts, args.repeat, args.baseline)
    print(table(result))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"mrp-{stamp}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\n{out}")


if __name__ == "__main__":
    main()
