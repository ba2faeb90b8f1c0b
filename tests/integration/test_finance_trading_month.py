"""A published trading company's month, kept through chat and the imports, with its purchases
received and its goods delivered through the ERP, gives the textbook's figures.

**Source.** OpenStax, *Principles of Accounting, Volume 1: Financial Accounting* (Rice
University, 2019, CC BY-NC-SA 4.0), chapter 10 "Inventory", section 10.3 "Calculate the Cost of
Goods Sold and Ending Inventory Using the Perpetual Method"
(https://openstax.org/books/principles-financial-accounting/pages/10-3-calculate-the-cost-of-goods-sold-and-ending-inventory-using-the-perpetual-method),
its worked example The Spy Who Loves You Corporation, a retailer of GPS tracking devices, under
"Weighted-Average Cost (AVG)", the perpetual moving average.

- Its inputs (the section's "Cost Data for Calculations"): July 1, beginning inventory 150 units
  at $21; July 5, 120 units sold at $36; July 10, 225 units bought at $27; July 15, 180 units
  sold at $39; July 25, 210 units bought at $33; July 31, ending inventory 285 units.
- Its answers (the AVG figures "Cost of Goods Purchased, Cost of Goods Sold, and Cost of
  Inventory Remaining" and "Gross Margin"): purchases $6,075 and $6,930, in all $13,005; the
  cost of the July 5 sale $2,520, of the July 15 sale $4,733 (180 units at the moving average
  of $26.29, once 30 units at $21 and 225 at $27 came to $6,705 for 255 units; the prose says
  $4,732, the figure and its total $4,733); cost of goods sold $7,253; ending inventory 285
  units, $8,902; sales $11,340 − cost of goods sold $7,253 = gross margin $4,087.

**Adapted.** The source states only the inventory and the month's sales and purchases: the
opening entry's other side is paid-in capital (3001 实收资本), the sales are on account (1122)
and the purchases on credit (2202), and nothing else happens in the month, so the operating
profit and net profit are the gross margin. No VAT (the source has none: the product's tax rate
is 0). The PRC small-enterprise chart (prc_small) holds the goods in 1405 库存商品, the sales in
5001 and their cost in 5401. July is July 2027 (the source gives no year; the test clock starts
at the end of November 2026), the amounts are the source's dollars (the org keeps its books in
USD). Bizbot values stock to the cent, the textbook rounds to the dollar: the July 15 sale costs
6,705 × 180 / 255 = 4,732.94 here, so cost of goods sold is 7,252.94, ending inventory 8,902.06
and the gross margin 4,087.06; each rounds to the published figure, and the test asserts both.

**How.** /books setup in chat, and the warehouse, the product (kind finished: 1405; tax rate 0),
the customer and the supplier (in USD) added in chat; the opening inventory from two files
through the imports (in process): ``bizbot erp import`` the 150 units at $21, ``bizbot finance
import`` their opening balance; then the month in chat, in English and Chinese, on the org's
clock set to each day: each sale a sales order confirmed and shipped (/order, /发货), each
purchase a purchase request approved by the manager, ordered and received (/pr, /approve, /po,
/收货). The postings come from the ERP's business events (``order.delivered``, ``goods.received``)
through the finance consumer, at Bizbot's moving average. Then /stock, /ledger 5401 and /report
tb, pl and bs: the cards' figures and the XLSX the trial balance and the balance sheet carry.
SQLite only: the postings and statements run on both databases in test_finance_postings and
test_finance_statements."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from adapters.memory.client import Posted
from bot.config import Settings
from bot.replies import Card
from tests.integration.approvals_rig import Office, running_office
from tests.integration.test_finance_report_chat import text_of
from tests.integration.test_finance_textbook import card_figure, sheet_rows
from tests.processes import bot_env, run_cli

ORG = """
org: {name: The Spy Who Loves You Corporation, timezone: America/New_York, locale: en,
      currency: USD}
departments:
  - {name: Store, head: spy}
members:
  - {handle: spy, name: Sally Spy, department: Store, roles: [admin, manager, finance], locale: en}
  - {handle: sam, name: Sam Sales, department: Store, manager: spy, roles: [sales], locale: en}
  - {handle: pia, name: Pia Buyer, department: Store, manager: spy, roles: [purchasing],
     locale: en}
  - {handle: wen, name: 温仓 Wen, department: Store, manager: spy, roles: [warehouse],
     locale: zh_CN}
  - {handle: fay, name: 方会计 Fay, department: Store, manager: spy, roles: [finance],
     locale: zh_CN}
"""
OPENING_STOCK = "sku,warehouse,quantity,unit_cost\nSPY-GPS,NY,150,21\n"
OPENING_BALANCES = """entry,date,journal,account,debit,credit,memo
OPENING,2027-06-30,GJ,1405,"3,150.00",,"150 GPS tracking devices at $21"
OPENING,2027-06-30,GJ,3001,,"3,150.00",
"""


@pytest.fixture
async def office(sqlite_settings: Settings) -> AsyncIterator[Office]:
    async with running_office(sqlite_settings, extra=(), org=ORG) as running:
        yield running


def dollars(amount: Decimal) -> Decimal:
    """An amount as the textbook shows it: to the dollar."""
    return amount.quantize(Decimal(1), ROUND_HALF_UP)


def amounts(*figures: int | str) -> tuple[Decimal, ...]:
    return tuple(Decimal(figure) for figure in figures)


def trial_balance(posted: Posted) -> dict[str, tuple[Decimal, ...]]:
    """Per account, the trial balance's XLSX: opening, debits, credits and closing balance."""
    return {
        str(code): tuple(Decimal(str(figure)).quantize(Decimal("0.01")) for figure in figures)
        for code, _name, *figures in (row[:6] for row in sheet_rows(posted))
        if code
    }


async def on_july(office: Office, day: int) -> None:
    """The org's clock at 11:00 in New York on that day of July 2027."""
    office.clock.advance(datetime(2027, 7, day, 15, tzinfo=UTC) - office.clock.now())


async def sell(office: Office, order: str, quantity: int, price: int, day: int) -> None:
    """A sales order for the units at the price, confirmed, and shipped by the warehouse."""
    await on_july(office, day)
    drafted = text_of(
        await office.say("sam", f"/order Parents Club SPY-GPS {quantity} price={price}")
    )
    assert f"Order {order} drafted." in drafted, drafted
    confirmed = text_of(await office.say("sam", f"/order confirm {order}"))
    assert f"reserved {quantity}, backordered 0" in confirmed, confirmed
    shipped = text_of(await office.say("wen", f"/发货 {order}"))
    assert f"已发货 {quantity}" in shipped, shipped


async def buy(office: Office, number: int, quantity: int, price: int, day: int) -> None:
    """A purchase request at the price, approved by the manager, ordered, and received."""
    await on_july(office, day)
    request, order = f"PR2027-{number:05}", f"PO2027-{number:05}"
    asked = text_of(await office.say("pia", f"/pr SPY-GPS {quantity} price={price} reason=restock"))
    assert f"Purchase request {request} submitted for approval as #{number}" in asked, asked
    await office.say("spy", f"/approve {number}")
    placed = text_of(await office.say("pia", f"/po {request} Tracker Supply warehouse=NY"))
    assert f"Purchase order {order} placed" in placed, placed
    received = text_of(await office.say("wen", f"/收货 {order} {quantity}"))
    assert order in received and str(quantity) in received, received


async def test_the_textbook_month_of_a_trading_company_gives_the_textbook_figures(
    office: Office, sqlite_settings: Settings, tmp_path: Path
) -> None:
    assert "69 accounts" in text_of(await office.say("spy", "/books setup prc_small"))
    await office.say("wen", "/仓库 新增 NY 纽约店")
    await office.say(
        "spy", "/product add SPY-GPS GPS tracking device finished cost=21 price=36 tax=0"
    )
    await office.say("sam", "/customer add Parents Club")
    await office.say("pia", '/supplier add Tracker Supply currency=USD terms="30 days"')
    env = bot_env(sqlite_settings.database_url.get_secret_value())
    (tmp_path / "stock.csv").write_text(OPENING_STOCK, encoding="utf-8")
    (tmp_path / "opening.csv").write_text(OPENING_BALANCES, encoding="utf-8")
    stocked = run_cli("erp", "import", tmp_path / "stock.csv", env=env)
    assert stocked.returncode == 0 and "opening stock: 1 created" in stocked.stdout, stocked.stderr
    opened = run_cli("finance", "import", tmp_path / "opening.csv", env=env)
    assert opened.returncode == 0 and "1 entries posted" in opened.stdout, opened.stderr

    await sell(office, "SO2027-00001", 120, 36, day=5)
    await buy(office, 1, 225, 27, day=10)
    await sell(office, "SO2027-00002", 180, 39, day=15)
    await buy(office, 2, 210, 33, day=25)

    stock = (await office.say("spy", "/stock SPY-GPS")).message
    assert isinstance(stock, Card)
    assert ("Available", "285 pcs") in [(f.label, f.value) for f in stock.fields]  # ending units
    costs = text_of(await office.say("spy", "/ledger 5401 2027-07"))
    each_sale = re.findall(r"debit ([\d,.]+) →", costs)
    assert each_sale == ["2,520.00", "4,732.94"], costs
    assert [dollars(Decimal(c.replace(",", ""))) for c in each_sale] == [2520, 4733]

    tb = await office.say("spy", "/report tb 2027-07")
    assert "The books balance." in text_of(tb)
    month = trial_balance(tb)
    opening, purchases, cost_of_sales, ending = month["1405"]
    assert (opening, purchases) == amounts(3150, 13005)  # 150 units at $21; $6,075 + $6,930
    assert (cost_of_sales, ending) == amounts("7252.94", "8902.06")
    assert (dollars(cost_of_sales), dollars(ending)) == amounts(7253, 8902)
    assert month["5001"] == amounts(0, 0, 11340, 11340)  # sales: 120 at $36 + 180 at $39
    assert month["5401"] == amounts(0, "7252.94", 0, "7252.94")

    pl = text_of(await office.say("fay", "/报表 利润表 2027-07"))
    assert card_figure(pl, "营业收入") == 11340  # sales
    assert dollars(card_figure(pl, "营业成本")) == 7253  # cost of goods sold
    assert dollars(card_figure(pl, "营业利润")) == 4087  # the gross margin
    assert card_figure(pl, "营业利润") == card_figure(pl, "净利润") == Decimal("4087.06")
    bs = await office.say("fay", "/报表 资产负债表 2027-07")
    lines = {row[0]: Decimal(str(row[1])) for row in sheet_rows(bs) if row[1] is not None}
    assert dollars(lines["存货"]) == 8902  # ending inventory
    assert (
        lines["资产总计"] == lines["负债和所有者权益总计"] == card_figure(text_of(bs), "资产总计")
    )
