"""The sales flow (issue 16 point 2) through the running pipeline on SQLite: a rep quotes and wins
the deal; the contract approval is submitted in her name, prefilled from the deal and the
quotation; once approved, the quotation becomes a confirmed order, the rep is told what is short
and the planner gets the material plan with its buttons; every step once, even when the
consumers run again. A rejected contract stops the flow and tells the rep who rejected it and
why, and nothing is ordered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.pipeline.flows import FlowContext
from bot.replies import Card
from commands.flows.sales_flow import FLOW_CONSUMERS
from domain.erp.catalog import add_product
from domain.erp.sales_models import SalesDocument
from domain.erp.stock import post_move
from domain.erp.warehouses import add_warehouse, main_location
from domain.flows.consumers import consume
from domain.flows.models import SalesRun
from tests.integration.approvals_rig import Office, button, member_id, running_office
from tests.integration.erp_rig import receipt

ORG = """
org: {name: Test Works, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: sue, name: Sue Sales, department: Management, manager: alice, roles: [sales],
     locale: en}
  - {handle: fiona, name: Fiona Finance, department: Management, manager: alice,
     roles: [finance], locale: en}
  - {handle: pat, name: 潘 Pat, department: Management, manager: alice, roles: [production],
     locale: zh_CN}
"""


@pytest.fixture
async def works(sqlite_settings: Settings) -> AsyncIterator[Office]:
    quiet = sqlite_settings.model_copy(update={"flow_poll_seconds": 300})
    async with running_office(quiet, extra=(), org=ORG) as office:

        def stocked(s: Session) -> None:
            now = office.clock.now()
            place = main_location(s, add_warehouse(s, "SH", "上海仓"))
            bolt = add_product(s, "BOLT-M6", {"name_en": "Bolt", "cost": Decimal(1)}, "CNY", now)
            add_product(s, "STOOL-1", {"name_en": "Stool", "kind": "finished"}, "CNY", now)
            post_move(s, receipt(bolt, place, "100", "bolts"), None, now)

        await office.run(stocked)
        await office.say("sue", "/customer add Acme Ltd")
        yield office


def cards(office: Office, handle: str) -> list[Card]:
    return [p.message for p in office.posted(handle) if isinstance(p.message, Card)]


async def win(office: Office, quote: str, deal: str) -> int:
    """Quote, open a deal and win it; the contract approval's number."""
    await office.say("sue", quote)
    await office.say("sue", f"/deal add Acme {deal} amount=5000 close=2026-12-31")
    deal_id = await office.count(select(func.max(SalesRun.deal_id)).select_from(SalesRun)) or 0
    await office.say("sue", f"/deal won {deal_id + 1}")
    run = await office.run(lambda s: s.get(SalesRun, deal_id + 1))
    assert run is not None and run.request_id is not None
    return run.request_id


async def test_a_won_deal_becomes_a_confirmed_order_and_a_plan_for_the_shortage(
    works: Office,
) -> None:
    request = await win(works, "/quote Acme STOOL-1 10 price=500", "Stools")
    started = cards(works, "sue")[-1]
    assert started.title == (
        f"Deal #1 Stools is won: contract approval #{request} was submitted in your name."
    )
    state = await works.request(request)
    sue = await member_id(works, "sue")
    assert state.initiator == sue
    assert state.fields["counterparty"] == "Acme Ltd"
    assert state.fields["amount"] == "5000.00"
    assert "Quotation QT2026-00001: STOOL-1 × 10 @ 500" in state.fields["summary"]
    assert button(works.card("alice", request), "Approve")

    await works.say("alice", f"/approve {request}")
    await works.say("fiona", f"/approve {request}")
    told = cards(works, "sue")[-1]
    assert told.title == (
        f"Contract #{request} is approved: order SO2026-00001 for Acme Ltd is confirmed."
    )
    assert told.body == "Short: STOOL-1 × 10. The planners have the material plan."
    (plan,) = [c for c in cards(works, "pat") if "SO2026-00001" in c.body]
    assert plan.body.startswith("订单 SO2026-00001 缺货：STOOL-1 × 10。")
    assert "STOOL-1" in plan.body and plan.buttons

    def order(s: Session) -> SalesDocument:
        return s.scalars(select(SalesDocument).where(SalesDocument.kind == "order")).one()

    confirmed = await works.run(order)
    assert confirmed.status == "confirmed" and confirmed.quote_id is not None
    before = len(works.posted("sue")), len(works.posted("pat"))

    def again(s: Session) -> int:
        unused = cast(FlowContext, None)  # nothing is left to apply, so no handler runs
        return sum(
            consume(s, c, unused, works.clock.now()).touched for c in FLOW_CONSUMERS for _ in "xy"
        )

    assert await works.run(again) == 0
    await works.runtime.settle()
    assert (len(works.posted("sue")), len(works.posted("pat"))) == before
    assert await works.count(select(func.count()).select_from(SalesDocument).where(
        SalesDocument.kind == "order")) == 1  # fmt: skip


async def test_stock_on_hand_is_reserved_and_the_planner_is_not_bothered(works: Office) -> None:
    request = await win(works, "/quote Acme BOLT-M6 40 price=2", "Bolts")
    await works.say("alice", f"/approve {request}")
    await works.say("fiona", f"/approve {request}")
    told = cards(works, "sue")[-1]
    assert told.body == "Everything is reserved."
    assert cards(works, "pat") == []


async def test_a_rejected_contract_stops_the_flow_and_orders_nothing(works: Office) -> None:
    request = await win(works, "/quote Acme BOLT-M6 40 price=2", "Bolts")
    await works.say("alice", f"/reject {request} price too low")
    told = cards(works, "sue")[-1]
    assert told.title == (
        f"Contract #{request} was rejected by Alice Admin: price too low. The flow for deal #1 "
        "stopped; nothing was ordered, and the quotation stays open."
    )
    kinds = await works.run(
        lambda s: sorted((d.kind, d.status) for d in s.scalars(select(SalesDocument)))
    )
    assert kinds == [("quote", "open")]
    run = await works.run(lambda s: s.get(SalesRun, 1))
    assert run is not None and (run.stage, run.note) == ("stopped", "price too low")


async def test_a_deal_won_without_a_quotation_starts_nothing(works: Office) -> None:
    await works.say("sue", "/deal add Acme Advice amount=800 close=2026-12-31")
    won = await works.say("sue", "/deal won 1")
    assert "Deal won" in won.text  # the CRM's own answer is the last word
    run = await works.run(lambda s: s.get(SalesRun, 1))
    assert run is not None and (run.stage, run.request_id) == ("no_quote", None)
    assert await works.count(select(func.count()).select_from(SalesDocument)) == 0
    assert works.texts("alice") == []  # no approver was asked anything
