"""Work centres, bills of materials and routings in an import file (``bizbot erp import``),
checked and written through ``routings.py`` and ``boms.py``.

A work centre is matched by its code and changed in place. A bill of materials is one line per
component; a product's lines together are one version, compared with the version in force on
their ``effective_from`` (or today): the same components, quantities, scrap and yield change
nothing, anything else adds one new version. A routing is one line per operation; a product's
lines replace its routing only when they differ from it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.orgfile import Problem
from domain.erp.boms import (
    ComponentRequest,
    bom_in_force,
    bom_lines,
    set_bom,
    uses_from,
)
from domain.erp.catalog import product_by_sku
from domain.erp.models import RATE_DIGITS, Product
from domain.erp.production_models import Bom, Operation, WorkCentre
from domain.erp.routings import (
    OperationRequest,
    add_work_centre,
    check_operation,
    check_work_centre,
    routing_of,
    set_routing,
    work_centre_by_code,
)
from domain.shared.errors import DomainError, NotFound
from domain.shared.quantity import is_exact

Where = Callable[[str, str], Problem]  # field, message: the problem at a line's field
Locate = Callable[[str, int, str, str], Problem]  # section, index, field, message
MADE_KINDS = ("finished", "semi")


def _share(value: Any) -> Any:
    """``5%`` as 0.05; anything else as given."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return Decimal(value.strip()[:-1].strip()) / 100
        except InvalidOperation:
            return value
    return value


Share = Annotated[Decimal, BeforeValidator(_share)]


class WorkCentreLine(BaseModel):
    """A work centre, by its code."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=32, pattern=r"^\S+$")
    name: str = Field(default="", max_length=200)
    hours_per_day: Decimal = Decimal(8)
    rate: Decimal = Decimal(0)


class ComponentLine(BaseModel):
    """One component of a product's bill of materials."""

    model_config = ConfigDict(extra="forbid")
    product: str = Field(min_length=1, max_length=64)
    component: str = Field(min_length=1, max_length=64)
    quantity: Decimal
    scrap: Share = Decimal(0)
    yield_rate: Share | None = Field(default=None, alias="yield")
    effective_from: date | None = None

    @property
    def key(self) -> str:
        """Product and component: one line each."""
        return f"{self.product.strip().upper()} {self.component.strip().upper()}"


class OperationLine(BaseModel):
    """One operation of a product's routing, at a work centre."""

    model_config = ConfigDict(extra="forbid")
    product: str = Field(min_length=1, max_length=64)
    position: int
    operation: str = Field(min_length=1, max_length=200)
    work_centre: str = Field(min_length=1, max_length=32)
    hours_per_unit: Decimal = Decimal(0)
    setup_hours: Decimal = Decimal(0)

    @property
    def key(self) -> str:
        """Product and position: one operation each."""
        return f"{self.product.strip().upper()} {self.position}"


def by_product(lines: Sequence[ComponentLine | OperationLine]) -> dict[str, list[int]]:
    """The indexes of each product's lines, by SKU, in file order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        groups[line.product.strip().upper()].append(index)
    return groups


def work_centre_problems(line: WorkCentreLine, where: Where) -> list[Problem]:
    """What the work centre rules refuse of a line."""
    try:
        check_work_centre(line.code, line.hours_per_day, line.rate)
    except DomainError as exc:
        return [where("", str(exc))]
    return []


def bom_problems(
    session: Session,
    lines: Sequence[ComponentLine],
    kinds: dict[str, str],
    today: date,
    locate: Locate,
) -> list[Problem]:
    """Every problem of the file's bills of materials: products that do not exist or are not
    made here, components that do not exist or are services, bad numbers, a yield or date that
    differs between a product's lines, and a cycle (on the line of the product that closes it).
    ``kinds`` is the type of each product in the file."""
    skus = {sku for line in lines for sku in (line.product, line.component)}
    kinds = _kinds(session, skus) | kinds
    problems = []
    for index, line in enumerate(lines):
        problems += _component_problems(line, kinds, partial_where(locate, "boms", index))
    for indexes in by_product(lines).values():
        first = lines[indexes[0]]
        for index in indexes[1:]:
            line = lines[index]
            for name in ("yield_rate", "effective_from"):
                if getattr(line, name) != getattr(first, name):
                    said = "yield" if name == "yield_rate" else name
                    message = f"{said} differs from the product's first line"
                    problems.append(locate("boms", index, said, message))
    return problems + _cycle_problems(session, lines, today, locate)


def _kinds(session: Session, skus: set[str]) -> dict[str, str]:
    wanted = {sku.strip().upper() for sku in skus}
    return dict(
        session.execute(select(Product.sku, Product.kind).where(Product.sku.in_(wanted))).all()
    )


def partial_where(locate: Locate, section: str, index: int) -> Where:
    """The line's own ``Where``."""
    return lambda name, message: locate(section, index, name, message)


def _component_problems(line: ComponentLine, kinds: dict[str, str], where: Where) -> list[Problem]:
    problems = []
    product, component = line.product.strip().upper(), line.component.strip().upper()
    kind = kinds.get(product)
    if kind is None:
        problems.append(where("product", f"no product {product} (in the file or in Bizbot)"))
    elif kind not in MADE_KINDS:
        problems.append(where("product", f"{product} is {kind}: only finished and semi are made"))
    if kinds.get(component) is None:
        problems.append(where("component", f"no product {component} (in the file or in Bizbot)"))
    elif kinds[component] == "service":
        problems.append(where("component", f"{component} is a service; it cannot be a component"))
    if product == component:
        problems.append(where("component", f"{product} cannot be its own component"))
    if line.quantity <= 0 or not is_exact(line.quantity):
        problems.append(where("quantity", "above 0, with at most 3 decimals"))
    if not (0 <= line.scrap < 1) or not is_exact(line.scrap, RATE_DIGITS):
        problems.append(where("scrap", "from 0 to below 1 (or 100%), at most 4 decimals"))
    rate = line.yield_rate
    if rate is not None and (not (0 < rate <= 1) or not is_exact(rate, RATE_DIGITS)):
        problems.append(where("yield", "above 0 and at most 1 (or 100%), at most 4 decimals"))
    return problems


def _cycle_problems(
    session: Session, lines: Sequence[ComponentLine], today: date, locate: Locate
) -> list[Problem]:
    """A cycle through the file's bills of materials and Bizbot's versions in force from the
    earliest of the file's dates on, reported once on the first line of each product in it."""
    groups = by_product(lines)
    day = min((lines[i[0]].effective_from or today for i in groups.values()), default=today)
    uses = _uses_by_sku(session, day)
    for sku, indexes in groups.items():
        uses[sku] = {lines[i].component.strip().upper() for i in indexes}
    problems = []
    for sku, indexes in groups.items():
        path = _cycle_from(uses, sku)
        if path:
            message = f"that would make a cycle: {' → '.join(path)}"
            problems.append(locate("boms", indexes[0], "component", message))
    return problems


def _uses_by_sku(session: Session, day: date) -> dict[str, set[str]]:
    by_id = uses_from(session, day)
    ids = set(by_id) | {c for used in by_id.values() for c in used}
    skus = dict(session.execute(select(Product.id, Product.sku).where(Product.id.in_(ids))).all())
    return {skus[p]: {skus[c] for c in used} for p, used in by_id.items()}


def _cycle_from(uses: dict[str, set[str]], start: str) -> list[str]:
    """The SKUs from ``start`` back to itself (empty: it is in no cycle)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        current = frontier.pop()
        for child in sorted(uses.get(current, ())):
            if child == start:
                path = [current]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*path[::-1], start]
            if child not in came_from:
                came_from[child] = current
                frontier.append(child)
    return []


def routing_problems(
    session: Session,
    lines: Sequence[OperationLine],
    known: tuple[set[str], set[str]],
    where_at: Locate,
) -> list[Problem]:
    """Operations of products or at work centres that exist neither in the file nor in
    Bizbot, and what the operation rules refuse; ``known`` is the file's SKUs and codes."""
    skus, codes = known
    problems = []
    for index, line in enumerate(lines):
        where = partial_where(where_at, "routings", index)
        sku, code = line.product.strip().upper(), line.work_centre.strip().upper()
        if sku not in skus and product_by_sku(session, sku) is None:
            problems.append(where("product", f"no product {sku} (in the file or in Bizbot)"))
        if code not in codes and not _has_work_centre(session, code):
            problems.append(
                where("work_centre", f"no work centre {code} (in the file or in Bizbot)")
            )
        if line.position < 1:
            problems.append(where("position", "a whole number from 1"))
        try:
            check_operation(line.operation, line.hours_per_unit, line.setup_hours)
        except DomainError as exc:
            problems.append(where("", str(exc)))
    return problems


def _has_work_centre(session: Session, code: str) -> bool:
    return session.scalar(select(WorkCentre.id).where(WorkCentre.code == code)) is not None


def save_work_centre(session: Session, line: WorkCentreLine) -> str:
    """Create the work centre of this code, or change its name, hours or rate in place."""
    try:
        found = work_centre_by_code(session, line.code)
    except NotFound:
        add_work_centre(session, line.code, line.name or line.code, line.hours_per_day, line.rate)
        return "created"
    wanted = {"name": line.name or found.name, "hours_per_day": line.hours_per_day,
              "rate": line.rate}  # fmt: skip
    if all(getattr(found, k) == v for k, v in wanted.items()):
        return "unchanged"
    for key, value in wanted.items():
        setattr(found, key, value)
    session.flush()
    return "updated"


def save_bom(session: Session, lines: Sequence[ComponentLine], today: date, now: datetime) -> str:
    """One product's lines: ``unchanged`` when the version in force on their date already has
    them, else one new version (``created`` if it is the product's first)."""
    first = lines[0]
    product = product_by_sku(session, first.product)
    if product is None:
        raise LookupError(f"save_bom before bom_problems: {first.product}")
    day = first.effective_from or today
    rate = first.yield_rate if first.yield_rate is not None else Decimal(1)
    wanted = [ComponentRequest(_product_id(session, line.component), line.quantity, line.scrap)
              for line in lines]  # fmt: skip
    in_force = bom_in_force(session, product.id, day)
    if in_force is not None and _same_version(session, in_force, wanted, rate):
        return "unchanged"
    had_one = session.scalar(select(Bom.id).where(Bom.product_id == product.id).limit(1))
    set_bom(session, product.id, wanted, day, now, yield_rate=rate, note="bizbot erp import")
    return "created" if had_one is None else "updated"


def _product_id(session: Session, sku: str) -> int:
    product = product_by_sku(session, sku)
    if product is None:
        raise LookupError(f"save_bom before bom_problems: {sku}")
    return product.id


def _same_version(
    session: Session, bom: Bom, wanted: Sequence[ComponentRequest], rate: Decimal
) -> bool:
    has = {(line.component_id, line.quantity, line.scrap) for line in bom_lines(session, bom.id)}
    return bom.yield_rate == rate and has == {(c.component_id, c.quantity, c.scrap) for c in wanted}


def save_routing(session: Session, lines: Sequence[OperationLine]) -> str:
    """One product's operations, in the order of their positions: its routing is replaced only
    when it differs."""
    product = product_by_sku(session, lines[0].product)
    if product is None:
        raise LookupError(f"save_routing before routing_problems: {lines[0].product}")
    ordered = sorted(lines, key=lambda line: line.position)
    wanted = [_operation(session, line) for line in ordered]
    has = [
        OperationRequest(s.operation.name, s.centre.id, s.operation.hours_per_unit,
                         s.operation.setup_hours)
        for s in routing_of(session, product.id)
    ]  # fmt: skip
    if has == wanted:
        return "unchanged"
    set_routing(session, product.id, wanted)
    return "created" if not has else "updated"


def _operation(session: Session, line: OperationLine) -> OperationRequest:
    centre = work_centre_by_code(session, line.work_centre)
    name = line.operation.strip()
    return OperationRequest(name, centre.id, line.hours_per_unit, line.setup_hours)


def exported_work_centres(session: Session) -> list[dict[str, Any]]:
    """Every work centre, by code, as import lines."""
    centres = session.scalars(select(WorkCentre).order_by(WorkCentre.code))
    return [{name: getattr(c, name) for name in WorkCentreLine.model_fields} for c in centres]


def exported_boms(session: Session, today: date) -> list[dict[str, Any]]:
    """The version of each product's bill of materials in force today, one line per component,
    each with the version's date (and yield, when not 1)."""
    lines = []
    for product in session.scalars(select(Product).order_by(Product.sku)):
        bom = bom_in_force(session, product.id, today)
        if bom is None:
            continue
        for line in bom_lines(session, bom.id):
            component = session.get(Product, line.component_id)
            assert component is not None  # a foreign key
            row: dict[str, Any] = {"product": product.sku, "component": component.sku,
                                   "quantity": line.quantity, "scrap": line.scrap}  # fmt: skip
            if bom.yield_rate != 1:
                row["yield"] = bom.yield_rate
            lines.append(row | {"effective_from": bom.effective_from})
    return lines


def exported_routings(session: Session) -> list[dict[str, Any]]:
    """Every product's operations in order, as import lines."""
    rows = session.execute(
        select(Product.sku, Operation, WorkCentre.code)
        .join(Operation, Operation.product_id == Product.id)
        .join(WorkCentre, WorkCentre.id == Operation.work_centre_id)
        .order_by(Product.sku, Operation.position)
    )
    return [
        {"product": sku, "position": op.position, "operation": op.name, "work_centre": code,
         "hours_per_unit": op.hours_per_unit, "setup_hours": op.setup_hours}
        for sku, op, code in rows
    ]  # fmt: skip
