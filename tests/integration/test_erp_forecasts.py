"""Demand forecasts on the database: kept one per product and period, planned by MRP with the
sales orders of their period consuming them (delivered or not), cut by the horizon; and
``forecasts.csv`` through ``bizbot erp import|export``: twice changes nothing, every problem is
listed with its line and nothing is written, and an export imports back as no change."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.crm.customers import existing_customer_ids
from domain.erp.catalog import add_product, product_by_sku
from domain.erp.forecasts import forecasts_of, set_forecast
from domain.erp.import_forecasts import forecasts_csv
from domain.erp.importer import Tally, export_erp_file, problems_in, read_erp_file, save_erp_file
from domain.erp.models import Product
from domain.erp.mrp_forecasts import Period, PeriodKind, period_of
from domain.erp.planning import plan_as_json, run_mrp
from domain.erp.production_models import Forecast as ForecastRow
from domain.erp.sales import LineRequest, Party, confirm_order, create_document, ship_order
from domain.erp.stock import post_move
from domain.shared.db import open_database
from domain.shared.errors import DomainError
from domain.worktime.calendar import WorkCalendar
from tests.integration.erp_rig import NOW, erp_session, receipt, seeded
from tests.processes import bot_env, describe, run_cli
from tests.support import copy_sqlite_template

TODAY = NOW.date()  # Monday 7 December 2026, in 2026-W50
CALENDAR = WorkCalendar()
DECEMBER = Period(date(2026, 12, 1), PeriodKind.MONTH)
JANUARY = Period(date(2027, 1, 1), PeriodKind.MONTH)


def pump(s: Session) -> tuple[Product, int]:
    """A bought pump (lead time 3 calendar days) with 10 in stock at SH."""
    product, sh, _bj = seeded(s, "PUMP-100", kind="finished", lead_days=3, lead_calendar_days=True)
    post_move(s, receipt(product, sh, "10", "pumps"), None, NOW)
    return product, sh


def sell(s: Session, product: Product, sh: int, quantity: int, wanted: date) -> int:
    order = create_document(
        s, "order", Party(7, "Acme", None), sh, [LineRequest(product.id, Decimal(quantity))],
        NOW, wanted_on=wanted,
    )  # fmt: skip
    confirm_order(s, order.id, NOW)
    return order.id


def planned(s: Session, horizon: date | None = None) -> list[tuple[str, str, str, list[str]]]:
    found = plan_as_json(run_mrp(s, TODAY, CALENDAR, horizon=horizon), TODAY)["orders"]
    return [(o["quantity"], o["release"], o["due"], o["for"]) for o in found]


async def test_mrp_plans_the_larger_of_forecast_and_orders_in_each_month(db_url: str) -> None:
    """December: forecast 100; 10 shipped (asked for the 7th) and 30 open (the 15th) consume 40,
    so 60 is due today. January: forecast 50, orders of 70 on the 11th: the orders win, nothing
    from the forecast. November's forecast is over. Stock: 10, shipped, so 0 on hand.

    Needs: 60 today (forecast), 30 on 15 Dec, 70 on 11 Jan; nothing on hand, lot-for-lot,
    released 3 calendar days earlier (today's: 4 Dec, already past: expedite). On SQLite and
    PostgreSQL: which delivered orders are recent enough to consume is a query."""
    database = open_database(db_url)
    try:
        await database.run(_months_planned)
    finally:
        await database.dispose()


def _months_planned(s: Session) -> None:
    product, sh = pump(s)
    shipped = sell(s, product, sh, 10, TODAY)
    ship_order(s, shipped, None, "", "ship-1", None, NOW)
    sell(s, product, sh, 30, date(2026, 12, 15))
    sell(s, product, sh, 70, date(2027, 1, 11))
    for period, quantity in (
        (Period(date(2026, 11, 1), PeriodKind.MONTH), 500),
        (DECEMBER, 100),
        (JANUARY, 50),
    ):
        set_forecast(s, product, period, Decimal(quantity), NOW)
    assert planned(s) == [
        ("60", "2026-12-04", "2026-12-07", ["forecast 2026-12"]),
        ("30", "2026-12-12", "2026-12-15", ["SO2026-00002"]),
        ("70", "2027-01-08", "2027-01-11", ["SO2026-00003"]),
    ]
    plan = run_mrp(s, TODAY, CALENDAR)
    assert [str(e.kind) for e in plan.exceptions] == ["expedite"]
    # the horizon cuts the forecast's demand like the orders'
    assert [p[0] for p in planned(s, horizon=date(2026, 12, 31))] == ["60", "30"]
    assert planned(s, horizon=TODAY - timedelta(days=1)) == []
    # a larger order this month takes the forecast's place; it is never added on top
    sell(s, product, sh, 80, date(2026, 12, 20))
    assert [p[0] for p in planned(s, horizon=date(2026, 12, 31))] == ["30", "80"]


def test_a_forecast_is_set_changed_removed_and_kept_to_one_kind_of_period(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        product, _sh = pump(s)
        assert set_forecast(s, product, DECEMBER, Decimal(100), NOW) == "created"
        assert set_forecast(s, product, DECEMBER, Decimal(100), NOW) == "unchanged"
        assert set_forecast(s, product, DECEMBER, Decimal(120), NOW) == "updated"
        week = period_of("2027-W02")
        assert week is not None
        with pytest.raises(DomainError, match="forecast by month"):
            set_forecast(s, product, week, Decimal(5), NOW)
        assert set_forecast(s, product, DECEMBER, Decimal(0), NOW) == "removed"
        assert set_forecast(s, product, DECEMBER, Decimal(0), NOW) == "unchanged"
        assert set_forecast(s, product, week, Decimal(5), NOW) == "created"
        assert [(f.period.label, f.quantity) for f in forecasts_of(s, product.id, TODAY)] == [
            ("2027-W02", Decimal(5))
        ]
        fix = add_product(s, "FIX", {"name_en": "Fitting", "kind": "service"}, "CNY", NOW)
        with pytest.raises(DomainError, match="service"):
            set_forecast(s, fix, DECEMBER, Decimal(1), NOW)
        with pytest.raises(DomainError, match="3 decimals"):
            set_forecast(s, product, week, Decimal("0.0001"), NOW)


def imported(session: Session, name: str, text: str) -> tuple[list[str], Tally]:
    """The problems of a file (as printed), else what importing it did."""
    file = read_erp_file(name, text.encode())
    problems = problems_in(session, file, existing_customer_ids, TODAY)
    if problems:
        return [str(p) for p in problems], Tally()
    return [], save_erp_file(session, file, NOW, lambda: None)


def said(tally: Tally) -> dict[str, dict[str, int]]:
    return {section: dict(counts) for section, counts in tally.counts.items()}


def rows(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(ForecastRow)) or 0


FORECASTS_CSV = "sku,period,quantity\nPUMP-100,2026-12,50\npump-100,2027-01,40\nVALVE,2026-W51,8\n"


def test_forecasts_csv_imports_once_and_exports_back_as_no_change(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        pump(s)
        add_product(s, "VALVE", {"name_en": "Valve", "kind": "raw"}, "CNY", NOW)
        problems, tally = imported(s, "forecasts.csv", "\ufeff" + FORECASTS_CSV)
        assert problems == []
        assert said(tally) == {"forecasts": {"created": 3}}
        assert said(imported(s, "forecasts.csv", FORECASTS_CSV)[1]) == {
            "forecasts": {"unchanged": 3}
        }
        assert rows(s) == 3
        exported = forecasts_csv(s)
        assert exported == (
            "sku,period,quantity\nPUMP-100,2026-12,50\nPUMP-100,2027-01,40\nVALVE,2026-W51,8\n"
        )
        assert said(imported(s, "forecasts.csv", exported)[1]) == {"forecasts": {"unchanged": 3}}
        assert "forecasts:\n- sku: PUMP-100\n  period: 2026-12\n  quantity: 50\n" in (
            export_erp_file(s, TODAY)
        )
        changed = "sku,period,quantity\nPUMP-100,2026-12,0\nPUMP-100,2027-01,45\n"
        assert said(imported(s, "forecasts.csv", changed)[1]) == {
            "forecasts": {"removed": 1, "updated": 1}
        }
        pump_id = product_by_sku(s, "PUMP-100")
        assert pump_id is not None
        assert [(f.period.label, f.quantity) for f in forecasts_of(s, pump_id.id, TODAY)] == [
            ("2027-01", Decimal(45))
        ]


def test_every_problem_is_listed_with_its_line_and_nothing_is_written(sqlite_url: str) -> None:
    broken = (
        "sku,period,quantity\n"
        "PUMP-100,2026-12,50\n"
        "GHOST,2026-12,5\n"
        "PUMP-100,2026-13,5\n"
        "PUMP-100,2027-W02,5\n"
        "PUMP-100,2026-12,60\n"
        "VALVE,2026-W51,-1\n"
        "FIX,2026-12,1\n"
    )
    with erp_session(sqlite_url) as s:
        pump(s)
        add_product(s, "VALVE", {"name_en": "Valve", "kind": "raw"}, "CNY", NOW)
        add_product(s, "FIX", {"name_en": "Fitting", "kind": "service"}, "CNY", NOW)
        problems, _ = imported(s, "forecasts.csv", broken)
        assert problems == [
            "line 2, period: forecast by weeks and months at once; set one kind's forecasts to 0",
            "line 3, sku: no product GHOST (in the file or in Bizbot)",
            "line 4, period: a month like 2026-12 or an ISO week like 2026-W50",
            "line 6, (file): PUMP-100 2026-12 is already on an earlier line of forecasts",
            "line 7, quantity: from 0, with at most 3 decimals",
            "line 8, sku: FIX is a service; services are not forecast",
        ]
        assert rows(s) == 0
        set_forecast(s, _pump(s), DECEMBER, Decimal(9), NOW)
        weeks = "sku,period,quantity\nPUMP-100,2027-W02,5\n"
        problems, _ = imported(s, "forecasts.csv", weeks)
        assert problems == [
            "line 2, period: forecast by weeks and months at once; set one kind's forecasts to 0"
        ]
        switched = "sku,period,quantity\nPUMP-100,2027-W02,5\nPUMP-100,2026-12,0\n"
        assert said(imported(s, "forecasts.csv", switched)[1]) == {
            "forecasts": {"created": 1, "removed": 1}
        }


def _pump(s: Session) -> Product:
    found = product_by_sku(s, "PUMP-100")
    assert found is not None
    return found


def test_bizbot_erp_import_and_export_forecasts_csv(tmp_path: Path, sqlite_template: Path) -> None:
    (tmp_path / "db").mkdir()
    env = bot_env(copy_sqlite_template(sqlite_template, tmp_path / "db"))
    products = tmp_path / "products.csv"
    products.write_text("sku,name_en,kind\nPUMP-100,Pump,finished\nVALVE,Valve,raw\n", "utf-8")
    assert run_cli("erp", "import", products, env=env).returncode == 0
    forecasts = tmp_path / "forecasts.csv"
    forecasts.write_text(FORECASTS_CSV, encoding="utf-8")
    first = run_cli("erp", "import", forecasts, env=env)
    assert first.returncode == 0, describe(first)
    assert "forecasts: 3 created" in first.stdout
    second = run_cli("erp", "import", forecasts, env=env)
    assert "forecasts: 3 unchanged" in second.stdout, describe(second)
    broken = tmp_path / "broken.csv"
    broken.write_text("sku,period,quantity\nPUMP-100,2026-13,5\nGHOST,2026-12,1\n", "utf-8")
    refused = run_cli("erp", "import", broken, env=env)
    assert refused.returncode == 1
    assert "2 problem(s), nothing was imported" in refused.stderr
    assert "line 2, period: a month like 2026-12 or an ISO week like 2026-W50" in refused.stderr
    exported = tmp_path / "out.csv"
    written = run_cli("erp", "export", "--forecasts", "--out", exported, env=env)
    assert written.returncode == 0, describe(written)
    assert exported.read_text(encoding="utf-8") == FORECASTS_CSV.replace("pump-100", "PUMP-100")
