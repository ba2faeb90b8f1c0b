"""Purchase request approved → the buyer gets it to order (issue 16 point 5), on SQLite: the
request is approved at once (not when the ERP next reads it), the buyer's card has a button for
the default supplier, one tap places the order and a second tap shows it; a request no supplier
can fill yet says to ask for quotes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.erp.catalog import add_product
from domain.erp.purchase_models import PurchaseOrder, PurchaseRequest
from domain.erp.warehouses import add_warehouse, main_location
from tests.integration.approvals_rig import Office, button, running_office
from tests.integration.test_erp_chat import text_of

ORG = """
org: {name: Test Works, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: sue, name: Sue, department: Management, manager: alice, roles: [sales], locale: en}
  - {handle: pia, name: 裴 Pia, department: Management, roles: [purchasing], locale: zh_CN}
"""


@pytest.fixture
async def works(sqlite_settings: Settings) -> AsyncIterator[Office]:
    quiet = sqlite_settings.model_copy(update={"flow_poll_seconds": 300})
    async with running_office(quiet, extra=(), org=ORG) as office:

        def catalog(s: Session) -> None:
            now = office.clock.now()
            main_location(s, add_warehouse(s, "SH", "上海仓"))
            seat: dict[str, str | Decimal | int | bool] = {"name_en": "Seat", "name_zh": "座板"}
            seat |= {"cost": Decimal(3), "default_supplier": "Seat Co"}
            add_product(s, "SEAT-1", seat, "CNY", now)
            add_product(s, "GLUE-1", {"name_en": "Glue", "name_zh": "胶水"}, "CNY", now)

        await office.run(catalog)
        await office.say("pia", "/供应商 添加 Seat Co lead=2")
        yield office


def approved_cards(office: Office) -> list[Card]:
    cards = [p.message for p in office.posted("pia") if isinstance(p.message, Card)]
    return [c for c in cards if "已批准" in c.title]


async def approve(office: Office, wanted: str) -> str:
    await office.say("sue", wanted)
    request = await office.run(
        lambda s: s.scalars(select(PurchaseRequest).order_by(PurchaseRequest.id.desc())).first()
    )
    assert request is not None and request.approval_id is not None
    await office.say("alice", f"/approve {request.approval_id}")
    return request.number


async def test_the_buyer_orders_an_approved_request_with_one_tap(works: Office) -> None:
    number = await approve(works, "/pr SEAT-1 10 reason=stools")
    status = await works.run(
        lambda s: s.scalar(select(PurchaseRequest.status).where(PurchaseRequest.number == number))
    )
    assert status == "approved"  # at once, not when the ERP next reads it
    (card,) = approved_cards(works)
    assert card.title == f"采购申请 {number} 已批准：请下单"
    assert "SEAT-1 座板 × 10" in card.body
    order_it = button(card, "向Seat Co下单")
    placed = text_of(await works.tap("pia", order_it.token))
    assert "采购单 PO2026-00001 已下达" in placed
    again = text_of(await works.tap("pia", order_it.token))
    assert "PO2026-00001" in again
    assert await works.count(select(func.count()).select_from(PurchaseOrder)) == 1


async def test_no_supplier_to_order_from_says_to_ask_for_quotes(works: Office) -> None:
    number = await approve(works, "/pr GLUE-1 5 price=2 reason=assembly")
    (card,) = approved_cards(works)
    assert card.buttons == ()
    assert card.footer == f"还没有供应商报全价：请用 /询价 {number} 询价。"
