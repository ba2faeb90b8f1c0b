"""The stock benchmark's own parts work (untimed): tiny seeding, the balance check, one of each
measurement, on SQLite."""

from __future__ import annotations

from pathlib import Path

from bench import stock
from bot import migrate
from domain.shared.db import open_database


async def test_the_seeded_balances_equal_the_ledger_and_the_figures_are_all_there(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/bench.db"
    await migrate.upgrade(url)
    db = open_database(url)
    try:
        seeded = await stock.seed(db, products=5, moves=200, deadline=30)
        for product in seeded.products:
            await stock.check_balances(db, product, seeded.locations)  # raises if not equal
        reads = await stock.measure_reads(db, seeded, reads=3)
        posting = await stock.measure_posts(db, seeded, posts=4)
    finally:
        await db.dispose()
    assert sum(seeded.on_hand.values()) > 0
    assert set(reads) == {"stock_read", "ledger_sum"}
    assert set(reads["stock_read"]) == {"n", "p50_ms", "p99_ms", "max_ms"}
    assert set(posting) == {"posts", "moves_per_s", "bare_inserts_per_s", "ratio"}
    assert posting["posts"] == 4


def test_quick_means_twenty_thousand_moves() -> None:
    assert stock.parse_args(["--quick"]).moves == 20_000
    assert stock.parse_args([]).moves == 1_000_000
