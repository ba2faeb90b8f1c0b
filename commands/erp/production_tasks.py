"""/tasks (/任务): a member's production tasks, each a card with Start and Done buttons; the
cards go out when an order is released, and every copy follows the task (``erp-task:ID``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _, t
from bot.replies import Action, Button, Card, CardStatus, Message, Reply
from bot.router import ActionSpec, CommandSpec, Router
from domain.directory.roles import Permission
from domain.directory.services import member_view
from domain.erp.models import Product
from domain.erp.production_models import ProductionOrder, ProductionTask, WorkCentre
from domain.erp.tasks import move_task, tasks_of_member
from domain.shared.quantity import plain

START_ACTION = "erp.task.start"
DONE_ACTION = "erp.task.done"
LISTED = 10
TASK_STATUS = {
    "pending": _("to do"),
    "started": _("started"),
    "done": _("done"),
    "cancelled": _("cancelled"),
}


class TasksArgs(BaseModel):
    """Nothing to give: the member's own tasks."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def tasks(ctx: CommandContext, _args: TasksArgs) -> Message:
    """/tasks: the member's open production tasks, a card each (the first ten)."""
    mine = tasks_of_member(ctx.session, ctx.actor.id, LISTED)
    if not mine:
        return Card(title=ctx.t(_("Your production tasks")), body=ctx.t(_("Nothing found.")))
    for task in mine[1:]:
        ctx.reply(task_card(ctx, ctx.locale, task), subject=subject_of(task))
    return task_card(ctx, ctx.locale, mine[0])


def announce(ctx: CommandContext, new_tasks: list[ProductionTask]) -> None:
    """Send each new task's card to its assignee, in their language."""
    for task in new_tasks:
        if task.assignee_id is not None:
            locale = member_view(ctx.session, task.assignee_id).locale
            ctx.notify(task.assignee_id, task_card(ctx, locale, task), subject=subject_of(task))


def task_line(ctx: CommandContext, task: ProductionTask) -> str:
    """``1. Assemble · ASM · 6 h · started``, for the order's card."""
    centre = ctx.session.get(WorkCentre, task.work_centre_id)
    assert centre is not None  # a foreign key
    return ctx.t(
        _("{position}. {name} · {centre} · {hours} h · {status}"),
        position=task.position,
        name=task.name,
        centre=centre.code,
        hours=plain(task.hours),
        status=ctx.t(TASK_STATUS[task.status]),
    )


def task_card(ctx: CommandContext, locale: str, task: ProductionTask) -> Card:
    """A task in ``locale``: the order, the operation, where and how long; Start or Done."""
    order = ctx.session.get(ProductionOrder, task.order_id)
    assert order is not None  # a foreign key
    product = ctx.session.get(Product, order.product_id)
    centre = ctx.session.get(WorkCentre, task.work_centre_id)
    assert product is not None
    assert centre is not None
    runner = (task.assignee_id,) if task.assignee_id is not None else ()  # every copy: theirs
    buttons = {
        "pending": (
            Button(t(locale, _("Start")), Action(START_ACTION, str(task.id), allowed=runner)),
        ),
        "started": (
            Button(t(locale, _("Done")), Action(DONE_ACTION, str(task.id), allowed=runner)),
        ),
    }
    return Card(
        title=t(
            locale,
            _("Task: {name} for {number}"),
            name=task.name,
            number=order.number,
        ),
        body=t(
            locale,
            _("{sku} × {qty} at {centre}, about {hours} hours · {status}"),
            sku=product.sku,
            qty=plain(order.quantity),
            centre=centre.code,
            hours=plain(task.hours),
            status=t(locale, TASK_STATUS[task.status]),
        ),
        status=CardStatus.SUCCESS if task.status == "done" else CardStatus.INFO,
        buttons=buttons.get(task.status, ()),
    )


def subject_of(task: ProductionTask) -> str:
    """The subject every copy of a task's card shares."""
    return f"erp-task:{task.id}"


def _moved(ctx: CommandContext, target: str, step: str) -> Message | None:
    task_id = int(target)
    if not move_task(ctx.session, task_id, step, ctx.actor.id, ctx.now):
        ctx.reply(Reply(ctx.t(_("That task has moved on already; nothing changed."))))
    task = ctx.session.get(ProductionTask, task_id)
    assert task is not None
    ctx.update_cards(subject_of(task), task_card(ctx, ctx.locale, task))
    return None


def start_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Start the task on the card."""
    return _moved(ctx, target, "start")


def done_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Finish the task on the card."""
    return _moved(ctx, target, "done")


def register(router: Router) -> None:
    """Register /tasks and the task cards' buttons."""
    router.add(
        CommandSpec(
            name="tasks",
            summary=_("Your production tasks, with Start and Done buttons"),
            handler=tasks,
            args=TasksArgs,
            aliases=("任务", "生产任务"),
            permission=Permission.PRODUCE,
            examples=(_("/tasks"),),
        )
    )
    for name, handler in ((START_ACTION, start_button), (DONE_ACTION, done_button)):
        router.add_action(ActionSpec(name, handler, permission=Permission.PRODUCE))
