"""Payment reminders, on SQLite through the memory channels: an invoice booked from a delivery
and left unpaid past its due date is first a card to the customer's rep (in the rep's language),
then, three days later, a polite reminder to the customer's contact who is a chat guest, and
nothing more before the terms come round again; a paid invoice reminds nobody."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.replies import Card
from domain.crm.models import Contact
from domain.finance.charts import install_chart
from domain.finance.items_models import CUSTOMER, OpenItem
from domain.finance.open_items import Party, PaymentRequest, record_payment
from domain.shared.domain_events import record_event
from tests.integration.approvals_rig import Office
from tests.integration.crm_rig import running_shop
from tests.integration.test_crm_guests import bound_guest, guest_texts

REMINDER = "a friendly reminder that invoice SJ2026-00001"


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    quiet = sqlite_settings.model_copy(update={"flow_poll_seconds": 300})
    async with running_shop(quiet) as office:
        await office.run(lambda s: install_chart(s, "prc_small"))
        yield office


async def invoiced(office: Office) -> int:
    """Bob's customer Acme Ltd, with a contact bound as a chat guest, invoiced 1,130.00 today;
    returns the customer's id."""
    contact_id = await bound_guest(office)
    customer_id = await office.run(
        lambda s: s.scalars(select(Contact.customer_id).where(Contact.id == contact_id)).one()
    )
    line = {"product_id": 0, "sku": "X", "quantity": "10", "unit_price": "100",
            "tax_rate": "0.13", "cost": "0"}  # fmt: skip
    payload = {"order": "SO2026-00001", "customer_id": customer_id, "customer": "Acme Ltd",
               "currency": "CNY", "lines": [line]}  # fmt: skip
    now = office.clock.now()
    await office.run(
        lambda s: record_event(s, "order.delivered", "erp_delivery", "1", payload, now)
    )
    await office.runtime.settle()
    return customer_id


def reminders(office: Office) -> list[str]:
    return [text for text in guest_texts(office) if REMINDER in text]


def overdue_cards(office: Office) -> list[Card]:
    posted = [p.message for p in office.memory.conversation("bob")]
    return [m for m in posted if isinstance(m, Card) and "SJ2026-00001" in m.title]


async def test_the_rep_first_then_the_guest_then_not_again_before_the_terms(
    shop: Office,
) -> None:
    await invoiced(shop)
    await shop.advance(timedelta(days=30))  # due today: nobody is told yet
    assert overdue_cards(shop) == [] and reminders(shop) == []
    await shop.advance(timedelta(days=1, hours=2))
    (card,) = overdue_cards(shop)
    assert card.title == "逾期：Acme Ltd SJ2026-00001" and "1,130.00" in str(card.fields)
    assert reminders(shop) == []  # the rep first
    await shop.advance(timedelta(days=3))
    (reminder,) = reminders(shop)
    issued, due = await shop.run(
        lambda s: s.execute(select(OpenItem.issued_on, OpenItem.due_on)).one()
    )
    assert reminder == (
        f"Test Trading: a friendly reminder that invoice SJ2026-00001 of {issued}, 1,130.00 CNY, "
        f"was due on {due}. If it is paid already, thank you, and please ignore this message."
    )
    await shop.advance(timedelta(days=20))
    assert len(reminders(shop)) == 1 and len(overdue_cards(shop)) == 1
    await shop.advance(timedelta(days=11))  # a term after the first reminder: once more
    assert len(reminders(shop)) == 2


async def test_a_paid_invoice_reminds_nobody(shop: Office) -> None:
    customer_id = await invoiced(shop)
    request = PaymentRequest(
        "paid-1", Party(CUSTOMER, customer_id, "Acme Ltd"), shop.clock.now().date(),
        Decimal("1130"),
    )  # fmt: skip
    await shop.run(lambda s: record_payment(s, request, shop.clock.now()))
    await shop.advance(timedelta(days=40))
    assert overdue_cards(shop) == [] and reminders(shop) == []
