"""A rep's sweep over every ERP command: bob (Sales East, a sales rep and nothing more) types
each command the ERP registers, with every subcommand word it knows in both languages, against
the numbers of another team's records (gina's quotation and orders, Sales West; a purchase
request and order a buyer raised; a stock take; a price list for gina's customer) and guessed
numbers, and taps every button on the others' cards. He may not move stock, ship, receive,
approve a count, change prices or products, nor see another team's customers' documents or the
buyer's prices: nothing of theirs is shown, nothing of theirs changes, and each refusal is
logged."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.i18n import t
from bot.replies import Card
from commands import erp
from domain.erp.warehouses import add_warehouse
from tests.integration.approvals_rig import Office, running_office
from tests.integration.crm_rig import CRM_ORG
from tests.integration.sweeps import (
    GUESSES,
    Sweep,
    area_commands,
    changed,
    others_rows,
    tokens_on_cards,
)

pytestmark = pytest.mark.slow
ORG = (
    CRM_ORG + "  - {handle: pia, name: Pia Buyer, department: Management, manager: alice,"
    " roles: [purchasing], locale: en}\n"
    "  - {handle: will, name: Will Stock, department: Management, manager: alice,"
    " roles: [warehouse], locale: en}\n"
)
OTHERS = ("alice", "frank", "gina", "pia", "will")
NUMBERS = (
    "QT2026-00001", "SO2026-00001", "SO2026-00002", "PR2026-00001", "PR2026-00002",
    "PO2026-00001", "1", "2", "ZetaList", "SH", "BOLT-M6",
)  # fmt: skip
MISSING = ("QT2026-99999", "SO2026-99999", "PR2026-99999", "PO2026-99999", "SO1", "PO0")
VERBS = (
    "", "show", "add", "edit", "confirm", "cancel", "accept", "order", "ship", "line", "start",
    "finish", "list", "find", "count", "approve", "查看", "新增", "修改", "确认", "取消", "下单",
    "开始", "完成", "清单", "明细", "查找",
)  # fmt: skip
TAILS = ("", "5 price=0.01 warehouse=SH reason=x")
DIRECT = (  # each of the others' records asked for plainly, whatever the rotation above left out
    "/price BOLT-M6 1", "/price BOLT-M6 customer=Zeta", "/price BOLT-M6 #1 100", "/orders 1",
    "/orders Zeta", "/pricelist", "/pricelist show ZetaList", "/价格表 查看 ZetaList",
    "/quote show QT2026-00001", "/quote order QT2026-00001", "/order show SO2026-00001",
    "/订单 确认 SO2026-00002", "/order cancel SO2026-00001", "/ship SO2026-00001",
    "/pr show PR2026-00001", "/采购申请 查看 PR2026-00002", "/po show PO2026-00001",
    "/receive PO2026-00001 1", "/compare PR2026-00001", "/stocktake list SH",
    "/stocktake cancel SH", "/count BOLT-M6 1 SH", "/product edit BOLT-M6 price=0.01",
    "/adjust BOLT-M6 -5 SH", "/transfer-stock BOLT-M6 1 SH SH",
    "/pricelist line ZetaList BOLT-M6 1",
)  # fmt: skip
SECRETS = (
    "Zeta Secret", "7.77", "8.88", "6.66", "4.32", "3.21", "secret-restock", "secret-order-note",
)  # fmt: skip


async def others_records(office: Office) -> None:
    """gina's customer with a quotation and two orders (one confirmed), a price list for that
    customer, a buyer's approved and ordered request and a pending one, and a stock take in
    review, its variance card with alice."""
    await office.run(lambda s: add_warehouse(s, "SH", "上海仓"))
    script = [
        ("will", "/product add BOLT-M6 Hex bolt price=0.5 tax=13%"),
        ("will", "/adjust BOLT-M6 +60 SH opening"),
        ("gina", '/customer add "Zeta Secret Corp"'),
        ("gina", "/quote 1 BOLT-M6 5 price=7.77"),
        ("gina", "/order 1 BOLT-M6 3 price=8.88"),
        ("gina", "/order confirm SO2026-00001"),
        ("gina", "/order 1 BOLT-M6 4 price=8.88 note=secret-order-note"),
        ("frank", "/pricelist add ZetaList customer=1"),
        ("frank", "/pricelist line ZetaList BOLT-M6 6.66"),
        ("pia", '/supplier add "Acme Metals" lead=2'),
        ("pia", "/pr BOLT-M6 100 reason=secret-restock price=3.21"),
    ]
    for handle, line in script:
        posted = await office.say(handle, line)
        assert "went wrong" not in posted.text, (line, posted.text)
    approval = await office.say("pia", "/pr BOLT-M6 7 reason=secret-restock price=3.21")
    assert isinstance(approval.message, Card), approval.text
    first = int(approval.message.title.split("#", 1)[1].rstrip(".。")) - 1
    await office.say("alice", f"/approve {first}")
    for handle, line in (
        ("pia", '/rfq PR2026-00001 "Acme Metals" price=4.32 lead=3'),
        ("pia", '/po PR2026-00001 "Acme Metals"'),
        ("pia", "/compare PR2026-00001"),
        ("gina", "/order show SO2026-00002"),
        ("gina", "/quote show QT2026-00001"),
        ("will", "/stocktake start SH"),
        ("will", "/count BOLT-M6 55"),
        ("will", "/stocktake finish SH"),
    ):
        posted = await office.say(handle, line)
        assert "went wrong" not in posted.text, (line, posted.text)
    shown = await office.say("pia", "/po show PO2026-00001")
    assert "PO2026-00001" in shown.text, shown.text
    assert "8.88" in (await office.say("gina", "/order show SO2026-00001")).text


async def test_no_erp_command_shows_or_changes_another_teams_records(
    sqlite_settings: Settings,
) -> None:
    # the scoping is the same ORM query on either database: swept on SQLite (docs/DEVELOPING.md)
    settings = sqlite_settings
    async with running_office(settings, extra=(), org=ORG) as office:
        await others_records(office)
        before = await others_rows(office, "bob")
        bob = Sweep(office, "bob", "zh_CN")
        commands = area_commands(erp.register)
        assert {"quote", "order", "ship", "pr", "po", "receive", "stocktake", "pricelist"} <= set(
            commands
        )

        lines = [  # every command with every word; each word with a seventh of the numbers
            f"/{c} {v} {n} {TAILS[(i + j + k) % 2]}".replace("  ", " ").strip()
            for i, c in enumerate(commands)
            for j, v in enumerate(VERBS)
            for k, n in enumerate(NUMBERS)
            if (i + j + k) % 7 == 0
        ]
        lines += [f"/{c} {v} {g}" for c in commands for v in VERBS[:2] for g in GUESSES + MISSING]
        lines += [*DIRECT]
        await bob.say(lines)
        tokens = tokens_on_cards(office, OTHERS)
        tapped = await bob.tap(tokens)

        assert bob.leaks(SECRETS) == []
        assert "ZetaList" not in (await office.say("bob", "/pricelist")).text
        assert changed(before, await others_rows(office, "bob")) == {}
        assert len(tokens) >= 5 and set(tapped) == {t("zh_CN", "This button is not for you.")}, set(
            tapped
        )
        for refusal, event in (
            ("There is no order {number}.", "refused.erp_order_out_of_scope"),
            ("There is no purchase request {number}.", "refused.purchase_not_yours"),
            ("There is no price list {name}.", "refused.erp_price_list_out_of_scope"),
            ("This button is not for you.", "refused.token_not_yours"),
        ):
            answered, logged = bob.logged(event, refusal)
            assert answered >= logged > 0, refusal  # guessed numbers are answered alike, unlogged
        assert len(commands) >= 20 and bob.sent > 1200
        assert "ZetaList" in (await office.say("frank", "/pricelist")).text  # frank's team's
