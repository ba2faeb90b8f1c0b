"""The scripted ERP day across roles (issue 13): a buyer compares two suppliers and orders; the
warehouse receives with one unit rejected; a rep quotes and confirms an order for a CRM
customer; the warehouse ships it in two parts; the customer's contact (a guest) is told; the
order takes the bolts below safety stock, and the one alert's button drafts a purchase request
that the approver approves.

The lines each role types, step by step, and the checks of what each step answered and of what
the database holds at the end. tests/e2e/test_erp_day.py types it through one ``bizbot serve``:
the buyer on the web chat, the warehouse manager and the approver on Slack, the rep and the
customer's contact on Telegram. Everyone reads English but the contact, who reads Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.erp.levels import availability
from domain.erp.models import Product, SafetyWatch
from domain.erp.purchase_models import (
    PurchaseOrder,
    PurchaseRequest,
    Receipt,
    ReceiptLine,
    Supplier,
)
from domain.erp.sales_models import Delivery, SalesDocument, SalesLine
from domain.flows.models import SafetyAlert
from tests.support import FIXTURES

ORG_FILE = FIXTURES / "erp_org.yaml"  # alice approves; pia buys; will keeps stock; sue sells
CATALOG_FILE = FIXTURES / "erp_catalog.yaml"  # BOLT-M6: 100 in SH, safety stock 100

# 1. The buyer (pia): two suppliers, a request for 200 bolts (approved by alice), a quote from
#    each, the comparison; then she taps "Order from Acme Metals".
BUYER_ASKS = [
    '/supplier add Acme Metals contact="Li 138" terms="30 days" lead=5',
    "/supplier add Bolt Co lead=12",
    "/pr BOLT-M6 200 reason=restock",
]
BUYER_COMPARES = [
    "/rfq PR2026-00001 Acme Metals",
    "/rfq PR2026-00001 Bolt Co",
    "/rfq PR2026-00001 Acme Metals price=0.32 lead=5",
    "/rfq PR2026-00001 Bolt Co price=0.3 lead=12",
    "/compare PR2026-00001",
]
PICK = "Order from Acme Metals"
PR1_CARD = "Purchase request #1 · Pia Buyer"  # alice's approval card (approval #1)
APPROVED = "Your request is approved."  # and the buyer is told
TO_ORDER = "Purchase request PR2026-00001 is approved: order it"  # the buyer's card to order
TO_ORDER_AGAIN = "Purchase request PR2026-00002 is approved: order it"
# 2. The warehouse (will): the 200 arrive, one is rejected.
WAREHOUSE_RECEIVES = ["/receive PO2026-00001 200 rejected=1", "/stock BOLT-M6"]
# 3. The rep (sue): a customer, its buyer invited as a guest, a quotation turned into an order
#    and confirmed.
REP_INVITES = ['/customer add "Delta Pumps" industry=machinery', "/contact add 1 王经理 lang=zh"]
INVITE = "/guest-invite 1"
REP_SELLS = [
    "/quote Delta BOLT-M6 250 price=0.58",
    "/quote order QT2026-00001",
    "/order confirm SO2026-00001",
]
# 4. The warehouse ships it in two parts.
WAREHOUSE_SHIPS = [
    "/ship SO2026-00001 150 tracking=SF1001",
    "/ship SO2026-00001 tracking=SF1002",
    "/stock BOLT-M6",
]
# 6. The alert's button, and the approver's.
DRAFT = "Draft purchase request"
PR2_CARD = "Purchase request #2 · Will Stock"
BUYER_LOOKS = [  # the drafted request, approved; the supplier's scorecard after the receipt
    "/pr show PR2026-00002",
    "/supplier show Acme Metals",
]
APPROVE = "Approve"
SAFETY_TITLE = "Below safety stock: BOLT-M6 Hex bolt M6"
COSTS = ("0.3", "0.58", "0.6", "CNY", "¥", "价", "成本")  # prices and costs: not for the guest


def flat(answer: str) -> str:
    """An answer with its layout reduced to single spaces."""
    return " ".join(answer.split())


def check_buying(asked: list[str], compared: list[str], placed: str) -> None:
    """Step 1: suppliers added, the request raised, quotes asked and recorded, both compared,
    the order placed from the one picked."""
    acme, bolt, requested = map(flat, asked)
    assert "Supplier Acme Metals added" in acme and "30 days" in acme, acme
    assert "Supplier Bolt Co added" in bolt, bolt
    assert "PR2026-00001" in requested and "submitted for approval" in requested, requested
    ask_acme, ask_bolt, quote_acme, quote_bolt, comparison = map(flat, compared)
    assert ask_acme.startswith("Asked Acme Metals for a quote on PR2026-00001"), ask_acme
    assert ask_bolt.startswith("Asked Bolt Co for a quote on PR2026-00001"), ask_bolt
    assert quote_acme == "Quote recorded: Acme Metals, 0.32 CNY a unit, 5 days, for PR2026-00001."
    assert quote_bolt == "Quote recorded: Bolt Co, 0.3 CNY a unit, 12 days, for PR2026-00001."
    assert "Acme Metals: 64 CNY · lead time 5 days" in comparison, comparison
    assert "Bolt Co: 60 CNY · lead time 12 days" in comparison, comparison
    assert "Purchase order PO2026-00001 placed" in flat(placed), placed
    assert "Acme Metals" in placed, placed


def check_receiving(answers: list[str]) -> None:
    """Step 2: 199 accepted, 1 rejected; only the accepted are in stock, nothing incoming."""
    received, stock = map(flat, answers)
    assert received == "PO2026-00001: 199 pcs of BOLT-M6 accepted, 1 rejected; 0 open.", received
    assert "SH 上海仓 Shanghai: on hand 299, reserved 0, available 299 pcs" in stock, stock
    assert "Incoming: 0" in stock and "Below safety stock" not in stock, stock


def check_selling(answers: list[str]) -> None:
    """Step 3: a quotation, the order made of it, confirmed with all 250 reserved."""
    quoted, ordered, confirmed = map(flat, answers)
    assert "Quotation QT2026-00001 · Delta Pumps" in quoted, quoted
    assert "BOLT-M6 Hex bolt M6 × 250 pcs at 0.58 · tax 13%" in quoted, quoted
    assert "Total: 163.85 CNY" in quoted, quoted
    assert "Order SO2026-00001 drafted from QT2026-00001." in ordered, ordered
    assert "Order SO2026-00001 · Delta Pumps · confirmed" in confirmed, confirmed
    assert "reserved 250, backordered 0, delivered 0" in confirmed, confirmed


def check_shipping(answers: list[str]) -> None:
    """Step 4: two shipments, the second completes the order; 49 left, under safety stock."""
    first, second, stock = map(flat, answers)
    assert "Shipped; tracking number SF1001." in first and "partly delivered" in first, first
    assert "reserved 100, backordered 0, delivered 150" in first, first
    assert "Shipped; tracking number SF1002." in second and "fully delivered" in second, second
    assert "reserved 0, backordered 0, delivered 250" in second, second
    assert "SH 上海仓 Shanghai: on hand 49, reserved 0, available 49 pcs" in stock, stock
    assert "Below safety stock (100)" in stock, stock


def check_alert(card: str) -> None:
    """Step 6: the alert says how far below, how much to reorder, and from whom."""
    card = flat(card)
    assert card.startswith(SAFETY_TITLE) or f" {SAFETY_TITLE}" in card, card
    for said in (
        "Available: 49 pcs", "Safety stock: 100 pcs", "Reorder quantity: 500 pcs",
        "Default supplier: Acme Metals",
    ):  # fmt: skip
        assert said in card, card


def check_reordered(answers: list[str]) -> None:
    """Step 6: the request the alert drafted is approved, for the reorder quantity; the
    supplier's scorecard counts the day's receipt (on time, 1 of 200 rejected)."""
    shown, supplier = map(flat, answers)
    assert "PR2026-00002" in shown and "Status: approved" in shown, shown
    assert "BOLT-M6 Hex bolt M6 × 500 pcs" in shown, shown
    assert "Receipts: 1" in supplier and "On time: 100%" in supplier, supplier
    assert "Accepted: 99.5%" in supplier, supplier


def check_guest_told(told: list[str]) -> None:
    """Step 5: the contact was told of the order (by the flows, so in no fixed order with the
    shipments) and of each shipment, in Chinese, with no price or cost."""
    confirmed = "Test Trading：您的订单 SO2026-00001 已确认：六角螺栓 M6 × 250 pcs。"
    assert confirmed in told, told
    assert [text for text in told if text != confirmed] == [
        "您的订单 SO2026-00001 已发货：六角螺栓 M6 × 150 pcs。运单号：SF1001。",
        "您的订单 SO2026-00001 已发货：六角螺栓 M6 × 100 pcs。运单号：SF1002。",
    ], told
    assert not [cost for cost in COSTS for text in told if cost in text], told


@dataclass(frozen=True)
class Books:
    """What the database holds at the end of the day."""

    suppliers: list[str]
    orders: list[tuple[str, str, str]]  # purchase order, supplier, status
    received: list[tuple[Decimal, Decimal]]  # accepted, rejected per receipt line
    stock: tuple[Decimal, Decimal, Decimal]  # on hand, reserved, available
    sales: list[tuple[str, str]]  # document, status
    deliveries: list[str]  # tracking numbers
    delivered: Decimal
    breaches: int  # times available went below safety stock
    alerts: int  # breaches told (a card to each recipient)
    requests: list[tuple[str, str]]  # purchase request, status


def books(session: Session) -> Books:
    """Read the day's records back."""
    product = session.scalars(select(Product).where(Product.sku == "BOLT-M6")).one()
    held = availability(session, product.id)
    orders = session.execute(
        select(PurchaseOrder.number, Supplier.name, PurchaseOrder.status)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .order_by(PurchaseOrder.id)
    )
    received = session.execute(
        select(ReceiptLine.accepted, ReceiptLine.rejected)
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .order_by(ReceiptLine.id)
    )
    return Books(
        suppliers=list(session.scalars(select(Supplier.name).order_by(Supplier.name))),
        orders=[(n, s, st) for n, s, st in orders],
        received=[(a, r) for a, r in received],
        stock=(held.on_hand, held.reserved, held.available),
        sales=[
            (n, st)
            for n, st in session.execute(
                select(SalesDocument.number, SalesDocument.status).order_by(SalesDocument.id)
            )
        ],
        deliveries=list(session.scalars(select(Delivery.tracking).order_by(Delivery.id))),
        delivered=session.scalar(select(func.sum(SalesLine.delivered))) or Decimal(0),
        breaches=session.scalar(select(SafetyWatch.breaches)) or 0,
        alerts=session.scalar(select(func.count()).select_from(SafetyAlert)) or 0,
        requests=[
            (n, st)
            for n, st in session.execute(
                select(PurchaseRequest.number, PurchaseRequest.status).order_by(PurchaseRequest.id)
            )
        ],
    )


def check_books(found: Books) -> None:
    """Every step left its mark: the order from the supplier picked, received with 1 rejected;
    100 + 199 − 250 bolts left; the quotation accepted, the order delivered in two shipments;
    one safety alert, whose request was approved."""
    assert found.suppliers == ["Acme Metals", "Bolt Co"]
    assert found.orders == [("PO2026-00001", "Acme Metals", "received")]
    assert found.received == [(Decimal(199), Decimal(1))]
    assert found.stock == (Decimal(49), Decimal(0), Decimal(49))
    assert found.sales == [("QT2026-00001", "accepted"), ("SO2026-00001", "delivered")]
    assert found.deliveries == ["SF1001", "SF1002"]
    assert found.delivered == Decimal(250)
    assert (found.breaches, found.alerts) == (1, 1)  # the order's; the shipments' were none
    assert found.requests == [("PR2026-00001", "ordered"), ("PR2026-00002", "approved")]
