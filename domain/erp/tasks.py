"""Production tasks: a released order's operations, one task each, for the member who runs it
(the work centre's operator, else the order's owner). Start and Done are compare-and-set on the
status, so a double tap, or two people at once, change it once."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.erp.production_models import ProductionOrder, ProductionTask
from domain.erp.routings import routing_of
from domain.shared.errors import Forbidden, NotFound

OPEN_TASKS = ("pending", "started")
NEXT = {"start": ("pending", "started"), "done": ("started", "done")}


def open_tasks(session: Session, order: ProductionOrder, quantity: Decimal) -> list[ProductionTask]:
    """One task per operation of the order's product routing, hours for ``quantity``."""
    tasks = [
        ProductionTask(
            order_id=order.id,
            position=step.operation.position,
            name=step.operation.name,
            work_centre_id=step.centre.id,
            hours=step.hours(quantity, with_setup=True),
            assignee_id=step.centre.operator_id or order.owner_id,
            status="pending",
        )
        for step in routing_of(session, order.product_id)
    ]
    session.add_all(tasks)
    session.flush()
    return tasks


def move_task(session: Session, task_id: int, step: str, actor_id: int, now: datetime) -> bool:
    """Start a pending task or finish a started one (``step``: start | done); False when it
    was not in the state the step starts from (tapped twice, or by two people at once). Only
    its assignee moves it."""
    task = session.get(ProductionTask, task_id)
    if task is None:
        raise NotFound("There is no task #{id}.", id=task_id)
    if task.assignee_id not in (None, actor_id):
        raise Forbidden("That task is someone else's.")
    before, after = NEXT[step]
    stamp = {"started_at": now} if step == "start" else {"done_at": now}
    result = session.execute(
        update(ProductionTask)
        .where(ProductionTask.id == task_id, ProductionTask.status == before)
        .values(status=after, **stamp)
    )
    session.refresh(task)
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def close_tasks(session: Session, order_id: int) -> None:
    """A cancelled order's open tasks are cancelled with it."""
    session.execute(
        update(ProductionTask)
        .where(ProductionTask.order_id == order_id, ProductionTask.status.in_(OPEN_TASKS))
        .values(status="cancelled")
    )


def tasks_of_order(session: Session, order_id: int) -> list[ProductionTask]:
    """An order's tasks in routing order."""
    query = select(ProductionTask).where(ProductionTask.order_id == order_id)
    return list(session.scalars(query.order_by(ProductionTask.position)))


def tasks_of_member(session: Session, member_id: int, limit: int) -> list[ProductionTask]:
    """A member's open tasks, oldest order first."""
    query = (
        select(ProductionTask)
        .where(ProductionTask.assignee_id == member_id, ProductionTask.status.in_(OPEN_TASKS))
        .order_by(ProductionTask.order_id, ProductionTask.position)
        .limit(limit)
    )
    return list(session.scalars(query))
