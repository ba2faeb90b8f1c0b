"""Work centres, bills of materials and routings through the ERP import, in process: importing
twice changes nothing, a changed quantity adds exactly one version, a cycle, an unknown SKU or
work centre is listed with its line and nothing is written, CSV files are told by their header,
and an export imports back as no change (and into an empty database as the same export)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.crm.customers import existing_customer_ids
from domain.erp.boms import bom_in_force, bom_lines
from domain.erp.catalog import product_by_sku
from domain.erp.importer import (
    Tally,
    export_erp_file,
    problems_in,
    read_erp_file,
    save_erp_file,
)
from domain.erp.models import Product
from domain.erp.production_models import Bom, Operation, WorkCentre
from domain.erp.routings import routing_of, work_centre_by_code
from domain.shared.csvfile import ImportRefused
from tests.integration.erp_rig import NOW, erp_session
from tests.support import copy_sqlite_template

TODAY = NOW.date()

FACTORY = """\
products:
  - {sku: LEG, name_en: Leg, kind: raw, lot_rule: multiple, lot_quantity: 50}
  - {sku: SEAT, name_en: Seat, kind: semi, lead_calendar_days: true}
  - {sku: STOOL, name_en: Stool}
work_centres:
  - {code: ASM, name: Assembly, hours_per_day: 8, rate: 50}
  - {code: SAW, hours_per_day: 7.5}
boms:
  - {product: STOOL, component: LEG, quantity: 4, scrap: 5%, yield: 0.98}
  - {product: STOOL, component: SEAT, quantity: 1, yield: 98%}
  - {product: SEAT, component: LEG, quantity: 0.5, scrap: 0.01, effective_from: 2026-11-01}
routings:
  - {product: STOOL, position: 20, operation: Assemble, work_centre: ASM, hours_per_unit: 0.5,
     setup_hours: 1}
  - {product: STOOL, position: 10, operation: Cut, work_centre: saw, hours_per_unit: 0.25}
"""


def imported(session: Session, name: str, text: str) -> tuple[list[str], Tally]:
    """The problems of a file (as printed), else what importing it did."""
    file = read_erp_file(name, text.encode())
    problems = problems_in(session, file, existing_customer_ids, TODAY)
    if problems:
        return [str(p) for p in problems], Tally()
    return [], save_erp_file(session, file, NOW, lambda: None)


def said(tally: Tally) -> dict[str, dict[str, int]]:
    return {section: dict(counts) for section, counts in tally.counts.items()}


def production_counts(session: Session) -> tuple[int, ...]:
    """How many products, work centres, BOM versions and operations there are."""
    return tuple(
        session.scalar(select(func.count()).select_from(m)) or 0
        for m in (Product, WorkCentre, Bom, Operation)
    )


def test_a_factory_imports_once_and_a_changed_quantity_adds_one_version(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        problems, first = imported(s, "f.yaml", FACTORY)
        assert problems == []
        assert said(first)["work_centres"] == {"created": 2}
        assert said(first)["boms"] == {"created": 2}
        assert said(first)["routings"] == {"created": 1}
        stool = product_by_sku(s, "STOOL")
        assert stool is not None
        bom = bom_in_force(s, stool.id, TODAY)
        assert bom is not None and bom.yield_rate == Decimal("0.98")
        assert bom.effective_from == TODAY
        lines = [(ln.quantity, ln.scrap) for ln in bom_lines(s, bom.id)]
        assert lines == [(Decimal(4), Decimal("0.05")), (Decimal(1), Decimal(0))]
        steps = [(st.operation.name, st.centre.code) for st in routing_of(s, stool.id)]
        assert steps == [("Cut", "SAW"), ("Assemble", "ASM")]
        leg = product_by_sku(s, "LEG")
        assert leg is not None and (leg.lot_rule, leg.lot_quantity) == ("multiple", Decimal(50))

        _, again = imported(s, "f.yaml", FACTORY)
        assert said(again) == {
            "products": {"unchanged": 3},
            "work_centres": {"unchanged": 2},
            "boms": {"unchanged": 2},
            "routings": {"unchanged": 1},
        }
        assert production_counts(s) == (3, 2, 2, 2)

        changed = FACTORY.replace("quantity: 4,", "quantity: 3,").replace("rate: 50", "rate: 55")
        _, edited = imported(s, "f.yaml", changed)
        assert said(edited)["boms"] == {"updated": 1, "unchanged": 1}
        assert said(edited)["work_centres"] == {"updated": 1, "unchanged": 1}
        assert production_counts(s) == (3, 2, 3, 2)
        newest = bom_in_force(s, stool.id, TODAY)
        assert newest is not None and newest.version == 2
        assert work_centre_by_code(s, "ASM").rate == Decimal(55)

        swapped = FACTORY.replace("position: 20", "position: 5")
        _, reordered = imported(s, "f.yaml", swapped)
        assert said(reordered)["routings"] == {"updated": 1}
        assert [st.operation.name for st in routing_of(s, stool.id)] == ["Assemble", "Cut"]


BROKEN = """\
products:
  - {sku: STOOL, name_en: Stool}
  - {sku: SEAT, name_en: Seat, kind: semi}
  - {sku: LEG, name_en: Leg, kind: raw}
work_centres:
  - {code: ASM, hours_per_day: 25}
boms:
  - {product: STOOL, component: SEAT, quantity: 1}
  - {product: SEAT, component: STOOL, quantity: 1}
  - {product: SEAT, component: LEG, quantity: 2}
routings:
  - {product: STOOL, position: 1, operation: Assemble, work_centre: PAINT}
  - {product: GHOST, position: 1, operation: Paint, work_centre: ASM, hours_per_unit: -1}
"""


def test_a_cycle_an_unknown_sku_and_work_centre_are_listed_and_nothing_is_written(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        problems, _ = imported(s, "b.yaml", BROKEN)
        cycle = "that would make a cycle: STOOL → SEAT → STOOL"
        assert problems == [
            "line 6, work_centres[0]: A work centre works more than 0 and at most 24 hours a day.",
            f"line 8, boms[0].component: {cycle}",
            "line 9, boms[1].component: that would make a cycle: SEAT → STOOL → SEAT",
            "line 12, routings[0].work_centre: no work centre PAINT (in the file or in Bizbot)",
            "line 13, routings[1]: Hours are a number of at most 3 decimals, not below 0.",
            "line 13, routings[1].product: no product GHOST (in the file or in Bizbot)",
        ]
        unknown = """\
products:
  - {sku: STOOL, name_en: Stool}
  - {sku: SEAT, name_en: Seat, kind: raw}
boms:
  - {product: STOOL, component: NOPE, quantity: 1, scrap: 100%}
  - {product: STOOL, component: SEAT, quantity: 1, yield: 90%}
"""
        problems, _ = imported(s, "u.yaml", unknown)
        assert problems == [
            "line 5, boms[0].component: no product NOPE (in the file or in Bizbot)",
            "line 5, boms[0].scrap: from 0 to below 1 (or 100%), at most 4 decimals",
            "line 6, boms[1].yield: yield differs from the product's first line",
        ]
        assert production_counts(s) == (0, 0, 0, 0)


def test_a_cycle_through_a_bom_already_in_bizbot_is_found(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        assert imported(s, "f.yaml", FACTORY)[0] == []
        closing = "boms:\n  - {product: LEG, component: STOOL, quantity: 1}\n"
        problems, _ = imported(s, "c.yaml", closing)
        assert problems == [
            "line 2, boms[0].component: that would make a cycle: LEG → STOOL → LEG",
            "line 2, boms[0].product: LEG is raw: only finished and semi are made",
        ]
        made = "products:\n  - {sku: LEG, name_en: Leg, kind: semi}\n" + closing
        problems, _ = imported(s, "c.yaml", made)
        assert problems == [
            "line 4, boms[0].component: that would make a cycle: LEG → STOOL → LEG",
        ]
        assert production_counts(s) == (3, 2, 2, 2)


def test_csv_files_of_work_centres_boms_and_routings_are_told_by_their_header(
    sqlite_url: str,
) -> None:
    files = {
        "products.csv": "sku,name_zh,kind\nLEG,腿,raw\nSTOOL,凳子,finished\n",
        "centres.csv": "code,name,hours_per_day\nASM,装配,8\n",
        "boms.csv": "product,component,quantity,scrap,yield,effective_from\n"
        "STOOL,LEG,4,2%,95%,2026-12-01\n",
        "routings.csv": "product,position,operation,work_centre,hours_per_unit\n"
        "STOOL,1,装配,ASM,0.5\n",
    }
    with erp_session(sqlite_url) as s:
        for name, text in files.items():
            problems, _ = imported(s, name, "\ufeff" + text)
            assert problems == [], name
        stool = product_by_sku(s, "STOOL")
        assert stool is not None
        bom = bom_in_force(s, stool.id, date(2026, 12, 1))
        assert bom is not None and bom.yield_rate == Decimal("0.95")
        assert [ln.scrap for ln in bom_lines(s, bom.id)] == [Decimal("0.02")]
        assert [st.centre.name for st in routing_of(s, stool.id)] == ["装配"]
        with pytest.raises(ImportRefused, match="line 1 \\(boms\\): unknown column\\(s\\): colour"):
            imported(s, "odd.csv", "product,component,colour\nSTOOL,LEG,red\n")


def test_an_export_imports_back_as_no_change_and_into_an_empty_database_the_same(
    sqlite_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    with erp_session(sqlite_url) as s:
        assert imported(s, "f.yaml", FACTORY)[0] == []
        exported = export_erp_file(s, TODAY)
        _, back = imported(s, "export.yaml", exported)
    assert {o for counts in back.counts.values() for o in counts} == {"unchanged"}
    assert set(back.counts) >= {"products", "work_centres", "boms", "routings"}
    for expected in ("lot_rule: multiple", "lead_calendar_days: true", "yield: 0.98",
                     "scrap: 0.05", "effective_from: 2026-11-01", "setup_hours: 1"):  # fmt: skip
        assert expected in exported, exported
    (tmp_path / "empty").mkdir()
    with erp_session(copy_sqlite_template(sqlite_template, tmp_path / "empty")) as empty:
        assert imported(empty, "export.yaml", exported)[0] == []
        assert export_erp_file(empty, TODAY) == exported
