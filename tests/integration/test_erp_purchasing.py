"""Purchasing in the domain, on SQLite (the locking is test_erp_purchasing_pg's): a request is
ordered only once its approval's event is recorded, a second pick returns the same order, open
order quantity is incoming stock, a receipt puts only the accepted units into stock at the order's
price and records goods.received once, a redelivered receipt moves stock once, and the comparison
shows each supplier's on-time and acceptance rates from its past receipts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.directory.models import Member
from domain.erp.levels import availability
from domain.erp.models import StockMove, Warehouse
from domain.erp.purchase_models import PurchaseOrder, PurchaseRequest, Supplier
from domain.erp.purchasing import (
    APPROVED_EVENT,
    Wanted,
    ask_quotes,
    compare,
    link_approval,
    order_lines,
    place_order,
    raise_request,
    record_quote,
)
from domain.erp.receiving import GOODS_RECEIVED, Inspected, receive
from domain.erp.suppliers import add_supplier, scorecard
from domain.shared.domain_events import events_named, record_event
from domain.shared.errors import Conflict
from tests.integration.erp_rig import NOW, erp_session, seeded

TODAY = NOW.date()


def member(session: Session, handle: str = "bob") -> int:
    row = Member(handle=handle, name=handle, created_at=NOW, updated_at=NOW)
    session.add(row)
    session.flush()
    return row.id


def approved_request(
    session: Session, product_id: int, quantity: str = "10", approval_id: int = 7
) -> PurchaseRequest:
    """A request whose approval recorded the purchase template's approved event."""
    request = raise_request(
        session,
        member(session, f"m{approval_id}"),
        [Wanted(product_id, Decimal(quantity))],
        None,
        "stock",
        NOW,
    )
    link_approval(session, request, approval_id)
    record_event(session, APPROVED_EVENT, "approval", str(approval_id), {}, NOW)
    return request


def supplier(session: Session, name: str, lead: int = 5) -> Supplier:
    return add_supplier(session, name, {"lead_days": lead}, "CNY", NOW)


def test_a_request_becomes_an_order_only_once_approved_and_a_second_pick_is_the_same_order(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        product, _sh, _bj = seeded(s)
        acme, warehouse = supplier(s, "Acme"), s.scalars(select(Warehouse)).first()
        assert warehouse is not None
        request = raise_request(
            s, member(s), [Wanted(product.id, Decimal(10))], date(2026, 12, 20), "stock", NOW
        )
        assert request.number == "PR2026-00001" and request.amount == Decimal(20)
        link_approval(s, request, 41)
        with pytest.raises(Conflict, match="not approved"):
            place_order(s, request, acme, warehouse, None, NOW)
        record_event(s, "ExpenseApproved", "approval", "41", {}, NOW)  # not the purchase event
        with pytest.raises(Conflict, match="not approved"):
            place_order(s, request, acme, warehouse, None, NOW)
        record_event(s, APPROVED_EVENT, "approval", "41", {}, NOW)
        order, new = place_order(s, request, acme, warehouse, None, NOW)
        again, new_again = place_order(s, request, acme, warehouse, None, NOW)
        assert (order.number, new, again.id, new_again) == ("PO2026-00001", True, order.id, False)
        assert order.expected_on == TODAY + timedelta(days=5)
        assert s.scalar(select(func.count(PurchaseOrder.id))) == 1
        assert availability(s, product.id).incoming == Decimal(10)
        assert availability(s, product.id).projected == Decimal(10)


def test_a_receipt_with_one_unit_rejected_stocks_only_the_accepted_units_once(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s)
        acme, warehouse = supplier(s, "Acme"), s.scalars(select(Warehouse)).first()
        assert warehouse is not None
        request = approved_request(s, product.id, "10")
        record_quote(s, request, acme, None, Decimal("1.5"), 3, NOW)
        order, _new = place_order(s, request, acme, warehouse, None, NOW)
        goods = [Inspected(product.id, Decimal(9), Decimal(1))]
        first = receive(s, order, goods, "chat:web:e1", None, NOW, TODAY)
        again = receive(s, order, goods, "chat:web:e1", None, NOW, TODAY)  # redelivered
        assert first.new and not again.new and again.receipt.id == first.receipt.id
        held = availability(s, product.id, warehouse.id)
        assert (held.on_hand, held.value, held.incoming) == (
            Decimal(9),
            Decimal("13.5"),
            Decimal(0),
        )
        moves = list(s.scalars(select(StockMove).where(StockMove.kind == "receipt")))
        assert [(m.quantity, m.unit_cost, m.to_location_id, m.source) for m in moves] == [
            (Decimal(9), Decimal("1.5"), sh, order.number)
        ]
        assert order.status == "received" and order_lines(s, order.id)[0].rejected == 1
        (event,) = events_named(s, GOODS_RECEIVED)
        assert event.payload["supplier"] == "Acme" and event.payload["order"] == order.number
        assert event.payload["lines"] == [
            {
                "product_id": product.id,
                "sku": "BOLT-M6",
                "accepted": "9",
                "rejected": "1",
                "unit_price": "1.5000",
                "value": "13.50",
                "tax_rate": "0",
                "product_type": "finished",
            }
        ]
        with pytest.raises(Conflict, match="received in full"):
            receive(s, order, [Inspected(product.id, Decimal(1))], "chat:web:e2", None, NOW, TODAY)


def test_more_than_the_open_quantity_is_refused_and_partial_receipts_add_up(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        product, _sh, _bj = seeded(s)
        acme, warehouse = supplier(s, "Acme"), s.scalars(select(Warehouse)).first()
        assert warehouse is not None
        order, _new = place_order(
            s, approved_request(s, product.id, "10"), acme, warehouse, None, NOW
        )
        receive(s, order, [Inspected(product.id, Decimal(4))], "k1", None, NOW, TODAY)
        with pytest.raises(Conflict, match="Only 6"):
            receive(
                s, order, [Inspected(product.id, Decimal(6), Decimal(1))], "k2", None, NOW, TODAY
            )
        assert availability(s, product.id).incoming == Decimal(6)
        receive(s, order, [Inspected(product.id, Decimal(6))], "k3", None, NOW, TODAY)
        assert (order.status, availability(s, product.id).on_hand) == ("received", Decimal(10))


def test_compare_shows_price_lead_time_and_the_rates_from_past_receipts(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, _sh, _bj = seeded(s)
        acme, bolt = supplier(s, "Acme", lead=2), supplier(s, "Bolt Co", lead=10)
        warehouse = s.scalars(select(Warehouse)).first()
        assert warehouse is not None
        history = [  # Acme: one late receipt, 8 of 10 accepted; Bolt Co: on time, all accepted
            (acme, 1, "8", "2", TODAY + timedelta(days=5)),
            (bolt, 2, "10", "0", TODAY),
        ]
        for who, approval, accepted, rejected, day in history:
            past = approved_request(s, product.id, "10", approval)
            order, _new = place_order(s, past, who, warehouse, None, NOW)
            goods = [Inspected(product.id, Decimal(accepted), Decimal(rejected))]
            receive(s, order, goods, f"past-{approval}", None, NOW, day)
        request = approved_request(s, product.id, "100", 3)
        assert ask_quotes(s, request, [acme, bolt], NOW) == 2
        assert ask_quotes(s, request, [acme, bolt], NOW) == 0
        record_quote(s, request, acme, product.id, Decimal("1.2"), None, NOW)
        record_quote(s, request, bolt, product.id, Decimal("1.3"), 4, NOW)
        offers = compare(s, request)
        assert [(o.supplier.name, o.total, o.lead_days, o.complete) for o in offers] == [
            ("Acme", Decimal(120), 2, True),
            ("Bolt Co", Decimal(130), 4, True),
        ]
        assert (offers[0].score.on_time_rate, offers[0].score.acceptance_rate) == (
            Decimal(0),
            Decimal("0.8"),
        )
        assert (offers[1].score.on_time_rate, offers[1].score.acceptance_rate) == (Decimal(1),) * 2
        assert scorecard(s, acme.id).receipts == 1
        order, _new = place_order(s, request, bolt, warehouse, None, NOW)
        assert order.expected_on == TODAY + timedelta(days=4)
        assert order_lines(s, order.id)[0].unit_price == Decimal("1.3")
