"""/demand (/预测) in chat, on SQLite (the words are what is tested): a planner sets, changes
and removes forecasts in natural English and Chinese, a redelivered message writes once,
anyone reads them, others may not set them, a missing period is asked for, a Chinese reader
reads Chinese only, and /mrp plans from them with orders consuming the forecast (a purchase it
proposes for a forecast says so in the planner's language)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.erp.catalog import product_by_sku
from domain.erp.forecasts import forecasts_of
from domain.erp.production_models import Forecast as ForecastRow
from domain.erp.purchase_models import PurchaseRequest
from tests.integration.approvals_rig import Office, running_office
from tests.integration.erp_rig import NOW
from tests.integration.test_erp_chat import text_of
from tests.integration.test_erp_production_chat import ORG, sold, workshop


@pytest.fixture
async def works(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """SQLite only: this is about what people type and read."""
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:
        await office.run(workshop)
        yield office


async def held(works: Office, sku: str = "STOOL") -> list[tuple[str, Decimal]]:
    def read(s: Session) -> list[tuple[str, Decimal]]:
        product = product_by_sku(s, sku)
        assert product is not None
        return [(f.period.label, f.quantity) for f in forecasts_of(s, product.id, NOW.date())]

    return await works.run(read)


async def test_a_planner_sets_changes_and_removes_forecasts_in_english(works: Office) -> None:
    said = text_of(await works.say("pat", "/demand STOOL 2026-12 50", event_id="f1"))
    assert "Forecast for 2026-12 set to 50." in said and "Forecasts of STOOL Stool" in said
    await works.say("pat", "/demand STOOL 2026-12 50", event_id="f1")  # redelivered
    assert await held(works) == [("2026-12", Decimal(50))]
    again = text_of(await works.say("pat", "/demand STOOL 2026年12月 50"))
    assert again.startswith("Forecasts of STOOL Stool\nNothing changed.")
    changed = text_of(await works.say("pat", "/demand stool Jan 2027 quantity=40"))
    assert "Forecast for 2027-01 set to 40." in changed
    assert "2026-12: 50\n2027-01: 40" in changed
    assert "changed to 45" in text_of(await works.say("pat", "/demand STOOL 2027-01 45"))
    assert "removed" in text_of(await works.say("pat", "/demand STOOL 2026-12 0"))
    assert await held(works) == [("2027-01", Decimal(45))]
    mixed = text_of(await works.say("pat", "/demand STOOL week 51 5"))
    assert mixed == "STOOL is forecast by month; set its months to 0 before giving a week."
    shown = text_of(await works.say("bob", "/预测 STOOL"))  # anyone may read
    assert "2027年01月: 45" in shown


async def test_others_may_not_set_and_what_is_missing_is_asked(works: Office) -> None:
    refused = text_of(await works.say("bob", "/预测 STOOL 2026年12月 50台"))
    assert refused == "只有计划员可以设置需求预测。"
    assert await works.count(select(func.count()).select_from(ForecastRow)) == 0
    asked = text_of(await works.say("pat", "/demand STOOL 50"))
    assert asked.startswith("period?")  # asked for, never guessed
    answered = text_of(await works.say("pat", "2026-W51"))
    assert "Forecast for 2026-W51 set to 50." in answered
    bad = text_of(await works.say("pat", "/demand STOOL 2026-12 -3"))
    assert bad == "A forecast is a quantity from 0, with at most 3 decimals."
    assert await held(works) == [("2026-W51", Decimal(50))]


async def test_a_chinese_planner_reads_chinese_only_and_mrp_plans_from_the_forecast(
    works: Office,
) -> None:
    await works.say("alice", "/bom set STOOL LEG 4; SEAT 1")
    said = text_of(await works.say("zhang", "/预测 STOOL 2026年12月 50个"))
    assert "2026年12月的预测已设为 50。" in said
    week = text_of(await works.say("zhang", "/预测 LEG 第51周 100"))
    assert "2026年第51周的预测已设为 100。" in week
    for text in (said, week):
        rest = text
        for word in ("STOOL", "LEG"):
            rest = rest.replace(word, "")
        assert not any(ch.isascii() and ch.isalpha() for ch in rest), rest
    await sold(works, 30)  # due today: consumes 30 of December's 50
    planned = await works.say("pat", "/mrp")
    assert "make STOOL Stool × 50" in text_of(planned)  # 30 ordered + 20 forecast, never 80
    chinese = await works.say("zhang", "/物料需求")
    assert isinstance(chinese.message, Card)
    await works.tap("zhang", chinese.message.buttons[-1].token)  # confirm all

    def reasons(s: Session) -> list[str]:
        return list(s.scalars(select(PurchaseRequest.reason).order_by(PurchaseRequest.id)))

    assert "物料需求计划为 预测 2026年第51周 生成" in await works.run(reasons)
