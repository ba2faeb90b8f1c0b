"""Issue 16's first must-show, scripted through one ``bizbot serve``: the staff on Slack (slash
commands), the customer's contact on Telegram (webhook updates), each against its fake platform.
A quotation sent to the customer, the deal won, the contract approved, the order shipped,
invoiced and paid: every step is announced once in the deal's room, a private Slack channel
with the rep, her manager, the approvers and the planner in it; the contact hears only their
own news, each message one of the allowed kinds, never a cost, a margin or an internal note."""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.pipeline.tables import OutboxRow
from domain.flows.customer_view import GUEST_KINDS, INVOICE, QUOTE_SENT, SHIPPED
from tests import erp_day as day
from tests.e2e.test_erp_day import SlackMember, TelegramUser, slack_text, telegram_text
from tests.processes import describe, query, run_cli
from tests.served import Prepare, Served, until

pytestmark = pytest.mark.slow
GUEST = 5550001  # the customer's contact on Telegram
NOTE = "floor price 0.50, do not tell them"
ORG = """
org: {name: Test Trading, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager],
     locale: en, identities: {slack: U0ALICE}}
  - {handle: sue, name: Sue Sales, department: Management, manager: alice, roles: [sales],
     locale: en, identities: {slack: U0SUE}}
  - {handle: fiona, name: Fiona Finance, department: Management, manager: alice,
     roles: [finance], locale: en, identities: {slack: U0FIONA}}
  - {handle: pat, name: Pat Plan, department: Management, manager: alice, roles: [production],
     locale: en, identities: {slack: U0PAT}}
  - {handle: will, name: Will Stock, department: Management, manager: alice, roles: [warehouse],
     locale: en, identities: {slack: U0WILL}}
"""


@pytest.fixture
def prepare_served() -> Prepare:
    """The org on Slack, and the ERP day's catalog (100 hex bolts at 0.35)."""

    def seed(env: dict[str, str], directory: Path) -> None:
        org = directory / "org.yaml"
        org.write_text(ORG, encoding="utf-8")
        for args in (("org", "import", org), ("erp", "import", day.CATALOG_FILE)):
            done = run_cli(*args, env=env)
            assert done.returncode == 0, describe(done)

    return seed


async def test_the_sales_flow_in_its_deal_room_and_the_customers_view(served: Served) -> None:
    slack = served.fakes.slack
    sue, alice = SlackMember(served, "U0SUE", "C0SALES"), SlackMember(served, "U0ALICE", "C0A")
    fiona, will = SlackMember(served, "U0FIONA", "C0F"), SlackMember(served, "U0WILL", "C0W")
    guest = TelegramUser(served, GUEST, count(1))
    await fiona.say("/books setup prc_small")
    await invited(SlackMember(served, "U0SUE", "C0CRM"), guest)  # a channel each: Slack's pace
    quoted = await sue.say(f"/quote Delta BOLT-M6 40 price=0.58 note={NOTE}")
    assert "QT2026-00001" in quoted, quoted
    before = len(guest.received())
    await sue.tap(slack.in_channel("C0SALES")[-1], "Send to customer")
    await until(lambda: len(guest.received()) > before, "the quotation to the customer")
    deals = SlackMember(served, "U0SUE", "C0DEALS")
    await deals.say("/deal add Delta Bolts amount=27 close=2026-12-31")
    await deals.say("/deal won 1")
    await until(lambda: "deal-1" in slack.channels, "the deal room")
    room = slack.channels["deal-1"]
    assert room.members == ["U0SUE", "U0ALICE", "U0FIONA", "U0PAT"]

    def said() -> list[str]:
        return [slack_text(m) for m in slack.in_channel(room.id)]

    for approver in (alice, fiona):
        await approver.say("/approve 1")
    await until(lambda: len(said()) == 2, "the order in the room")
    await will.say("/ship SO2026-00001 tracking=SF1234567")
    await until(lambda: len(said()) == 4, "shipped and invoiced in the room")
    amount = re.search(r"SO2026-00001: ([\d,.]+) CNY", said()[3])
    assert amount, said()
    cash = SlackMember(served, "U0FIONA", "C0CASH")
    await cash.say(f"/receipt Delta {amount.group(1)} invoice=SJ2026-00001")
    await until(lambda: len(said()) == 5, "paid in the room")
    await until(lambda: len(guest.received()) == 6, "the customer's news")  # + the welcome

    steps = said()
    assert (
        "Deal #1 Bolts is won: contract approval #1 was submitted in Sue Sales's name."
        in (steps[0])
    )
    assert "order SO2026-00001 for Delta Pumps is confirmed" in steps[1]
    assert "Order SO2026-00001 was shipped" in steps[2] and "SF1234567" in steps[2]
    assert f"Invoice SJ2026-00001 for order SO2026-00001: {amount.group(1)} CNY" in steps[3]
    assert "Invoice SJ2026-00001 for order SO2026-00001 is paid." in steps[4]
    assert not [m for m in slack.in_channel(sue.dm) if "SO2026-00001" in slack_text(m)]

    heard = await query(served.db_url, guest_rows)
    assert [kind_of(subject) for subject, _text in heard] == [
        "quote_sent", "order_confirmed", "shipped", "invoice", "paid",
    ]  # fmt: skip
    assert {kind_of(subject) for subject, _text in heard} <= GUEST_KINDS
    shown = [telegram_text(m) for m in guest.received()[1:]]
    forbidden = ("0.35", "14.00", "9.20", NOTE, "floor", "Sue", "Alice")  # cost, its sum, margin
    for text in shown:
        assert not [word for word in forbidden if word in text], text
    assert any("运单号：SF1234567" in text for text in shown), shown


async def invited(sue: SlackMember, guest: TelegramUser) -> None:
    """Sue's customer Delta Pumps and its contact, who joins as a guest on Telegram."""
    await sue.say('/customer add "Delta Pumps" industry=machinery')
    await sue.say("/contact add 1 王经理 lang=zh")
    await sue.say("/guest-invite 1")  # the links go to her direct messages
    [invite] = sue.saying("?start=guest-")
    link = re.search(r"\?start=(guest-[A-Za-z0-9_-]+)", slack_text(invite))
    assert link, slack_text(invite)
    welcome = await guest.say(f"/start {link.group(1)}")
    assert welcome.startswith("欢迎"), welcome


def guest_rows(session: Session) -> list[tuple[str, str]]:
    """(subject, text) of what was queued for the contact's Telegram chat, in order."""
    query_ = (
        select(OutboxRow.subject, OutboxRow.payload)
        .where(OutboxRow.conversation == str(GUEST), OutboxRow.kind == "send")
        .order_by(OutboxRow.id)
    )
    return [(subject or "", str(payload)) for subject, payload in session.execute(query_)][1:]


def kind_of(subject: str) -> str:
    """What kind of news a message to a guest is, by its subject (see test_flows_rooms)."""
    source = subject.split(":")
    return {"erp_quote": QUOTE_SENT, "erp_delivery": SHIPPED, "finance": INVOICE}.get(
        source[0], source[1] if source[0] == "customer-view" else "?"
    )
