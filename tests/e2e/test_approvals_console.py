"""Approvals end to end in ``bizbot console`` (in-process): submit with questions, explain the
route, decide by typed command and by a button's number, follow up, on a SQLite file."""

from __future__ import annotations

import pytest

from tests.processes import bot_env, console_session, describe, run_cli
from tests.support import FIXTURES


@pytest.fixture
def env(sqlite_url: str) -> dict[str, str]:
    """A database with the approvals org, and the settings to reach it."""
    env = bot_env(sqlite_url, poll_interval="0.1")
    imported = run_cli("org", "import", FIXTURES / "approvals_org.yaml", env=env)
    assert imported.returncode == 0, describe(imported)
    allocated = run_cli("leave", "allocate", "dan", "annual", "10", "--year", "2026", env=env)
    assert allocated.returncode == 0, describe(allocated)
    return env


def console(env: dict[str, str], handle: str, lines: str) -> str:
    return console_session(env, handle, lines)


def test_an_expense_from_route_to_approval(env: dict[str, str]) -> None:
    route = console(env, "dan", "/route expense amount=8000 category=travel\n")
    assert "Over 5,000: amount > 5000 holds" in route and "Finance" in route
    asked = console(env, "dan", '/expense amount=8000 reason="Shanghai fair"\ntravel\n')
    assert "Category?" in asked and "Submitted as #1." in asked
    carol = console(env, "carol", "/approvals\n/approve 1 fine\n")
    assert "#1 Expense reimbursement · Dan Deng · Manager" in carol
    assert "You approved #1. Next: Finance." in carol
    fiona = console(env, "fiona", "/approval 1\n1\n")  # 1 is the card's first button: Approve
    assert "Waiting for you at step 2 of 2: Finance" in fiona
    assert "Status: approved" in fiona.split("› 1", 1)[1]
    follow = console(env, "dan", "/approval 1\n/approvals mine\n")
    assert "Fiona Finance approved" in follow and "Carol Chen approved: fine" in follow


def test_leave_in_chinese_with_a_balance(env: dict[str, str]) -> None:
    annual = "/请假 假期类型=年假 日期=2026-12-07..2026-12-08 事由=家事\n"
    refused = console(env, "bob", annual)  # the org keeps annual balances; bob has none
    assert "假期余额不足：剩余 0 天，申请 2 天" in refused
    sick = console(
        env, "bob", "/请假 假期类型=病假 日期=2026-12-07..2026-12-08 事由=感冒\n/请假 余额\n"
    )
    assert "已提交，编号 #1。" in sick and "2026 年没有分配假期" in sick
    console(env, "carol", "/approve 1\n")
    assert "已通过" in console(env, "bob", "/审批详情 1\n")
    dan = console(env, "dan", "/leave type=annual from=2026-12-07 to=2026-12-08 reason=family\n")
    assert "Submitted as #2." in dan
    assert "annual: 8 days left (10 allocated, 0 used, 2 pending)" in console(
        env, "dan", "/leave balance 2026\n"
    )
