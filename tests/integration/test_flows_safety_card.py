"""The safety-stock card (issue 13 point 4), through the running pipeline on SQLite: a delivery
that takes stock below safety gives the warehouse manager and the buyer one card each, in their
language, after settle; another move still below gives none; back above and below again gives
a new one; the card's button drafts one purchase request that goes to the purchase approval, and
a double tap or the other recipient's tap finds that same request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.approvals.store import load
from domain.erp.catalog import add_product, product_by_sku
from domain.erp.purchase_models import PurchaseRequest, PurchaseRequestLine
from domain.erp.stock import post_move
from domain.erp.warehouses import add_warehouse, main_location, warehouse_by_code
from tests.integration.approvals_rig import Office, button, running_office
from tests.integration.erp_rig import delivery, receipt

ORG = """
org: {name: Test Trading, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: wendy, name: Wendy Stock, department: Management, manager: alice,
     roles: [warehouse, manager], locale: en}
  - {handle: li, name: 李采购 Li, department: Management, manager: alice, roles: [purchasing],
     locale: zh_CN}
  - {handle: will, name: Will Clerk, department: Management, roles: [warehouse], locale: en}
"""
EN_TITLE = "Below safety stock: BOLT-M6 Hex bolt"
ZH_TITLE = "低于安全库存：BOLT-M6 螺栓"


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    # the consumers never poll here: chat batches and settle wake them, nothing else
    quiet = sqlite_settings.model_copy(update={"flow_poll_seconds": 300})
    async with running_office(quiet, extra=(), org=ORG) as office:

        def stocked(s: Session) -> None:
            warehouse = add_warehouse(s, "SH", "上海仓")
            main_location(s, warehouse)
            values = {
                "name_en": "Hex bolt", "name_zh": "螺栓", "cost": Decimal(2),
                "safety_stock": Decimal(100), "reorder_qty": Decimal(500),
                "default_supplier": "Acme Metals",
            }  # fmt: skip
            add_product(s, "BOLT-M6", values, "CNY", office.clock.now())  # type: ignore[arg-type]

        await office.run(stocked)
        await move(office, "receipt", "150", "in-1")
        yield office


async def move(office: Office, kind: str, quantity: str, key: str, *, settle: bool = True) -> None:
    """Post a stock move outside chat (as the CLI or another module would), then settle."""

    def work(s: Session) -> None:
        product = product_by_sku(s, "BOLT-M6")
        assert product is not None
        warehouse = warehouse_by_code(s, "SH")
        assert warehouse is not None
        place = main_location(s, warehouse)
        made = receipt if kind == "receipt" else delivery
        post_move(s, made(product, place, quantity, key), None, office.clock.now())

    await office.run(work)
    if settle:
        await office.runtime.settle()


def alerts(office: Office, handle: str) -> list[Card]:
    cards = [p.message for p in office.posted(handle) if isinstance(p.message, Card)]
    return [c for c in cards if c.title in (EN_TITLE, ZH_TITLE)]


async def test_one_card_each_per_breach_in_their_language(shop: Office) -> None:
    assert alerts(shop, "wendy") == [] and alerts(shop, "li") == []
    await move(shop, "delivery", "60", "out-1")  # 90 available, safety 100
    (wendy_card,) = alerts(shop, "wendy")
    (li_card,) = alerts(shop, "li")
    assert wendy_card.title == EN_TITLE and li_card.title == ZH_TITLE
    fields = {f.label: f.value for f in wendy_card.fields}
    assert fields == {
        "Available": "90 pcs",
        "Safety stock": "100 pcs",
        "Reorder quantity": "500 pcs",
        "Default supplier": "Acme Metals",
    }
    assert button(wendy_card, "Draft purchase request")
    assert button(li_card, "起草采购申请")
    assert alerts(shop, "alice") == [] and alerts(shop, "will") == []  # neither manager nor buyer

    await move(shop, "delivery", "10", "out-2")  # still below: the same breach
    assert len(alerts(shop, "wendy")) == 1 and len(alerts(shop, "li")) == 1

    await move(shop, "receipt", "100", "in-2")  # 180: back above, the watch re-arms
    await move(shop, "delivery", "90", "out-3")  # 90: a new breach
    assert len(alerts(shop, "wendy")) == 2 and len(alerts(shop, "li")) == 2


async def test_the_button_drafts_one_request_that_goes_to_approval(shop: Office) -> None:
    await move(shop, "delivery", "60", "out-1")
    (wendy_card,) = alerts(shop, "wendy")
    (li_card,) = alerts(shop, "li")
    token = button(wendy_card, "Draft purchase request").token
    drafted = await shop.tap("wendy", token)
    assert isinstance(drafted.message, Card)
    assert drafted.message.title.startswith("Purchase request PR2026-00001 submitted for approval")

    # every copy of the card now says who drafted which, in its reader's language
    (li_now,) = alerts(shop, "li")
    assert li_now.body == "Wendy Stock 已起草采购申请 PR2026-00001，等待审批。"
    assert li_now.buttons == ()
    (wendy_now,) = alerts(shop, "wendy")
    assert wendy_now.body.startswith("Wendy Stock drafted purchase request PR2026-00001")

    again = await shop.tap("wendy", token)  # a double tap
    assert "PR2026-00001 was already drafted" in again.text
    other = await shop.tap("li", button(li_card, "起草采购申请").token)
    assert "PR2026-00001" in other.text

    def requests(s: Session) -> list[tuple[PurchaseRequest, list[PurchaseRequestLine]]]:
        found = list(s.scalars(select(PurchaseRequest)))
        lines = [
            list(
                s.scalars(select(PurchaseRequestLine).where(PurchaseRequestLine.request_id == r.id))
            )
            for r in found
        ]
        return list(zip(found, lines, strict=True))

    ((request, lines),) = await shop.run(requests)
    assert [line.quantity for line in lines] == [Decimal(500)]
    assert request.approval_id is not None
    state = await shop.run(lambda s: load(s, request.approval_id))  # type: ignore[arg-type]
    assert state is not None and state.status == "pending"


async def test_a_chat_batch_that_records_an_event_wakes_the_consumers_and_others_do_not(
    shop: Office,
) -> None:
    runtime = shop.runtime
    woken: list[int] = []

    def wake() -> None:
        woken.append(1)
        runtime.flows.wake()

    runtime.workers.on_domain_events(wake)
    await shop.say("will", "/stock BOLT-M6")  # records no event: nothing more to do
    assert woken == []
    adjusted = await shop.say("will", "/adjust BOLT-M6 -60 SH count")  # 90: below safety
    assert "BOLT-M6" in adjusted.text
    assert woken == [1]
    assert len(alerts(shop, "wendy")) == 1 and len(alerts(shop, "li")) == 1


async def test_a_breach_over_before_it_is_consumed_gets_no_card(shop: Office) -> None:
    # both moves commit before the consumers look (outside chat nothing wakes them)
    await move(shop, "delivery", "60", "out-1", settle=False)  # 90: below
    await move(shop, "receipt", "20", "in-2", settle=False)  # 110: over before anyone was told
    await shop.runtime.settle()
    assert alerts(shop, "wendy") == [] and alerts(shop, "li") == []
    await move(shop, "delivery", "20", "out-2")  # 90: the next breach is told
    assert len(alerts(shop, "wendy")) == 1
