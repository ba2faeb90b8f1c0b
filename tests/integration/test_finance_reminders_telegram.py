"""Issue 15's must-show: a customer who is a chat guest on Telegram receives a payment reminder
with the invoice PDF, once, and the rep was told first. Real python-telegram-bot against the fake
Bot API; the rep on the memory channel; the invoice booked from a delivery event by the finance
consumer; the clock moved past the due date and the timers fired as the tick fires them."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import build_tick
from bot.config import Settings
from bot.replies import Card
from domain.crm.models import Contact
from domain.finance.charts import install_chart
from domain.shared.domain_events import record_event
from tests.fake_telegram import USERNAME, FakeBotApi
from tests.integration.approvals_rig import START
from tests.integration.test_crm_guests_telegram import GUEST, Shop, populate, running
from tests.support import FakeClock

LINE = {"product_id": 0, "sku": "PUMP-100", "quantity": "10", "unit_price": "100",
        "tax_rate": "0.13", "cost": "0"}  # fmt: skip


async def advance(shop: Shop, clock: FakeClock, delta: timedelta) -> None:
    """Move the clock, fire what fell due, and wait for the messages."""
    tick = build_tick(shop.runtime)
    clock.advance(delta)
    for _ in range(20):
        if not await tick.run():
            break
    await shop.runtime.settle()


async def bind_ann(shop: Shop, ann: int) -> None:
    """Bob invites Ann; she follows the deep link on Telegram."""
    invite = await shop.chat.say("bob", f"/guest-invite {ann}")
    assert isinstance(invite.message, Card)
    link = next(f.value for f in invite.message.fields if f.label == "Telegram")
    code = re.fullmatch(rf"https://t\.me/{USERNAME}\?start=(guest-[A-Za-z0-9_-]+)", link)
    assert code, link
    await shop.guest_says(f"/start {code.group(1)}")
    await shop.settle()


def deliver(session: Session, ann: int, clock: FakeClock) -> None:
    """The ERP ships 10 pumps at 100 + 13 % VAT to Ann's company, Acme."""
    acme = session.scalars(select(Contact.customer_id).where(Contact.id == ann)).one()
    payload: dict[str, Any] = {
        "order": "SO2026-00001", "customer_id": acme, "customer": "Acme Ltd",
        "currency": "CNY", "lines": [LINE],
    }  # fmt: skip
    record_event(session, "order.delivered", "erp_delivery", "1", payload, clock.now())


def pdf_text(data: bytes) -> str:
    """What pdftotext reads in a PDF."""
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def overdue_cards(shop: Shop) -> list[Card]:
    posted = [p.message for p in shop.chat.memory.conversation("bob")]
    return [m for m in posted if isinstance(m, Card) and "SJ2026-00001" in m.title]


async def test_the_guest_gets_the_invoice_pdf_on_telegram_once_after_the_rep(
    settings: Settings,
) -> None:
    api, clock = FakeBotApi(), FakeClock(START)
    await api.start()
    quiet = settings.model_copy(update={"flow_poll_seconds": 300})
    try:
        async with running(quiet, api, clock) as shop:
            world = await shop.runtime.db.run(lambda s: populate(s, clock.now()))
            await shop.runtime.db.run(lambda s: install_chart(s, "prc_small"))
            await bind_ann(shop, world.ann)
            await shop.runtime.db.run(lambda s: deliver(s, world.ann, clock))
            await shop.settle()
            (issued,) = api.documents  # the invoice itself, when it is issued (docs/FLOWS.md)
            assert "invoice SJ2026-00001 for your order SO2026-00001" in issued.caption

            await advance(shop, clock, timedelta(days=31, hours=2))  # a day past due
            assert len(overdue_cards(shop)) == 1  # the rep first
            assert api.documents == [issued]
            await advance(shop, clock, timedelta(days=3))
            (_issued, sent) = api.documents
            assert (sent.chat_id, sent.kind, sent.name) == (GUEST, "document", "SJ2026-00001.pdf")
            assert "a friendly reminder that invoice SJ2026-00001" in sent.caption
            assert sent.data.startswith(b"%PDF-")
            if shutil.which("pdftotext"):
                text = await asyncio.to_thread(pdf_text, sent.data)
                for shown in ("Invoice number", "SJ2026-00001", "1,000.00", "130.00", "1,130.00"):
                    assert shown in text, (shown, text)
            await advance(shop, clock, timedelta(days=20))
            assert len(api.documents) == 2 and len(overdue_cards(shop)) == 1
    finally:
        await api.close()
