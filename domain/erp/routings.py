"""Work centres and routings: where a product's operations run, how long they take, what an
hour costs, and so how many working days making a quantity takes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from domain.erp.models import COST_DIGITS, VALUE_DIGITS, Product
from domain.erp.production_models import Operation, WorkCentre
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.money import quantize
from domain.shared.quantity import is_exact


@dataclass(frozen=True, slots=True)
class OperationRequest:
    """A step to put on a routing."""

    name: str
    work_centre_id: int
    hours_per_unit: Decimal
    setup_hours: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Step:
    """An operation with its work centre."""

    operation: Operation
    centre: WorkCentre

    def hours(self, units: Decimal, *, with_setup: bool) -> Decimal:
        """The hours ``units`` take at this step (its set-up once, when ``with_setup``)."""
        return self.operation.hours_per_unit * units + (
            self.operation.setup_hours if with_setup else Decimal(0)
        )


def add_work_centre(
    session: Session,
    code: str,
    name: str,
    hours_per_day: Decimal,
    rate: Decimal,
    operator_id: int | None = None,
) -> WorkCentre:
    """A new work centre (its code is unique), and the member who runs its tasks."""
    code = code.strip().upper()
    check_work_centre(code, hours_per_day, rate)
    if session.scalar(select(WorkCentre.id).where(WorkCentre.code == code)) is not None:
        raise Conflict("There is already a work centre {code}.", code=code)
    centre = WorkCentre(
        code=code, name=name[:200], hours_per_day=hours_per_day, rate=rate, operator_id=operator_id
    )
    session.add(centre)
    session.flush()
    return centre


def check_work_centre(code: str, hours_per_day: Decimal, rate: Decimal) -> None:
    """Refuse (``DomainError``) a code that is not one word, hours a day outside (0, 24] or a
    rate below 0 or finer than 4 decimals."""
    if not code.strip() or len(code.strip()) > 32 or " " in code.strip():
        raise DomainError("A work centre's code is one word of up to 32 characters.")
    if not (0 < hours_per_day <= 24) or not is_exact(hours_per_day):
        raise DomainError("A work centre works more than 0 and at most 24 hours a day.")
    if rate < 0 or not is_exact(rate, COST_DIGITS):
        raise DomainError("An hourly rate is a number of at most 4 decimals, not below 0.")


def work_centre_by_code(session: Session, code: str) -> WorkCentre:
    """The work centre with this code."""
    centre = session.scalar(select(WorkCentre).where(WorkCentre.code == code.strip().upper()))
    if centre is None:
        raise NotFound("There is no work centre {code}.", code=code[:32])
    return centre


def set_routing(
    session: Session, product_id: int, operations: Sequence[OperationRequest]
) -> list[Operation]:
    """Replace a product's routing with ``operations``, in order."""
    if session.get(Product, product_id) is None:
        raise NotFound("There is no product #{id}.", id=product_id)
    for request in operations:
        if session.get(WorkCentre, request.work_centre_id) is None:
            raise NotFound("There is no work centre #{id}.", id=request.work_centre_id)
        check_operation(request.name, request.hours_per_unit, request.setup_hours)
    session.execute(delete(Operation).where(Operation.product_id == product_id))
    rows = [
        Operation(
            product_id=product_id,
            position=n,
            name=request.name[:200],
            work_centre_id=request.work_centre_id,
            hours_per_unit=request.hours_per_unit,
            setup_hours=request.setup_hours,
        )
        for n, request in enumerate(operations, start=1)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def routing_of(session: Session, product_id: int) -> list[Step]:
    """A product's operations in order, each with its work centre."""
    rows = session.execute(
        select(Operation, WorkCentre)
        .join(WorkCentre, WorkCentre.id == Operation.work_centre_id)
        .where(Operation.product_id == product_id)
        .order_by(Operation.position)
    )
    return [Step(operation, centre) for operation, centre in rows]


def labour_value(steps: Sequence[Step], units: Decimal, *, with_setup: bool) -> Decimal:
    """What ``units`` cost at the work centres' rates."""
    total = sum((s.hours(units, with_setup=with_setup) * s.centre.rate for s in steps), Decimal(0))
    return quantize(total, VALUE_DIGITS)


def production_days(steps: Sequence[Step], units: Decimal) -> int:
    """Working days making ``units`` takes, one operation after another, each at its work
    centre's hours per day (0 without a routing)."""
    days = sum(
        (s.hours(units, with_setup=True) / s.centre.hours_per_day for s in steps), Decimal(0)
    )
    return int(days.to_integral_value(rounding=ROUND_CEILING))


def check_operation(name: str, hours_per_unit: Decimal, setup_hours: Decimal) -> None:
    """Refuse (``DomainError``) an operation without a name, or hours below 0 or finer than 3
    decimals."""
    if not name.strip():
        raise DomainError("An operation needs a name.")
    for hours in (hours_per_unit, setup_hours):
        if hours < 0 or not is_exact(hours):
            raise DomainError("Hours are a number of at most 3 decimals, not below 0.")
