"""Bills of materials: versions with the date they come into force, the cycle check, and the
exploded tree ``/bom`` shows (docs/ERP.md, "Production").

Setting a product's components adds a new version; the newest version in force on a day is the
one used, so a change dated later leaves today's orders alone. A component that (through any
version in force now or later) needs the product itself is refused, with the path that closes
the cycle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.erp.levels import availability
from domain.erp.models import RATE_DIGITS, Product
from domain.erp.production_models import Bom, BomLine
from domain.shared.errors import DomainError, NotFound
from domain.shared.quantity import is_exact

PER_UNIT_DIGITS = 6
MAX_DEPTH = 20
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class ComponentRequest:
    """A component to put on a bill of materials: per unit made, and its scrap share."""

    component_id: int
    quantity: Decimal
    scrap: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class BomNode:
    """A product in an exploded bill of materials: what it takes of it (gross), what is
    available, and its own components when it is made here."""

    product: Product
    needed: Decimal
    available: Decimal
    components: tuple[BomNode, ...] = ()

    @property
    def short(self) -> Decimal:
        """What is missing of it (0 when enough is available)."""
        return max(self.needed - self.available, Decimal(0))


def set_bom(
    session: Session,
    product_id: int,
    components: Sequence[ComponentRequest],
    effective_from: date,
    now: datetime,
    *,
    yield_rate: Decimal = ONE,
    note: str = "",
) -> Bom:
    """Add a version of a product's bill of materials, in force from ``effective_from``."""
    product = _made_product(session, product_id)
    _check_components(session, product, components, yield_rate)
    path = cycle_path(session, product.id, [c.component_id for c in components], effective_from)
    if path:
        raise DomainError("That would make a cycle: {path}.", path=" → ".join(path))
    bom = Bom(
        product_id=product.id,
        version=_last_version(session, product.id) + 1,
        effective_from=effective_from,
        yield_rate=yield_rate,
        note=note[:500],
        created_at=now,
    )
    session.add(bom)
    session.flush()
    session.add_all(
        BomLine(
            bom_id=bom.id,
            position=n,
            component_id=c.component_id,
            quantity=c.quantity,
            scrap=c.scrap,
        )
        for n, c in enumerate(components, start=1)
    )
    session.flush()
    return bom


def bom_in_force(session: Session, product_id: int, day: date) -> Bom | None:
    """The version of a product's bill of materials in force on ``day`` (None: it has none)."""
    query = (
        select(Bom)
        .where(Bom.product_id == product_id, Bom.effective_from <= day)
        .order_by(Bom.effective_from.desc(), Bom.version.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def bom_lines(session: Session, bom_id: int) -> list[BomLine]:
    """A version's components in their order."""
    query = select(BomLine).where(BomLine.bom_id == bom_id).order_by(BomLine.position)
    return list(session.scalars(query))


def need_per_unit(line: BomLine, bom: Bom) -> Decimal:
    """What one good unit of the product takes of the line's component: its quantity with its
    scrap share, divided by the version's yield (rounded up at six decimals)."""
    gross = line.quantity * (ONE + line.scrap) / bom.yield_rate
    return gross.quantize(Decimal(1).scaleb(-PER_UNIT_DIGITS), rounding=ROUND_UP)


def explode(session: Session, product_id: int, quantity: Decimal, day: date) -> BomNode:
    """The tree of what making ``quantity`` of a product takes, level by level (gross: each
    made component's own components for all of it), with what is available of each."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product #{id}.", id=product_id)
    return _node(session, product, quantity, day, depth=0)


def cycle_path(
    session: Session, product_id: int, component_ids: Iterable[int], day: date
) -> list[str]:
    """The SKUs of a cycle the product would close by using ``component_ids`` (empty: none),
    through every version in force on ``day`` or later."""
    uses = uses_from(session, day)
    uses[product_id] = set(component_ids)
    came_from: dict[int, int] = {}
    frontier = [product_id]
    while frontier:
        current = frontier.pop()
        for child in sorted(uses.get(current, ())):
            if child == product_id:
                return _skus(session, [*_walk_back(came_from, current, product_id), product_id])
            if child not in came_from:
                came_from[child] = current
                frontier.append(child)
    return []


def _node(session: Session, product: Product, needed: Decimal, day: date, depth: int) -> BomNode:
    available = availability(session, product.id).available
    bom = bom_in_force(session, product.id, day) if depth < MAX_DEPTH else None
    if bom is None:
        return BomNode(product, needed, available)
    children = []
    for line in bom_lines(session, bom.id):
        component = session.get(Product, line.component_id)
        assert component is not None  # a foreign key
        gross = (needed * need_per_unit(line, bom)).quantize(Decimal("0.001"), rounding=ROUND_UP)
        children.append(_node(session, component, gross, day, depth + 1))
    return BomNode(product, needed, available, tuple(children))


def uses_from(session: Session, day: date) -> dict[int, set[int]]:
    """Which products (by id) each product's versions in force on ``day`` or later use."""
    versions = session.execute(select(Bom.id, Bom.product_id, Bom.effective_from))
    by_product: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for bom_id, product_id, starts in versions:
        by_product[product_id].append((starts, bom_id))
    relevant = {
        bom_id for starts in by_product.values() for bom_id in _current_and_later(starts, day)
    }
    uses: dict[int, set[int]] = defaultdict(set)
    if not relevant:
        return uses
    rows = session.execute(
        select(Bom.product_id, BomLine.component_id)
        .join(BomLine, BomLine.bom_id == Bom.id)
        .where(Bom.id.in_(relevant))
    )
    for parent, child in rows:
        uses[parent].add(child)
    return uses


def _current_and_later(versions: list[tuple[date, int]], day: date) -> list[int]:
    """The version in force on ``day`` (the newest that started by then) and all later ones."""
    ordered = sorted(versions)
    started = [bom_id for starts, bom_id in ordered if starts <= day]
    later = [bom_id for starts, bom_id in ordered if starts > day]
    return started[-1:] + later


def _walk_back(came_from: dict[int, int], last: int, first: int) -> list[int]:
    path = [last]
    while path[-1] != first:
        path.append(came_from[path[-1]])
    return path[::-1]


def _skus(session: Session, ids: list[int]) -> list[str]:
    query = select(Product.id, Product.sku).where(Product.id.in_(set(ids)))
    skus = {product_id: sku for product_id, sku in session.execute(query)}
    return [skus[i] for i in ids]


def _last_version(session: Session, product_id: int) -> int:
    query = select(func.max(Bom.version)).where(Bom.product_id == product_id)
    return session.scalar(query) or 0


def _made_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product #{id}.", id=product_id)
    if product.kind not in ("finished", "semi"):
        raise DomainError(
            "{sku} is not made here: only finished and semi-finished products have a bill of "
            "materials.",
            sku=product.sku,
        )
    return product


def _check_components(
    session: Session, product: Product, components: Sequence[ComponentRequest], yield_rate: Decimal
) -> None:
    if not components:
        raise DomainError("A bill of materials needs at least one component.")
    if not (0 < yield_rate <= 1) or not is_exact(yield_rate, RATE_DIGITS):
        raise DomainError("A yield is above 0% and at most 100%.")
    seen: set[int] = set()
    for request in components:
        component = session.get(Product, request.component_id)
        if component is None:
            raise NotFound("There is no product #{id}.", id=request.component_id)
        if component.kind == "service" or request.component_id in seen:
            raise DomainError(
                "{sku} cannot be a component (a service, or listed twice).", sku=component.sku
            )
        if request.component_id == product.id:
            loop = " → ".join((product.sku, product.sku))
            raise DomainError("That would make a cycle: {path}.", path=loop)
        if request.quantity <= 0 or not is_exact(request.quantity):
            raise DomainError("A component's quantity is above 0, with at most 3 decimals.")
        if not (0 <= request.scrap < 1) or not is_exact(request.scrap, RATE_DIGITS):
            raise DomainError("A scrap share is from 0% to below 100%.")
        seen.add(request.component_id)
