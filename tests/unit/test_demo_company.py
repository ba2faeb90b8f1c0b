"""The demo company's calendar arithmetic and its stages under other stage settings."""

from __future__ import annotations

from datetime import date

from bot.demo.company import DEALS, demo_stage, working_day
from domain.crm.stages import DEFAULT_STAGES, parse_stages


def test_working_days_skip_the_weekend() -> None:
    friday = date(2026, 12, 4)
    assert [working_day(friday, n) for n in (0, 1, 2, 6)] == [
        friday,
        date(2026, 12, 7),
        date(2026, 12, 8),
        date(2026, 12, 14),
    ]


def test_the_demo_deals_sit_in_several_stages() -> None:
    stages = parse_stages(DEFAULT_STAGES)
    assert len({demo_stage(stages, d.stage) for d in DEALS}) >= 4


def test_other_stage_settings_take_the_stage_at_the_same_place() -> None:
    stages = parse_stages("new:10,offer:60,won:100,lost:0")
    assert demo_stage(stages, "lead") == "new"
    assert demo_stage(stages, "qualified") == "offer"
    assert demo_stage(stages, "negotiation") == "offer"
    assert demo_stage(stages, "won") == "won"
