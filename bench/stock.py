"""The ERP stock ledger at scale: the ``/stock SKU`` read and posting speed, vs a bare baseline.

``python -m bench.stock [--db sqlite|postgresql] [--moves N] [--quick] [--reads R] [--posts P]``

1. Seeds a fresh database (SQLite in a temporary directory; PostgreSQL made on BIZBOT_TEST_PG_URL,
   default postgresql://postgres@127.0.0.1:5432/test, and dropped afterwards) with ``--products``
   products in two warehouses and ``--moves`` ledger rows (1,000,000; 20,000 with ``--quick``).
   Seeding **bypasses post_move**: the ledger rows and the balance rows they add up to (computed in
   Python) are inserted in bulk, so it takes a minute or two, not hours. Every product has one unit
   cost, so the moving average is that cost and the seeded values are exact. After seeding, one
   product's balances are checked against the sum of its ledger rows; a mismatch stops the run.
2. Reads: ``--reads`` times, for a random product, what ``/stock SKU`` reads
   (``stock_by_warehouse`` and ``availability``), one transaction each through ``db.run``: p50 and
   p99. The same number of ledger sums (``SELECT SUM(quantity) … WHERE product_id = …``) for the
   same products show what reading the ledger instead of the balances would cost.
3. Posting: ``--posts`` ``post_move`` calls (receipts and deliveries of random products), one
   move per transaction through ``db.run``; the baseline, in the same run, is as many bare
   single-row INSERT transactions into a scratch table through the same ``db.run``.

Prints one markdown table and writes the JSON to bench/results/. Loopback/local only; every part
is bounded in count (and the seeding in time: ``--deadline``).
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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, insert, select, text
from sqlalchemy.orm import Session

from bot import migrate
from domain.erp.levels import availability, stock_by_warehouse
from domain.erp.models import Location, Product, StockBalance, StockMove, Warehouse
from domain.erp.stock import MoveRequest, post_move
from domain.shared.db import Database, open_database
from tests.support import create_pg_database, drop_pg_database

RESULTS = Path(__file__).parent / "results"
CHUNK = 10_000
SEED = 13


@dataclass
class Seeded:
    """What the seeding made: product and location ids, and each balance's units on hand."""

    products: list[int]
    locations: list[int]
    on_hand: dict[tuple[int, int], int]
    seconds: float


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _catalogue(session: Session, products: int, now: datetime) -> tuple[list[int], list[int]]:
    locations = []
    for code in ("WH1", "WH2"):
        warehouse = Warehouse(code=code, name=f"Bench {code}")
        session.add(warehouse)
        session.flush()
        location = Location(warehouse_id=warehouse.id, code="MAIN", name="Main")
        session.add(location)
        session.flush()
        locations.append(location.id)
    rows = [
        {
            "sku": f"B{i:05d}",
            "name_en": f"Bench product {i}",
            "cost": Decimal(1 + i % 50) + Decimal("0.25"),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(products)
    ]
    session.execute(insert(Product), rows)
    ids = list(session.scalars(select(Product.id).order_by(Product.id)))
    return ids, locations


def _ledger(
    moves: int, products: list[int], locations: list[int], costs: dict[int, Decimal], now: datetime
) -> tuple[list[dict[str, Any]], dict[tuple[int, int], int]]:
    """``moves`` ledger rows (two receipts for each delivery, deliveries never below nothing) and
    the units on hand they leave at each product and location."""
    rng = random.Random(SEED)
    on_hand: dict[tuple[int, int], int] = {}
    rows: list[dict[str, Any]] = []
    for n in range(moves):
        product, location = rng.choice(products), rng.choice(locations)
        held = on_hand.get((product, location), 0)
        if held > 0 and n % 3 == 2:
            quantity, kind = rng.randint(1, min(held, 10)), "delivery"
            source, target = location, None
            on_hand[(product, location)] = held - quantity
        else:
            quantity, kind = rng.randint(1, 20), "receipt"
            source, target = None, location
            on_hand[(product, location)] = held + quantity
        cost = costs[product]
        rows.append(
            {
                "kind": kind,
                "product_id": product,
                "from_location_id": source,
                "to_location_id": target,
                "quantity": Decimal(quantity),
                "unit_cost": cost,
                "value": cost * quantity,
                "idempotency_key": f"seed-{n}",
                "created_at": now,
            }
        )
    return rows, on_hand


async def seed(db: Database, products: int, moves: int, deadline: float) -> Seeded:
    """Fill the catalogue, the ledger and the balances in bulk (not through post_move)."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    product_ids, locations = await db.run(lambda s: _catalogue(s, products, now))
    costs = await db.run(
        lambda s: {pid: cost for pid, cost in s.execute(select(Product.id, Product.cost))}
    )
    rows, on_hand = _ledger(moves, product_ids, locations, costs, now)
    for start in range(0, len(rows), CHUNK):
        if time.perf_counter() - started > deadline:
            raise SystemExit(f"seeding passed --deadline {deadline:.0f}s at {start} moves")
        chunk = rows[start : start + CHUNK]
        await db.run(partial(_insert_moves, chunk=chunk))
    balances = [
        {
            "product_id": p,
            "location_id": loc,
            "on_hand": Decimal(units),
            "reserved": Decimal(0),
            "value": costs[p] * units,
        }
        for (p, loc), units in on_hand.items()
    ]
    await db.run(lambda s: s.execute(insert(StockBalance), balances))
    table_names = ("erp_stock_moves", "erp_stock_balances", "erp_products")
    await db.run(lambda s: [s.execute(text(f"ANALYZE {name}")) for name in table_names])
    seeded = Seeded(product_ids, locations, on_hand, time.perf_counter() - started)
    await check_balances(db, product_ids[0], locations)
    return seeded


def _insert_moves(session: Session, chunk: list[dict[str, Any]]) -> None:
    session.execute(insert(StockMove), chunk)


def _bare_insert(session: Session, n: int) -> None:
    """The baseline: one row into the scratch table."""
    session.execute(
        text("INSERT INTO bench_scratch (id, n, note) VALUES (:id, :n, :note)"),
        {"id": n + 1, "n": n, "note": "x"},
    )


def ledger_sums(session: Session, product_id: int) -> dict[int, Decimal]:
    """Units of a product at each location, summed from the ledger."""
    signed = case(
        (StockMove.to_location_id.is_not(None), StockMove.quantity), else_=-StockMove.quantity
    )
    place = func.coalesce(StockMove.to_location_id, StockMove.from_location_id)
    rows = session.execute(
        select(place, func.sum(signed)).where(StockMove.product_id == product_id).group_by(place)
    )
    return {int(loc): Decimal(total) for loc, total in rows}


async def check_balances(db: Database, product_id: int, locations: list[int]) -> None:
    """Fail loudly unless the product's balance rows equal its ledger sums."""

    def compare(session: Session) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
        rows = session.execute(
            select(StockBalance.location_id, StockBalance.on_hand).where(
                StockBalance.product_id == product_id
            )
        )
        return {loc: q for loc, q in rows}, ledger_sums(session, product_id)

    balances, ledger = await db.run(compare)
    if not ledger or any(balances.get(loc, 0) != ledger.get(loc, 0) for loc in locations):
        raise SystemExit(f"product {product_id}: balances {balances} != ledger sums {ledger}")


def stock_read(session: Session, product_id: int) -> Decimal:
    """What ``/stock SKU`` reads: the stock in each warehouse, and in all of them."""
    stock_by_warehouse(session, product_id)
    return availability(session, product_id).on_hand


def ledger_sum(session: Session, product_id: int) -> Decimal:
    """The same product's units summed over its whole ledger (what the balances spare us)."""
    total = session.scalar(
        select(func.sum(StockMove.quantity)).where(StockMove.product_id == product_id)
    )
    return Decimal(total or 0)


async def timed(db: Database, work: Callable[[Session], object]) -> float:
    """One ``db.run`` of ``work``, in milliseconds."""
    started = time.perf_counter()
    await db.run(work)
    return (time.perf_counter() - started) * 1000


def latency(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 0.50), 3),
        "p99_ms": round(percentile(samples, 0.99), 3),
        "max_ms": round(max(samples), 3),
    }


async def measure_reads(db: Database, seeded: Seeded, reads: int) -> dict[str, Any]:
    """``/stock SKU`` reads and ledger sums of the same random products, interleaved."""
    rng = random.Random(SEED + 1)
    picks = [rng.choice(seeded.products) for _ in range(reads)]
    stock: list[float] = []
    ledger: list[float] = []
    for product in picks:
        stock.append(await timed(db, partial(stock_read, product_id=product)))
        ledger.append(await timed(db, partial(ledger_sum, product_id=product)))
    return {"stock_read": latency(stock), "ledger_sum": latency(ledger)}


async def measure_posts(db: Database, seeded: Seeded, posts: int) -> dict[str, Any]:
    """``post_move`` one move per transaction, then as many bare single-row INSERTs."""
    rng = random.Random(SEED + 2)
    on_hand = dict(seeded.on_hand)
    requests = []
    for n in range(posts):
        product, location = rng.choice(seeded.products), rng.choice(seeded.locations)
        held = on_hand.get((product, location), 0)
        if n % 2 and held >= 2:
            on_hand[(product, location)] = held - 2
            requests.append(
                MoveRequest("delivery", product, Decimal(2), f"bench-{n}", from_location=location)
            )
        else:
            on_hand[(product, location)] = held + 3
            requests.append(
                MoveRequest("receipt", product, Decimal(3), f"bench-{n}", to_location=location)
            )
    now = datetime.now(UTC)
    started = time.perf_counter()
    for request in requests:
        await db.run(partial(post_move, request=request, actor_id=None, now=now))
    ours = time.perf_counter() - started

    await db.run(
        lambda s: s.execute(
            text("CREATE TABLE bench_scratch (id INTEGER PRIMARY KEY, n INTEGER, note TEXT)")
        )
    )
    started = time.perf_counter()
    for n in range(posts):
        await db.run(partial(_bare_insert, n=n))
    bare = time.perf_counter() - started
    await check_balances(db, requests[0].product_id, seeded.locations)
    return {
        "posts": posts,
        "moves_per_s": round(posts / ours, 1),
        "bare_inserts_per_s": round(posts / bare, 1),
        "ratio": round(bare / ours, 3),
    }


async def run(db_kind: str, products: int, moves: int, reads: int, posts: int) -> dict[str, Any]:
    """Seed a fresh database, measure, drop it; return the figures."""
    with tempfile.TemporaryDirectory(prefix="bizbot-bench-stock-") as workdir:
        url = f"sqlite:///{workdir}/bench.db" if db_kind == "sqlite" else await create_pg_database()
        try:
            await migrate.upgrade(url)
            db = open_database(url)
            try:
                seeded = await seed(db, products, moves, deadline=600)
                read_figures = await measure_reads(db, seeded, reads)
                post_figures = await measure_posts(db, seeded, posts)
            finally:
                await db.dispose()
        finally:
            if db_kind == "postgresql":
                await drop_pg_database(url)
    return {
        "db": db_kind,
        "products": products,
        "warehouses": 2,
        "moves": moves,
        "seed_s": round(seeded.seconds, 1),
        "balance_equals_ledger": True,
        **read_figures,
        "posting": post_figures,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
    }


def table(result: dict[str, Any]) -> str:
    """One markdown table with every figure."""
    stock, ledger, posting = result["stock_read"], result["ledger_sum"], result["posting"]
    rows = [
        ("database", result["db"]),
        ("products / warehouses", f"{result['products']} / {result['warehouses']}"),
        ("ledger moves", f"{result['moves']:,}"),
        ("seeding (bulk, not post_move)", f"{result['seed_s']} s"),
        ("balance = ledger sum (checked)", "yes" if result["balance_equals_ledger"] else "NO"),
        ("`/stock SKU` read p50 / p99", f"{stock['p50_ms']} / {stock['p99_ms']} ms"),
        ("ledger SUM for the product p50 / p99", f"{ledger['p50_ms']} / {ledger['p99_ms']} ms"),
        ("reads (each)", str(stock["n"])),
        ("post_move, one per transaction", f"{posting['moves_per_s']:,} moves/s"),
        ("bare single-row INSERT transactions", f"{posting['bare_inserts_per_s']:,} /s"),
        ("ours / bare", str(posting["ratio"])),
        ("posts (each)", str(posting["posts"])),
    ]
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--moves", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="20,000 moves")
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.moves is None:
        args.moves = 20_000 if args.quick else 1_000_000
    return args


def main() -> None:
    args = parse_args()
    result = asyncio.run(run(args.db, args.products, args.moves, args.reads, args.posts))
    print(table(result))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"stock-{args.db}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\n{out}")


if __name__ == "__main__":
    main()
