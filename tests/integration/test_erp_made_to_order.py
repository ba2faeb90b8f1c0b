"""Issue 14's scripted scenario in chat, on SQLite (the words and the flow are what is tested):
a rep quotes a stool that must be made and sees when it can ship; the quotation becomes an order,
confirmed with nothing to reserve; MRP plans the stools' production and the purchase of the
missing seats; the planner confirms both; the purchase request is approved, the buyer orders,
the seats arrive; the production order is released and reported; the stools fill the order's
backorder and the warehouse ships it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.erp.catalog import add_product, product_by_sku
from domain.erp.levels import availability
from domain.erp.production_models import ProductionOrder
from domain.erp.purchase_models import PurchaseOrder, PurchaseRequest
from domain.erp.routings import OperationRequest, add_work_centre, set_routing
from domain.erp.sales_models import SalesDocument
from domain.erp.stock import post_move
from domain.erp.warehouses import add_warehouse, main_location
from tests.integration.approvals_rig import Office, button, running_office
from tests.integration.erp_rig import receipt
from tests.integration.test_erp_chat import text_of

ORG = """
org: {name: Test Works, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: sue, name: Sue, department: Management, manager: alice, roles: [sales], locale: en}
  - {handle: pat, name: Pat, department: Management, manager: alice, roles: [production],
     locale: en}
  - {handle: pia, name: Pia Buyer, department: Management, roles: [purchasing], locale: en}
  - {handle: will, name: Will Stock, department: Management, roles: [warehouse], locale: en}
"""


def workshop(now: datetime) -> Callable[[Session], None]:
    """Legs in stock, no seats; a stool made of 4 legs and a seat in half an hour at a bench."""

    def work(s: Session) -> None:
        place = main_location(s, add_warehouse(s, "SH", "上海仓"))
        legs = add_product(
            s, "LEG", {"name_en": "Leg", "kind": "raw", "cost": Decimal(2)}, "CNY", now
        )
        seat: dict[str, str | Decimal | int | bool] = {"name_en": "Seat", "kind": "raw"}
        add_product(s, "SEAT", seat | {"cost": Decimal(3), "lead_days": 3}, "CNY", now)
        stool = add_product(s, "STOOL", {"name_en": "Stool", "kind": "finished"}, "CNY", now)
        post_move(s, receipt(legs, place, "100", "legs"), None, now)
        bench = add_work_centre(s, "ASM", "Assembly", Decimal(8), Decimal(50))
        set_routing(s, stool.id, [OperationRequest("Assemble", bench.id, Decimal("0.5"))])

    return work


@pytest.fixture
async def works(sqlite_settings: Settings) -> AsyncIterator[Office]:
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:
        await office.run(workshop(office.clock.now()))
        await office.say("alice", "/bom set STOOL LEG 4; SEAT 1")
        await office.say("sue", "/customer add Acme Ltd")
        await office.say("pia", "/supplier add Seat Co lead=2")
        yield office


async def test_a_stool_quoted_made_from_bought_seats_and_shipped(works: Office) -> None:
    quoted = await works.say("sue", "/quote Acme STOOL 10 price=50")
    assert isinstance(quoted.message, Card)
    assert "STOOL: 0 available now; all 10 can ship on" in quoted.message.body
    assert "made once its components arrive" in quoted.message.body
    ordered = await works.tap("sue", button(quoted.message, "Make it an order").token)
    assert isinstance(ordered.message, Card)
    await works.tap("sue", button(ordered.message, "Confirm").token)
    assert "reserved 0, backordered 10" in text_of(
        await works.say("sue", "/order show SO2026-00001")
    )

    plan = await works.say("pat", "/mrp")
    shown = text_of(plan)
    assert "make STOOL Stool × 10" in shown and "buy SEAT Seat × 10" in shown
    assert "LEG" not in shown.split("\n", 1)[1]  # 40 legs of the 100 in stock: nothing to buy
    assert isinstance(plan.message, Card)
    made = text_of(await works.tap("pat", button(plan.message, "Confirm all").token))
    assert made == "Made PR2026-00001, MO2026-00001."  # in release order: the seats first

    approval = await works.run(
        lambda s: s.scalar(
            select(PurchaseRequest.approval_id).where(PurchaseRequest.number == "PR2026-00001")
        )
    )
    await works.say("alice", f"/approve {approval}")
    await works.say("pia", "/rfq PR2026-00001 Seat Co price=3 lead=2")
    placed = text_of(await works.say("pia", "/po PR2026-00001 Seat Co"))
    assert "Purchase order PO2026-00001 placed" in placed
    received = text_of(await works.say("will", "/receive PO2026-00001 10"))
    assert received == "PO2026-00001: 10 pcs of SEAT accepted, 0 rejected; 0 open."

    released = text_of(await works.say("pat", "/mo release MO2026-00001"))
    assert "Released; every component is reserved." in released
    reported = text_of(await works.say("pat", "/produce MO2026-00001 10"))
    assert "Reported 10 made and 0 scrapped" in reported
    # the stools went into stock and straight to the order waiting for them
    assert "reserved 10, backordered 0" in text_of(
        await works.say("sue", "/order show SO2026-00001")
    )
    shipped = text_of(await works.say("will", "/ship SO2026-00001 tracking=SF100"))
    assert "Shipped; tracking number SF100." in shipped

    def books(s: Session) -> tuple[str, str, str, Decimal, Decimal]:
        order = s.scalars(select(SalesDocument).where(SalesDocument.number == "SO2026-00001")).one()
        production = s.scalars(select(ProductionOrder)).one()
        bought = s.scalars(select(PurchaseOrder)).one()
        stool, seat = product_by_sku(s, "STOOL"), product_by_sku(s, "SEAT")
        assert stool is not None and seat is not None
        return (
            order.status,
            production.status,
            bought.status,
            availability(s, stool.id).on_hand,
            availability(s, seat.id).on_hand,
        )

    assert await works.run(books) == ("delivered", "done", "received", Decimal(0), Decimal(0))
    assert "Nothing to plan" in text_of(await works.say("pat", "/mrp"))
