"""A campaign report's figures: exact decimals, undefined ones None."""

from __future__ import annotations

from decimal import Decimal

from domain.crm.campaigns import CampaignReport, CampaignView, may_create_campaigns


def report(budget: str, leads: int, converted: int, won: dict[str, str]) -> CampaignReport:
    campaign = CampaignView(1, "Expo", "", Decimal(budget), "CNY", "", None, None, 1, ())
    return CampaignReport(campaign, leads, converted, {c: Decimal(a) for c, a in won.items()})


def test_figures_are_exact() -> None:
    figures = report("10000", 3, 1, {"CNY": "7500.50", "USD": "100"})
    assert figures.conversion_rate == Decimal(1) / 3
    assert figures.cost_per_lead == Decimal("3333.33")
    assert figures.roi == Decimal("-0.24995")  # only revenue in the budget's currency counts


def test_undefined_figures_are_none() -> None:
    empty = report("0", 0, 0, {})
    assert (empty.conversion_rate, empty.cost_per_lead, empty.roi) == (None, None, None)
    assert report("500", 0, 0, {}).roi == Decimal(-1)


def test_managers_and_crm_all_create_campaigns() -> None:
    assert may_create_campaigns(("manager", "sales", "employee"))
    assert may_create_campaigns(("admin", "employee"))
    assert not may_create_campaigns(("sales", "employee"))
