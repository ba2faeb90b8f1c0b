"""Chat commands and button actions, one module per area; ``register_all`` lists them."""

from __future__ import annotations

from bot.context import CommandContext, TimerHandler
from bot.pipeline.flows import FlowConsumer
from bot.router import Router
from commands import (
    approvals,
    calendar,
    crm,
    digest,
    ding,
    erp,
    finance,
    help,
    identity,
    reminders,
)
from commands.approvals.digest import approvals_waiting
from commands.calendar.agenda import meetings_today
from commands.crm import guest_relay
from commands.crm import guests as crm_guests

guest_resolver = crm_guests.resolve_guest  # which unknown senders are customers' contacts
guest_messages = guest_relay.relay  # where a guest's plain messages go: to their rep


def register_all(router: Router) -> None:
    """Register every command and action Bizbot offers."""
    help.register(router)
    identity.register(router)
    reminders.register(router)
    approvals.register(router)
    ding.register(router)
    digest.register(router, digest_sections())
    calendar.register(router)
    crm.register(router)
    erp.register(router)
    finance.register(router)


def suggest_command(ctx: CommandContext, name: str) -> str | None:
    """What an unknown command name may mean: an approval form by its name (``/合同`` ->
    ``/申请 合同``), or a command by a word people use for it (``/日历`` -> ``/日程``)."""
    template = approvals.template_named(ctx, name)
    if template is not None:
        apply = ctx.router.find("apply")
        return f"/{apply.display_name(ctx.locale) if apply else 'apply'} {template}"
    meant = MEANINGS.get(name.lower())
    spec = ctx.router.find(meant) if meant else None
    return f"/{spec.display_name(ctx.locale)}" if spec else None


# words people type for a command that are not its names (by meaning, not by spelling)
MEANINGS = {
    "日历": "agenda", "calendar": "agenda", "schedule": "agenda", "行程": "agenda",
    "开会": "meeting", "约会": "meeting", "meet": "meeting", "appointment": "meeting",
    "待办": "reminders", "todo": "reminders", "闹钟": "remind", "alarm": "remind",
    "通知": "ding", "紧急": "ding", "urgent": "ding", "buzz": "ding",
    "审批": "approvals", "待审批": "approvals", "pending": "approvals", "批准": "approve",
    "驳回": "reject", "拒绝": "reject",
    "销售机会": "deal", "opportunity": "deal",
    "销售": "pipeline", "funnel": "pipeline", "漏斗": "pipeline",
    "投诉": "ticket", "售后": "ticket", "complaint": "ticket", "support": "ticket",
    "线索": "lead", "潜在客户": "lead", "prospect": "lead", "客户公司": "customer",
    "company": "customer", "client": "customer", "clients": "customers",
    "inventory": "stock", "存货": "stock", "products": "product", "商品": "product",
    "物料": "product", "出入库": "moves", "库存调拨": "transfer-stock",
    "报价单": "quote", "出货": "ship", "送货": "ship", "sales-order": "order",
    "language": "lang", "中英文": "lang", "帮忙": "help", "怎么用": "help", "菜单": "help",
}  # fmt: skip


def timer_handlers() -> dict[str, TimerHandler]:
    """What to do when a timer of each kind fires."""
    return {
        **reminders.TIMER_HANDLERS,
        **ding.TIMER_HANDLERS,
        **calendar.TIMER_HANDLERS,
        **approvals.TIMER_HANDLERS,
        **crm.TIMER_HANDLERS,
        digest.KIND: digest.digest_handler(digest_sections()),
    }


def flow_consumers() -> list[FlowConsumer]:
    """The durable consumers of domain events (docs/FLOWS.md), run by every serving process."""
    return [*erp.FLOW_CONSUMERS]


def digest_sections() -> list[digest.DigestSection]:
    """What the daily digest shows, in this order; each area adds its section here."""
    return [meetings_today, digest.reminders_today, ding.waiting_notices, approvals_waiting]
