"""Master data and opening stock from a file (``bizbot erp import``), and back out
(``bizbot erp export``).

A YAML file has the sections ``warehouses``, ``suppliers``, ``products``, ``opening_stock``,
``price_lists``, ``prices``, ``work_centres``, ``boms``, ``routings`` and ``forecasts``
(docs/ERP.md, "Import and
export"); a CSV file holds one of them, named by its header. Every line is checked before
anything is written, and one problem means nothing is written. Importing a file again changes
nothing: warehouses are matched by code, suppliers and price lists by name, products by SKU,
prices by list, product and quantity break, and a product's opening stock in a warehouse is
posted once (afterwards stock changes through moves, never through the file). Suppliers and
price lists are ``import_terms.py``; work centres (by code), bills of materials and routings (by
product) are ``import_production.py``; demand forecasts (by product and period)
``import_forecasts.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.orgfile import Problem, problem_at
from domain.directory.services import get_org
from domain.erp.catalog import (
    add_product,
    check_product_values,
    checked_sku,
    edit_product,
    product_by_sku,
)
from domain.erp.forecasts import exported_forecasts
from domain.erp.import_forecasts import ForecastLine, forecast_problems, save_forecasts
from domain.erp.import_production import (
    ComponentLine,
    OperationLine,
    WorkCentreLine,
    bom_problems,
    by_product,
    exported_boms,
    exported_routings,
    exported_work_centres,
    routing_problems,
    save_bom,
    save_routing,
    save_work_centre,
    work_centre_problems,
)
from domain.erp.import_terms import (
    ExistingCustomers,
    PriceBreakLine,
    PriceListLine,
    SupplierLine,
    exported_price_lists,
    exported_prices,
    exported_suppliers,
    price_list_problems,
    price_problems,
    save_price,
    save_price_list,
    save_supplier,
    supplier_problems,
)
from domain.erp.levels import stock_by_warehouse
from domain.erp.models import COST_DIGITS, Product, StockMove, Warehouse
from domain.erp.stock import MoveRequest, post_move
from domain.erp.warehouses import add_warehouse, main_location, warehouse_by_code
from domain.shared.csvfile import ImportRefused, Row, read_csv
from domain.shared.errors import DomainError
from domain.shared.money import quantize
from domain.shared.quantity import is_exact, plain
from domain.shared.yamlfile import DefinitionInvalid, load_yaml

OPENING = "opening stock"


class WarehouseLine(BaseModel):
    """A warehouse, by its code."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=32, pattern=r"^\S+$")
    name: str = Field(default="", max_length=200)


class ProductLine(BaseModel):
    """A product, by its SKU; the other fields as ``/product add`` takes them."""

    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=64)
    name_zh: str = Field(default="", max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: str = "finished"
    uom: str = Field(default="pcs", min_length=1, max_length=16)
    purchase_uom: str = Field(default="", max_length=16)
    purchase_factor: Decimal = Decimal(1)
    cost: Decimal = Decimal(0)
    list_price: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal(0)
    safety_stock: Decimal = Decimal(0)
    reorder_point: Decimal = Decimal(0)
    reorder_qty: Decimal = Decimal(0)
    lead_days: int = 0
    lead_calendar_days: bool = False
    lot_rule: str = "lot_for_lot"
    lot_quantity: Decimal = Decimal(0)
    default_supplier: str = Field(default="", max_length=200)
    allow_negative: bool = False
    active: bool = True

    def values(self) -> dict[str, Any]:
        """Every field but the SKU."""
        return self.model_dump(exclude={"sku"})


class OpeningLine(BaseModel):
    """What a warehouse holds of a product when Bizbot starts keeping its stock."""

    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=64)
    warehouse: str = Field(min_length=1, max_length=32)
    quantity: Decimal
    unit_cost: Decimal | None = None


class ErpFile(BaseModel):
    """A whole import file."""

    model_config = ConfigDict(extra="forbid")
    warehouses: list[WarehouseLine] = []
    suppliers: list[SupplierLine] = []
    products: list[ProductLine] = []
    opening_stock: list[OpeningLine] = []
    price_lists: list[PriceListLine] = []
    prices: list[PriceBreakLine] = []
    work_centres: list[WorkCentreLine] = []
    boms: list[ComponentLine] = []
    routings: list[OperationLine] = []
    forecasts: list[ForecastLine] = []


LINE_MODELS: dict[str, type[BaseModel]] = {
    "warehouses": WarehouseLine,
    "suppliers": SupplierLine,
    "products": ProductLine,
    "opening_stock": OpeningLine,
    "price_lists": PriceListLine,
    "prices": PriceBreakLine,
    "work_centres": WorkCentreLine,
    "boms": ComponentLine,
    "routings": OperationLine,
    "forecasts": ForecastLine,
}
SECTIONS = tuple(LINE_MODELS)  # the order they are written in
BY_PRODUCT = ("boms", "routings")  # saved a product's lines at a time
CSV_SECTIONS = (  # a CSV file holds the first section whose columns its header has
    ("forecasts", {"sku", "period"}),
    ("opening_stock", {"sku", "warehouse"}),
    ("prices", {"price_list", "sku"}),
    ("products", {"sku"}),
    ("boms", {"product", "component"}),
    ("routings", {"product", "work_centre"}),
    ("work_centres", {"code", "hours_per_day"}),
    ("work_centres", {"code", "rate"}),
    ("warehouses", {"code"}),
    ("price_lists", {"name", "tier"}),
    ("price_lists", {"name", "customer"}),
    ("suppliers", {"name"}),
)
Locate = Callable[[str, int, str, str], Problem]  # section, index, field, message


@dataclass(frozen=True)
class ImportFile:
    """A read file, and how to point at one of its lines."""

    content: ErpFile
    locate: Locate

    @property
    def size(self) -> int:
        """How many lines it has, in every section."""
        return sum(len(getattr(self.content, section)) for section in SECTIONS)


@dataclass
class Tally:
    """What an import did, per section: created, updated, unchanged."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def count(self, section: str, outcome: str) -> None:
        """Count one line's outcome."""
        self.counts.setdefault(section, Counter())[outcome] += 1


def read_erp_file(name: str, data: bytes) -> ImportFile:
    """Read a ``.yaml``/``.yml`` or ``.csv`` file (``DefinitionInvalid`` with every line's
    problem, ``ImportRefused`` if it cannot be read at all)."""
    if name.lower().endswith(".csv"):
        return _read_csv(data)
    if name.lower().endswith((".yaml", ".yml")):
        return _read_yaml(data)
    raise ImportRefused("give a .yaml or a .csv file")


def _read_yaml(data: bytes) -> ImportFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused("the file is not UTF-8") from exc
    raw, root = load_yaml(text)

    def locate(section: str, index: int, name: str, message: str) -> Problem:
        return problem_at(root, (section, index, name) if name else (section, index), message)

    try:
        content = ErpFile.model_validate({} if raw is None else raw)
    except ValidationError as exc:
        raise DefinitionInvalid(
            [problem_at(root, tuple(e["loc"]), e["msg"]) for e in exc.errors()]
        ) from exc
    return ImportFile(content, locate)


def _read_csv(data: bytes) -> ImportFile:
    header, rows = read_csv(data)
    section = _section_of(header)
    fields = LINE_MODELS[section].model_fields
    unknown = [c for c in header if c not in {f.alias or n for n, f in fields.items()}]
    if unknown:
        raise ImportRefused(f"line 1 ({section}): unknown column(s): {', '.join(unknown)}")
    lines, problems = [], []
    for row in rows:
        try:
            lines.append(LINE_MODELS[section].model_validate(_filled(row)))
        except ValidationError as exc:
            problems += [Problem(row.line, _dotted(e["loc"]), e["msg"]) for e in exc.errors()]
    if problems:
        raise DefinitionInvalid(problems)

    def locate(_section: str, index: int, name: str, message: str) -> Problem:
        return Problem(rows[index].line, name, message)

    return ImportFile(ErpFile.model_validate({section: lines}), locate)


def _section_of(header: list[str]) -> str:
    """The header says what the file holds (``CSV_SECTIONS``): a SKU with a warehouse is
    opening stock, with a price list prices, alone products; a code warehouses; a name with a
    tier or a customer price lists, alone suppliers."""
    found = next((section for section, needs in CSV_SECTIONS if needs <= set(header)), None)
    if found is None:
        raise ImportRefused(
            "line 1: a header with sku (products), code (warehouses), name (suppliers), sku and"
            " warehouse (opening stock), name and tier or customer (price lists), price_list"
            " and sku (prices), code and hours_per_day or rate (work centres), product and"
            " component (boms), product and work_centre (routings), or sku and period"
            " (forecasts)"
        )
    return found


def _filled(row: Row) -> dict[str, str]:
    """The row's non-empty cells (an empty cell takes the default); a stray cell is kept so
    that validation names it."""
    return {name or "(beyond the header)": value for name, value in row.cells.items() if value}


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def problems_in(
    session: Session, file: ImportFile, existing_customers: ExistingCustomers, today: date
) -> list[Problem]:
    """Every problem the file has against itself and the database (none: it may be saved);
    ``existing_customers`` says which of the price lists' customer numbers the CRM has, and a
    bill of materials without a date is in force from ``today``."""
    content, locate = file.content, file.locate
    problems = _duplicates(file)
    for index, line in enumerate(content.products):
        problems += _product_problems(line, partial(locate, "products", index))
    known_codes = {w.code.upper() for w in content.warehouses}
    known_skus = {line.sku.strip().upper(): line.kind for line in content.products}
    for index, opening in enumerate(content.opening_stock):
        where = partial(locate, "opening_stock", index)
        problems += _opening_problems(session, opening, known_skus, known_codes, where)
    for index, supplier in enumerate(content.suppliers):
        problems += supplier_problems(supplier, partial(locate, "suppliers", index))
    for index, price_list in enumerate(content.price_lists):
        where = partial(locate, "price_lists", index)
        problems += price_list_problems(session, price_list, existing_customers, where)
    known = ({p.key for p in content.price_lists}, set(known_skus))
    for index, price in enumerate(content.prices):
        problems += price_problems(session, price, known, partial(locate, "prices", index))
    problems += _production_problems(session, file, known_skus, today)
    problems += forecast_problems(session, content.forecasts, known_skus, locate)
    return sorted(problems, key=lambda p: (p.line or 0, p.path))


def _production_problems(
    session: Session, file: ImportFile, known_skus: dict[str, str], today: date
) -> list[Problem]:
    content, locate = file.content, file.locate
    problems = []
    for index, centre in enumerate(content.work_centres):
        problems += work_centre_problems(centre, partial(locate, "work_centres", index))
    problems += bom_problems(session, content.boms, known_skus, today, locate)
    known = (set(known_skus), {w.code.strip().upper() for w in content.work_centres})
    return problems + routing_problems(session, content.routings, known, locate)


def _duplicates(file: ImportFile) -> list[Problem]:
    content = file.content
    keyed: dict[str, list[tuple[str, str]]] = {  # per line: what it is matched by, as typed
        "warehouses": [(w.code.upper(),) * 2 for w in content.warehouses],
        "suppliers": [(s.key, s.name) for s in content.suppliers],
        "products": [(p.sku.strip().upper(),) * 2 for p in content.products],
        "opening_stock": [
            (f"{o.sku.strip().upper()} {o.warehouse.upper()}",) * 2 for o in content.opening_stock
        ],
        "price_lists": [(p.key, p.name) for p in content.price_lists],
        "prices": [(p.key, p.key_as_typed) for p in content.prices],
        "work_centres": [(w.code.upper(),) * 2 for w in content.work_centres],
        "boms": [(b.key,) * 2 for b in content.boms],
        "routings": [(r.key,) * 2 for r in content.routings],
        "forecasts": [(f.key,) * 2 for f in content.forecasts],
    }
    problems = []
    for section, keys in keyed.items():
        first: dict[str, int] = {}
        for index, (key, typed) in enumerate(keys):
            if key in first:
                twice = f"{typed} is already on an earlier line of {section}"
                problems.append(file.locate(section, index, "", twice))
            first.setdefault(key, index)
    return problems


def _product_problems(line: ProductLine, where: Callable[[str, str], Problem]) -> list[Problem]:
    problems = []
    for name, check in (("sku", lambda: checked_sku(line.sku)),
                        ("", lambda: check_product_values(line.values()))):  # fmt: skip
        try:
            check()
        except DomainError as exc:
            problems.append(where(name, str(exc)))
    if not (line.name_zh or line.name_en):
        problems.append(where("name_en", "a product needs a name (name_zh or name_en)"))
    return problems


def _opening_problems(
    session: Session,
    line: OpeningLine,
    known_skus: dict[str, str],
    known_codes: set[str],
    where: Callable[[str, str], Problem],
) -> list[Problem]:
    problems = []
    sku, code = line.sku.strip().upper(), line.warehouse.upper()
    product = product_by_sku(session, sku)
    kind = known_skus.get(sku, product.kind if product else None)
    if kind is None:
        problems.append(where("sku", f"no product {sku} (in the file or in Bizbot)"))
    elif kind == "service":
        problems.append(where("sku", f"{sku} is a service; services are not stocked"))
    if code not in known_codes and warehouse_by_code(session, code) is None:
        problems.append(where("warehouse", f"no warehouse {code} (in the file or in Bizbot)"))
    if line.quantity <= 0 or not is_exact(line.quantity):
        problems.append(where("quantity", "above 0, with at most 3 decimals"))
    if line.unit_cost is not None and (
        line.unit_cost < 0 or not is_exact(line.unit_cost, COST_DIGITS)
    ):
        problems.append(where("unit_cost", "not below 0, with at most 4 decimals"))
    posted = session.scalar(
        select(StockMove.quantity).where(StockMove.idempotency_key == _opening_key(sku, code))
    )
    if posted is not None and posted != line.quantity:
        problems.append(
            where(
                "quantity",
                f"the opening stock of {sku} in {code} was posted before as {plain(posted)};"
                " change stock with /adjust, not with the file",
            )
        )
    return problems


def save_erp_file(
    session: Session, file: ImportFile, now: datetime, advance: Callable[[], None]
) -> Tally:
    """Write a checked file (see ``problems_in``), section by section in the order of
    ``SECTIONS`` (what a line refers to is written before it), a bill of materials or routing a
    product at a time; ``advance`` is called after each line."""
    savers: dict[str, Callable[[Any], str]] = {
        "warehouses": partial(_save_warehouse, session),
        "suppliers": partial(save_supplier, session, now=now),
        "products": partial(_save_product, session, now=now),
        "opening_stock": partial(_post_opening, session, now=now),
        "price_lists": partial(save_price_list, session, now=now),
        "prices": partial(save_price, session),
        "work_centres": partial(save_work_centre, session),
        "boms": partial(save_bom, session, today=now.date(), now=now),
        "routings": partial(save_routing, session),
    }  # forecasts last, a product's zeros first: ``save_forecasts``
    tally = Tally()
    for section in savers:
        for lines in _units(getattr(file.content, section), section):
            tally.count(section, savers[section](lines if section in BY_PRODUCT else lines[0]))
            for _ in lines:
                advance()
    for outcome in save_forecasts(session, file.content.forecasts, now, advance):
        tally.count("forecasts", outcome)
    return tally


def _units(lines: list[Any], section: str) -> list[list[Any]]:
    """What is saved at once: one line, or a product's lines of a bill of materials or
    routing."""
    if section not in BY_PRODUCT:
        return [[line] for line in lines]
    return [[lines[i] for i in indexes] for indexes in by_product(lines).values()]


def _save_warehouse(session: Session, line: WarehouseLine) -> str:
    found = warehouse_by_code(session, line.code)
    if found is None:
        add_warehouse(session, line.code, line.name or line.code)
        return "created"
    if line.name and found.name != line.name:
        found.name = line.name
        return "updated"
    return "unchanged"


def _save_product(session: Session, line: ProductLine, now: datetime) -> str:
    found = product_by_sku(session, line.sku)
    values = line.values()
    if found is None:
        add_product(session, line.sku, values, get_org(session).currency, now)
        return "created"
    changed = {k: v for k, v in values.items() if getattr(found, k) != v}
    if not changed:
        return "unchanged"
    edit_product(session, found, changed, now)
    return "updated"


def _post_opening(session: Session, line: OpeningLine, now: datetime) -> str:
    product = product_by_sku(session, line.sku)
    warehouse = warehouse_by_code(session, line.warehouse)
    if product is None or warehouse is None:
        raise LookupError(f"save_erp_file before problems_in: {line.sku} {line.warehouse}")
    request = MoveRequest(
        kind="adjustment",
        product_id=product.id,
        quantity=line.quantity,
        key=_opening_key(product.sku, warehouse.code),
        to_location=main_location(session, warehouse),
        unit_cost=line.unit_cost,
        source=OPENING,
    )
    return "created" if post_move(session, request, None, now).new else "unchanged"


def _opening_key(sku: str, code: str) -> str:
    return f"opening:{sku}:{code}"


def export_erp_file(session: Session, today: date) -> str:
    """Warehouses, suppliers, products, what each warehouse holds now, price lists and their
    prices, work centres, the bills of materials in force ``today``, routings and demand
    forecasts, as an import file (the stock as opening stock at its moving-average cost)."""
    warehouses = list(session.scalars(select(Warehouse).order_by(Warehouse.code)))
    products = list(session.scalars(select(Product).order_by(Product.sku)))
    content = {
        "warehouses": [{"code": w.code, "name": w.name} for w in warehouses],
        "suppliers": exported_suppliers(session),
        "products": [_exported_product(p) for p in products],
        "opening_stock": [line for p in products for line in _exported_stock(session, p)],
        "price_lists": exported_price_lists(session),
        "prices": exported_prices(session),
        "work_centres": exported_work_centres(session),
        "boms": exported_boms(session, today),
        "routings": exported_routings(session),
        "forecasts": exported_forecasts(session),
    }
    return yaml.dump(content, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def _exported_product(product: Product) -> dict[str, Any]:
    return {"sku": product.sku} | {
        name: getattr(product, name) for name in ProductLine.model_fields if name != "sku"
    }


def _exported_stock(session: Session, product: Product) -> list[dict[str, Any]]:
    return [
        {"sku": product.sku, "warehouse": warehouse.code, "quantity": held.on_hand,
         "unit_cost": quantize(held.value / held.on_hand, COST_DIGITS)}
        for warehouse, held in stock_by_warehouse(session, product.id)
        if held.on_hand > 0
    ]  # fmt: skip


class _Dumper(yaml.SafeDumper):
    """Decimals written as plain numbers (``12.5``, not ``!!python/object``), and a value that
    several lines share written on each (no ``&id001`` anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = plain(value)
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(Decimal, _decimal)
