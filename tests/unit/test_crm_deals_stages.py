"""Deal stages from the setting, forecast periods and weighted amounts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.app import deal_rules
from bot.config import Settings
from domain.crm.deals import weighted
from domain.crm.forecast import Grain, period_start
from domain.crm.stages import DEFAULT_STAGES, Stage, parse_stages


def test_the_default_stages_are_the_issues() -> None:
    stages = parse_stages(DEFAULT_STAGES)
    assert [(s.name, s.probability) for s in stages.all] == [
        ("lead", 10),
        ("qualified", 30),
        ("proposal", 50),
        ("negotiation", 70),
        ("won", 100),
        ("lost", 0),
    ]
    assert stages.first == Stage("lead", 10)
    assert [s.name for s in stages.open] == ["lead", "qualified", "proposal", "negotiation"]
    assert stages.find(" Proposal ") == Stage("proposal", 50)
    assert stages.find("maybe") is None


def test_custom_stages_keep_their_order() -> None:
    stages = parse_stages("discovery:20, demo:40, contract:90, won:100, lost:0")
    assert stages.first == Stage("discovery", 20)
    assert stages.names() == ["discovery", "demo", "contract", "won", "lost"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("lead:10,won:100", "must include won:100 and lost:0"),
        ("lead:10,won:90,lost:0", "must include won:100 and lost:0"),
        ("won:100,lost:0", "at least one open stage"),
        ("lead:10,lead:20,won:100,lost:0", "'lead' is listed twice"),
        ("lead:110,won:100,lost:0", "from 0 to 100"),
        ("lead:ten,won:100,lost:0", "from 0 to 100"),
        ("lead,won:100,lost:0", "'lead' is not name:probability"),
        ("销售:10,won:100,lost:0", "is not name:probability"),
    ],
)
def test_unusable_stages_are_refused_saying_why(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_stages(text)


def test_a_bad_stages_setting_stops_the_start_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="BIZBOT_CRM_STAGES: the stages must include"):
        deal_rules(Settings(crm_stages="lead:10,won:100"))
    rules = deal_rules(Settings(crm_deal_idle_days=3))
    assert rules.idle == timedelta(days=3)
    assert rules.stages == parse_stages(DEFAULT_STAGES)


def test_weighted_amounts_are_exact() -> None:
    assert weighted(Decimal("5000.50"), 10) == Decimal("500.05")
    assert weighted(Decimal("0.01"), 30) == Decimal("0.003")
    assert weighted(Decimal("12345.67"), 70) == Decimal("8641.969")


@pytest.mark.parametrize(
    ("day", "grain", "start"),
    [
        (date(2026, 11, 30), Grain.MONTH, date(2026, 11, 1)),
        (date(2026, 11, 30), Grain.QUARTER, date(2026, 10, 1)),
        (date(2027, 3, 31), Grain.QUARTER, date(2027, 1, 1)),
        (date(2027, 4, 1), Grain.QUARTER, date(2027, 4, 1)),
    ],
)
def test_periods_start_on_their_first_day(day: date, grain: Grain, start: date) -> None:
    assert period_start(day, grain) == start
