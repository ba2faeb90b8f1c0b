"""``bizbot erp import`` and ``bizbot erp export`` as an operator runs them: every problem listed
with its line and nothing written, importing twice changes nothing, CSV from Excel (BOM, Chinese),
progress on stderr, an export that imports into an empty database as the same stock, and
suppliers and price lists the same way (an export imported back changes nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.crm.models import Customer
from domain.directory.models import Member, Org
from domain.erp.catalog import product_by_sku
from domain.erp.levels import stock_by_warehouse
from domain.erp.models import Product, StockMove, Warehouse
from domain.erp.price_models import PriceLine, PriceList
from domain.erp.pricing import list_named, price_for
from domain.erp.purchase_models import Supplier
from domain.erp.suppliers import supplier_by_name
from tests.processes import bot_env, describe, query, run_cli
from tests.support import copy_sqlite_template

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)

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


def keep_books_in_usd(session: Session) -> None:
    session.add(
        Org(id=1, name="Acme Inc.", timezone="America/New_York", locale="en", currency="USD")
    )


async def test_products_are_priced_in_the_orgs_currency(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """A US org's imported products are in dollars: an order takes the product's currency, and
    finance books only orders in the books' currency."""
    env = database(tmp_path, sqlite_template)
    url = env["BIZBOT_DATABASE_URL"]
    await query(url, keep_books_in_usd)
    file = tmp_path / "catalog.yaml"
    file.write_text(CATALOG, encoding="utf-8")

    assert run_cli("erp", "import", file, env=env).returncode == 0
    currencies = await query(url, lambda s: set(s.scalars(select(Product.currency))))
    assert currencies == {"USD"}


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


TERMS = """\
suppliers:
  - {name: Acme Metals, contacts: Li 13800000000, payment_terms: 30 days, lead_days: 7}
  - {name: 华东五金, currency: cny}
products:
  - {sku: BOLT-M6, name_en: Hex bolt M6, list_price: 1.2}
  - {sku: PUMP-1, name_en: Pump, list_price: 1880}
price_lists:
  - {name: Gold, tier: A, valid_from: 2026-01-01, valid_to: 2026-12-31}
  - {name: Acme own, customer: 1, currency: USD, active: false}
prices:
  - {price_list: Gold, sku: BOLT-M6, price: 1}
  - {price_list: gold, sku: bolt-m6, min_qty: 100, price: 0.95}
  - {price_list: Acme own, sku: PUMP-1, min_qty: 2.5, price: 250.1234}
"""

BAD_TERMS = """\
suppliers:
  - {name: Acme, currency: RMBX, lead_days: -1}
  - {name: ACME}
price_lists:
  - {name: Both, tier: A, customer: 1}
  - {name: Ghost customer, customer: 99}
  - {name: Backwards, tier: B, valid_from: 2026-12-31, valid_to: 2026-01-01}
prices:
  - {price_list: Nowhere, sku: NOPE, price: -1}
  - {price_list: Both, sku: NOPE, min_qty: 0.0001, price: 1}
  - {price_list: both, sku: nope, min_qty: 0.0001, price: 2}
"""


def with_customer(session: Session) -> None:
    """Customer #1 of the CRM (price lists name customers by number)."""
    owner = Member(handle="alice", name="Alice", created_at=NOW, updated_at=NOW)
    session.add(owner)
    session.flush()
    session.add(Customer(name="Acme Ltd", owner_id=owner.id, created_at=NOW, updated_at=NOW))


def terms(session: Session) -> tuple[int, int, int]:
    """How many suppliers, price lists and prices there are."""
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(m)) or 0
        for m in (Supplier, PriceList, PriceLine)
    )


async def test_suppliers_and_price_lists_import_once_and_an_export_imports_as_no_change(
    tmp_path: Path, sqlite_template: Path
) -> None:
    env = database(tmp_path / "a", sqlite_template)
    url = env["BIZBOT_DATABASE_URL"]
    await query(url, with_customer)
    file = tmp_path / "terms.yaml"
    file.write_text(TERMS, encoding="utf-8")

    first = run_cli("erp", "import", file, env=env)
    assert first.returncode == 0, describe(first)
    assert (
        "suppliers: 2 created; products: 2 created; price lists: 2 created; prices: 3 created"
        in first.stdout
    )
    again = run_cli("erp", "import", file, env=env)
    assert (
        "suppliers: 2 unchanged; products: 2 unchanged; price lists: 2 unchanged;"
        " prices: 3 unchanged" in again.stdout
    ), describe(again)

    def priced(session: Session) -> tuple[Decimal, str, int, bool]:
        bolt = product_by_sku(session, "BOLT-M6")
        assert bolt is not None
        gold = price_for(session, bolt.id, None, "A", Decimal(150), date(2026, 6, 1))
        acme = supplier_by_name(session, "acme metals")
        assert acme is not None and acme.lead_days == 7
        own = list_named(session, "ACME OWN")
        assert own is not None and own.currency == "USD"
        return gold.unit_price, gold.source, own.customer_id or 0, own.active

    assert await query(url, priced) == (Decimal("0.95"), "tier", 1, False)

    exported = tmp_path / "export.yaml"
    assert run_cli("erp", "export", "--out", exported, env=env).returncode == 0
    text = exported.read_text(encoding="utf-8")
    assert "华东五金" in text and "valid_to: 2026-12-31" in text and "min_qty: 2.5" in text
    back = run_cli("erp", "import", exported, env=env)
    assert "created" not in back.stdout and "updated" not in back.stdout, describe(back)
    assert "price lists: 2 unchanged; prices: 3 unchanged" in back.stdout

    target = database(tmp_path / "b", sqlite_template)
    await query(target["BIZBOT_DATABASE_URL"], with_customer)
    assert run_cli("erp", "import", exported, env=target).returncode == 0
    second = tmp_path / "second.yaml"
    assert run_cli("erp", "export", "--out", second, env=target).returncode == 0
    assert second.read_text(encoding="utf-8") == text

    file.write_text(TERMS.replace("lead_days: 7", "lead_days: 9").replace("0.95", "0.9"))
    edited = run_cli("erp", "import", file, env=env)
    assert "suppliers: 1 unchanged, 1 updated" in edited.stdout, describe(edited)
    assert "prices: 2 unchanged, 1 updated" in edited.stdout
    assert await query(url, terms) == (2, 2, 3)


async def test_supplier_and_price_list_problems_are_listed_with_their_lines(
    tmp_path: Path, sqlite_template: Path
) -> None:
    env = database(tmp_path, sqlite_template)
    await query(env["BIZBOT_DATABASE_URL"], with_customer)
    file = tmp_path / "terms.yaml"
    file.write_text(BAD_TERMS, encoding="utf-8")

    result = run_cli("erp", "import", file, env=env)

    assert result.returncode == 1, describe(result)
    said = result.stderr
    for expected in (
        "line 2, suppliers[0]: A lead time is a whole number of days",
        "line 3, suppliers[1]: ACME is already on an earlier line of suppliers",
        "line 5, price_lists[0]: A price list is for one customer or for one tier",
        "line 6, price_lists[1].customer: no customer #99 in the CRM",
        "line 7, price_lists[2]: A price list cannot end before it starts",
        "line 9, prices[0].price_list: no price list Nowhere",
        "line 9, prices[0].sku: no product NOPE",
        "line 9, prices[0]: A price is not below 0",
        "line 10, prices[1]: A quantity break is 0 or more with at most 3 decimals",
        "line 11, prices[2]: both NOPE from 0.0001 is already on an earlier line of prices",
    ):
        assert expected in said, said
    assert await query(env["BIZBOT_DATABASE_URL"], terms) == (0, 0, 0)


async def test_csv_files_of_suppliers_price_lists_and_prices_are_told_by_their_header(
    tmp_path: Path, sqlite_template: Path
) -> None:
    env = database(tmp_path, sqlite_template)
    files = {
        "products.csv": "sku,name_zh\nTEA-1,绿茶\n",
        "suppliers.csv": "name,contacts,lead_days,active\n茶园 Tea Garden,王 139,3,yes\n",
        "lists.csv": "name,tier,valid_from\n批发 Wholesale,B,2026-01-01\n",
        "prices.csv": "price_list,sku,min_qty,price\n批发 Wholesale,TEA-1,,10\n"
        "批发 Wholesale,TEA-1,50,9.5\n",
    }
    said = []
    for name, text in files.items():
        (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode())
        result = run_cli("erp", "import", tmp_path / name, env=env)
        assert result.returncode == 0, describe(result)
        said.append(result.stdout)
    assert "suppliers: 1 created" in said[1] and "price lists: 1 created" in said[2]
    assert "prices: 2 created" in said[3]
    assert await query(env["BIZBOT_DATABASE_URL"], terms) == (1, 1, 2)
