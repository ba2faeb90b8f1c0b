"""``bizbot erp import`` and ``bizbot erp export`` as an operator runs them: every problem listed
with its line and nothing written, importing twice changes nothing, CSV from Excel (BOM, Chinese),
progress on stderr, and an export that imports into an empty database as the same stock."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.erp.catalog import product_by_sku
from domain.erp.levels import stock_by_warehouse
from domain.erp.models import Product, StockMove, Warehouse
from tests.processes import bot_env, describe, query, run_cli
from tests.support import copy_sqlite_template

CATALOG = """\
warehouses:
  - {code: SH, name: Shanghai}
  - {code: BJ, name: 北京仓}
products:
  - sku: BOLT-M6
    name_zh: 六角螺栓 M6
    name_en: Hex bolt M6
    kind: raw
    uom: pcs
    purchase_uom: box
    purchase_factor: 12
    cost: 0.35
    list_price: 0.8
    tax_rate: 0.13
    safety_stock: 100
  - {sku: PUMP-1, name_en: Pump, cost: 1200, list_price: 1880.5}
  - {sku: SETUP, name_en: On-site setup, kind: service, list_price: 300}
opening_stock:
  - {sku: BOLT-M6, warehouse: SH, quantity: 500, unit_cost: 0.35}
  - {sku: BOLT-M6, warehouse: BJ, quantity: 120.5}
  - {sku: PUMP-1, warehouse: SH, quantity: 3, unit_cost: 1150}
"""

BROKEN = """\
warehouses:
  - {code: SH, name: Shanghai}
products:
  - {sku: GOOD-1, name_en: Good}
  - {sku: BAD COST, name_en: Spaces, cost: -1}
  - {sku: GOOD-1, name_en: Twice}
  - {sku: NONAME}
opening_stock:
  - {sku: GOOD-1, warehouse: XX, quantity: 5}
  - {sku: GHOST, warehouse: SH, quantity: 0.0001}
"""


def database(tmp_path: Path, sqlite_template: Path) -> dict[str, str]:
    (tmp_path / "db").mkdir(parents=True)
    return bot_env(copy_sqlite_template(sqlite_template, tmp_path / "db"))


def counts(session: Session) -> tuple[int, int, int]:
    """How many warehouses, products and moves there are."""
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(m)) or 0
        for m in (Warehouse, Product, StockMove)
    )


def stock(session: Session) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """On hand and value per (SKU, warehouse)."""
    held = {}
    for product in session.scalars(select(Product)):
        for warehouse, a in stock_by_warehouse(session, product.id):
            held[(product.sku, warehouse.code)] = (a.on_hand, a.value)
    return held


async def test_a_catalog_with_opening_stock_imports_once(
    tmp_path: Path, sqlite_template: Path
) -> None:
    env = database(tmp_path, sqlite_template)
    file = tmp_path / "catalog.yaml"
    file.write_text(CATALOG, encoding="utf-8")

    first = run_cli("erp", "import", file, env=env)
    assert first.returncode == 0, describe(first)
    assert "warehouses: 2 created; products: 3 created; opening stock: 3 created" in first.stdout
    assert "checking and importing" in first.stderr  # the progress bar
    url = env["BIZBOT_DATABASE_URL"]
    assert await query(url, stock) == {
        ("BOLT-M6", "BJ"): (Decimal("120.5"), Decimal("42.18")),  # at the product's cost
        ("BOLT-M6", "SH"): (Decimal(500), Decimal("175.00")),
        ("PUMP-1", "SH"): (Decimal(3), Decimal("3450.00")),
    }
    bolt = await query(url, lambda s: product_by_sku(s, "bolt-m6"))
    assert bolt is not None
    assert bolt.name_zh == "六角螺栓 M6"
    assert (bolt.purchase_factor, bolt.tax_rate) == (Decimal(12), Decimal("0.13"))

    again = run_cli("erp", "import", file, env=env)
    assert again.returncode == 0, describe(again)
    assert "products: 3 unchanged; opening stock: 3 unchanged" in again.stdout
    assert await query(url, counts) == (2, 3, 3)

    file.write_text(CATALOG.replace("cost: 1200,", "cost: 1250,"), encoding="utf-8")
    edited = run_cli("erp", "import", file, env=env)
    assert "products: 2 unchanged, 1 updated" in edited.stdout, describe(edited)


async def test_every_problem_is_listed_with_its_line_and_nothing_is_written(
    tmp_path: Path, sqlite_template: Path
) -> None:
    env = database(tmp_path, sqlite_template)
    file = tmp_path / "broken.yaml"
    file.write_text(BROKEN, encoding="utf-8")

    result = run_cli("erp", "import", file, env=env)

    assert result.returncode == 1, describe(result)
    said = result.stderr
    assert "7 problem(s), nothing was imported" in said, said
    for expected in (
        "line 5, products[1].sku: A SKU is letters",
        "line 5, products[1]: Numbers here are not below 0",
        "line 6, products[2]: GOOD-1 is already on an earlier line",
        "line 7, products[3].name_en: a product needs a name",
        "line 9, opening_stock[0].warehouse: no warehouse XX",
        "line 10, opening_stock[1].sku: no product GHOST",
        "line 10, opening_stock[1].quantity: above 0, with at most 3 decimals",
    ):
        assert expected in said, said
    assert await query(env["BIZBOT_DATABASE_URL"], counts) == (0, 0, 0)


async def test_a_changed_opening_stock_is_refused_and_a_bad_shape_is_located(
    tmp_path: Path, sqlite_template: Path
) -> None:
    env = database(tmp_path, sqlite_template)
    file = tmp_path / "catalog.yaml"
    file.write_text(CATALOG, encoding="utf-8")
    assert run_cli("erp", "import", file, env=env).returncode == 0

    file.write_text(CATALOG.replace("quantity: 500,", "quantity: 450,"), encoding="utf-8")
    changed = run_cli("erp", "import", file, env=env)
    assert changed.returncode == 1
    assert "posted before as 500; change stock with /adjust" in changed.stderr, changed.stderr

    file.write_text("products:\n  - {sku: X-1, name_en: X, colour: red}\n", encoding="utf-8")
    shape = run_cli("erp", "import", file, env=env)
    assert shape.returncode == 1
    assert "line 2, products[0].colour: Extra inputs are not permitted" in shape.stderr
    assert await query(env["BIZBOT_DATABASE_URL"], counts) == (2, 3, 3)


async def test_csv_files_from_excel_each_hold_one_section(
    tmp_path: Path, sqlite_template: Path
) -> None:
    env = database(tmp_path, sqlite_template)
    warehouses = tmp_path / "warehouses.csv"
    warehouses.write_bytes(b"\xef\xbb\xbf" + "code,name\nGZ,广州仓\n".encode())
    products = tmp_path / "products.csv"
    rows = "sku,name_zh,cost,safety_stock,allow_negative\nTEA-1,绿茶,12.5,,yes\nTEA-2,红茶,abc,,\n"
    products.write_bytes(b"\xef\xbb\xbf" + rows.encode())
    opening = tmp_path / "opening.csv"
    opening.write_text("sku,warehouse,quantity\nTEA-1,GZ,40\n", encoding="utf-8")

    assert run_cli("erp", "import", warehouses, env=env).returncode == 0
    bad = run_cli("erp", "import", products, env=env)
    assert bad.returncode == 1
    assert "line 3, cost: Input should be a valid decimal" in bad.stderr, bad.stderr

    products.write_text(products.read_text(encoding="utf-8-sig").replace("abc", "8"))
    for file in (products, opening):
        result = run_cli("erp", "import", file, env=env)
        assert result.returncode == 0, describe(result)
    url = env["BIZBOT_DATABASE_URL"]
    assert await query(url, stock) == {("TEA-1", "GZ"): (Decimal(40), Decimal("500.00"))}
    tea = await query(url, lambda s: product_by_sku(s, "TEA-1"))
    assert tea is not None
    assert tea.allow_negative

    unknown = tmp_path / "odd.csv"
    unknown.write_text("sku,name_en,colour\nX,Y,red\n", encoding="utf-8")
    refused = run_cli("erp", "import", unknown, env=env)
    assert refused.returncode == 2
    assert "unknown column(s): colour; nothing was imported" in refused.stderr


async def test_an_export_imports_into_an_empty_database_as_the_same_stock(
    tmp_path: Path, sqlite_template: Path
) -> None:
    source = database(tmp_path / "a", sqlite_template)
    file = tmp_path / "catalog.yaml"
    file.write_text(CATALOG, encoding="utf-8")
    assert run_cli("erp", "import", file, env=source).returncode == 0

    exported = tmp_path / "export.yaml"
    result = run_cli("erp", "export", "--out", exported, env=source)
    assert result.returncode == 0, describe(result)
    target = database(tmp_path / "b", sqlite_template)
    loaded = run_cli("erp", "import", exported, env=target)
    assert loaded.returncode == 0, describe(loaded)

    before = await query(source["BIZBOT_DATABASE_URL"], stock)
    assert await query(target["BIZBOT_DATABASE_URL"], stock) == before
    assert "六角螺栓 M6" in exported.read_text(encoding="utf-8")
