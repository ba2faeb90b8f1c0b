"""A property of the stock ledger (hypothesis, SQLite): after every one of thousands of random
receipts, deliveries, transfers, adjustments, reservations and releases, each balance equals the
sum of its moves in quantity and value, reserved stays within on hand where negatives are not
allowed, and the value is the moving average's: nothing on hand carries no value, and what is
on hand is never worth less than nothing. At the end of each run, what /stock reads agrees with
the balances and available is on hand less reserved (available is not stored, so once a run is
enough). About 2,000 operations in 25 runs, in under 4 s."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from domain.erp.levels import availability
from domain.erp.models import StockMove
from domain.erp.stock import MoveRequest, post_move, release, reserve
from domain.shared.errors import DomainError
from tests.integration.erp_rig import NOW, balances, seeded

KEYS = itertools.count()
quantities = st.integers(1, 40).map(Decimal) | st.decimals("0.001", "9.999", places=3)
costs = st.decimals("0", "99.9999", places=4)
operations = st.tuples(
    st.sampled_from(["receipt", "delivery", "transfer", "adjust", "reserve", "release"]),
    st.booleans(),  # which of the two places
    quantities,
    costs,
)


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    built = create_engine(sqlite_url)
    yield built
    built.dispose()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(operations, min_size=60, max_size=100), st.booleans())
def test_every_balance_is_the_sum_of_its_moves_after_every_change(
    engine: Engine, steps: list[tuple[str, bool, Decimal, Decimal]], negatives: bool
) -> None:
    with Session(engine) as s, s.begin():
        product, sh, bj = seeded(s, f"P{next(KEYS)}", allow_negative=negatives)
        ledger = Ledger(product.id)
        for kind, first, quantity, cost in steps:
            here, there = (sh, bj) if first else (bj, sh)
            with s.begin_nested() as step:
                try:
                    _apply(s, product.id, kind, here, there, quantity, cost)
                except DomainError:
                    step.rollback()
            _check(s, ledger.read(s), negatives)
        _check_levels(s, product.id)
        s.rollback()


def _apply(
    s: Session, product_id: int, kind: str, here: int, there: int, qty: Decimal, cost: Decimal
) -> None:
    key = f"k{next(KEYS)}"
    requests = {
        "receipt": MoveRequest("receipt", product_id, qty, key, to_location=here, unit_cost=cost),
        "delivery": MoveRequest("delivery", product_id, qty, key, from_location=here),
        "transfer": MoveRequest(
            "transfer", product_id, qty, key, from_location=here, to_location=there
        ),
        "adjust": MoveRequest("adjustment", product_id, qty, key, from_location=here),
    }
    if kind == "reserve":
        reserve(s, product_id, here, qty, NOW)
    elif kind == "release":
        release(s, product_id, here, qty, NOW)
    else:
        post_move(s, requests[kind], None, NOW)


class Ledger:
    """The sums of a product's moves per location, kept up to date by reading each new move."""

    def __init__(self, product_id: int) -> None:
        self.product_id = product_id
        self.last_seen = 0
        self.sums: dict[int, tuple[Decimal, Decimal]] = {}

    def read(self, s: Session) -> Ledger:
        new = s.scalars(
            select(StockMove)
            .where(StockMove.product_id == self.product_id, StockMove.id > self.last_seen)
            .order_by(StockMove.id)
        )
        for move in new:
            self.last_seen = move.id
            for place, sign in ((move.to_location_id, 1), (move.from_location_id, -1)):
                if place is not None:
                    quantity, value = self.sums.get(place, (Decimal(0), Decimal(0)))
                    self.sums[place] = (quantity + sign * move.quantity, value + sign * move.value)
        return self


def _check(s: Session, ledger: Ledger, negatives: bool) -> None:
    product_id, sums = ledger.product_id, ledger.sums
    held = balances(s, product_id)
    for place, balance in held.items():
        assert sums.get(place, (0, 0)) == (balance.on_hand, balance.value)
        assert balance.reserved >= 0
        if not negatives:
            assert 0 <= balance.reserved <= balance.on_hand
            assert balance.value >= 0
            assert balance.on_hand or not balance.value  # nothing on hand, no value left


def _check_levels(s: Session, product_id: int) -> None:
    """What /stock reads agrees with the balances: available is on hand less reserved."""
    held = balances(s, product_id).values()
    everywhere = availability(s, product_id)
    assert everywhere.on_hand == sum((b.on_hand for b in held), Decimal(0))
    assert everywhere.reserved == sum((b.reserved for b in held), Decimal(0))
    assert everywhere.available == everywhere.on_hand - everywhere.reserved
