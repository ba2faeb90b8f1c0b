"""OA approvals in chat: submitting, deciding by buttons or text, following up, routes,
delegation, leave balances, and the SLA timers."""

from __future__ import annotations

from bot.context import CommandContext, TimerContext
from bot.i18n import _
from bot.replies import Message
from bot.router import ActionSpec, CommandSpec, PromptSpec, Router
from commands.approvals import (
    apply,
    buttons,
    decide,
    delegate,
    editing,
    initiator,
    lists,
    route,
)
from commands.approvals.common import typed_words
from commands.approvals.publish import publish
from domain.approvals import services, sla
from domain.approvals.catalog import find_template
from domain.shared.errors import NotFound
from domain.timers.services import TimerView


def leave_command(ctx: CommandContext, args: apply.ShortcutArgs) -> Message | None:
    """``/leave …`` applies for leave; ``/leave balance`` shows the balance."""
    words = typed_words(ctx)
    if delegate.is_balance_request(words):
        return delegate.balance_card(ctx, words[1:])
    return apply.start_form(ctx, find_template(ctx.session, "leave"), ctx.typed)


def template_named(ctx: CommandContext, word: str) -> str | None:
    """The name, in the reader's language, of the approval form ``word`` names, if any."""
    try:
        return find_template(ctx.session, word).spec.title(ctx.locale)
    except NotFound:
        return None


def fire_sla(ctx: TimerContext, timer: TimerView) -> None:
    """An SLA timer: remind, escalate or decide, then tell everyone concerned."""
    outcome = services.sla_due(ctx.session, timer.payload, ctx.now)
    if outcome is not None:
        publish(ctx, outcome)


def register(router: Router) -> None:
    """Register the approval commands, buttons and questions."""
    _commands(router)
    _decisions(router)
    _buttons(router)
    router.add_prompt(PromptSpec(apply.FORM_PROMPT, apply.answered))
    router.add_prompt(PromptSpec(decide.REASON_PROMPT, buttons.reason_answer))
    router.add_prompt(PromptSpec(decide.WHOM_PROMPT, buttons.whom_answer))
    router.add_prompt(PromptSpec(editing.EDIT_PROMPT, editing.edit_answered))


def _commands(router: Router) -> None:
    router.add(
        CommandSpec(
            name="apply",
            summary=_("Submit a request for approval"),
            handler=apply.apply,
            args=apply.ApplyArgs,
            aliases=("申请",),
            details=_(
                "Give the fields as name=value; what is missing is asked. "
                "/apply alone lists the templates."
            ),
            examples=(_('/apply leave type=annual dates=2026-12-01..2026-12-03 reason="family"'),),
        )
    )
    router.add(
        CommandSpec(
            name="leave",
            summary=_("Apply for leave, or see your leave balance"),
            handler=leave_command,
            args=apply.ShortcutArgs,
            aliases=("请假",),
            examples=(
                _('/leave type=annual from=2026-12-01 to=2026-12-03 reason="family"'),
                _("/leave balance"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="expense",
            summary=_("Claim expenses"),
            handler=apply.shortcut("expense"),
            args=apply.ShortcutArgs,
            aliases=("报销",),
            examples=(
                _('/expense amount=300 category=meals reason="client lunch"'),
                _('/expense line=travel:1200 line=meals:300 reason="Shanghai trip"'),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="purchase",
            summary=_("Request a purchase"),
            handler=apply.shortcut("purchase"),
            args=apply.ShortcutArgs,
            aliases=("采购",),
            examples=(_('/purchase item="laptop" quantity=2 amount=16000 reason="new hires"'),),
        )
    )
    router.add(
        CommandSpec(
            name="route",
            summary=_("Explain who would approve a request, and why, before you submit it"),
            handler=route.route_command,
            args=route.RouteArgs,
            aliases=("审批路线",),
            examples=(_("/route expense amount=8000 category=travel"),),
        )
    )
    router.add(
        CommandSpec(
            name="approvals",
            summary=_("Approvals waiting for you, your own requests, or those copied to you"),
            handler=lists.list_command,
            args=lists.ListArgs,
            aliases=("审批",),
            examples=(_("/approvals"), _("/approvals mine"), _("/approvals cc")),
        )
    )
    router.add(
        CommandSpec(
            name="approval",
            summary=_("One request in full, with its timeline"),
            handler=initiator.show_command,
            args=initiator.NumberArgs,
            aliases=("审批详情",),
            examples=(_("/approval 42"),),
        )
    )
    router.add(
        CommandSpec(
            name="withdraw",
            summary=_("Withdraw your request"),
            handler=initiator.withdraw_command,
            args=initiator.NumberArgs,
            aliases=("撤回",),
        )
    )
    router.add(
        CommandSpec(
            name="urge",
            summary=_("Remind the approvers of your request (once an hour)"),
            handler=initiator.urge_command,
            args=initiator.NumberArgs,
            aliases=("催办",),
        )
    )
    router.add(
        CommandSpec(
            name="resubmit",
            summary=_("Submit a returned request again, with corrections"),
            handler=initiator.resubmit_command,
            args=initiator.ResubmitArgs,
            aliases=("重新提交",),
            examples=(_('/resubmit 42 reason="with the receipt"'),),
        )
    )
    router.add(
        CommandSpec(
            name="delegate",
            summary=_("Let a colleague approve for you while you are away"),
            handler=delegate.delegate_command,
            args=delegate.DelegateArgs,
            aliases=("委托",),
            examples=(
                _("/delegate @bob from 2026-12-01 to 2026-12-05"),
                _("/delegate list"),
                _("/delegate cancel 3"),
            ),
        )
    )


def _decisions(router: Router) -> None:
    router.add(
        CommandSpec(
            name="approve",
            summary=_("Approve a request waiting for you"),
            handler=decide.approve_command,
            args=decide.ApproveArgs,
            aliases=("同意", "批准"),
            examples=(_("/approve 42"), _("/approve 42 fine by me")),
        )
    )
    router.add(
        CommandSpec(
            name="reject",
            summary=_("Reject a request waiting for you, with the reason"),
            handler=decide.reject_command,
            args=decide.RejectArgs,
            aliases=("驳回", "拒绝"),
            examples=(_("/reject 42 over budget"),),
        )
    )
    router.add(
        CommandSpec(
            name="transfer",
            summary=_("Hand a request waiting for you to someone else"),
            handler=decide.transfer_command,
            args=decide.TransferArgs,
            aliases=("转交",),
            examples=(_("/transfer 42 @dan on holiday"),),
        )
    )
    router.add(
        CommandSpec(
            name="addsign",
            summary=_("Add an approver before or after you"),
            handler=decide.addsign_command,
            args=decide.AddsignArgs,
            aliases=("加签",),
            examples=(_("/addsign 42 before @fiona"),),
        )
    )
    router.add(
        CommandSpec(
            name="return",
            summary=_("Send a request back to the initiator or an earlier step"),
            handler=decide.return_command,
            args=decide.ReturnArgs,
            aliases=("退回",),
            examples=(
                _("/return 42 the receipt is missing"),
                _("/return 42 to=1 check the amount"),
            ),
        )
    )


def _buttons(router: Router) -> None:
    stale = buttons.stale_button
    for name, handler in (
        ("approval.approve", buttons.approve_button),
        ("approval.reject", buttons.reject_button),
        ("approval.transfer", buttons.transfer_button),
        ("approval.addsign", buttons.addsign_button),
        ("approval.addsign_where", buttons.addsign_where_button),
        ("approval.return", buttons.return_button),
        ("approval.return_to", buttons.return_to_button),
        ("approval.back", buttons.back_button),
    ):
        router.add_action(ActionSpec(name=name, handler=handler, on_stale=stale))
    for name, handler in (
        ("approval.withdraw", initiator.withdraw_button),
        ("approval.urge", initiator.urge_button),
        ("approval.resubmit", initiator.resubmit_button),
        ("approval.withdraw_approved", initiator.withdraw_approved_button),
        ("approval.withdraw_keep", initiator.keep_button),
        ("approval.edit", editing.edit_button),
        ("approval.edit_field", editing.edit_field_button),
        ("approval.edit_submit", editing.edit_submit_button),
    ):
        router.add_action(
            ActionSpec(name=name, handler=handler, on_stale=initiator.initiator_stale)
        )
    for name, handler in (
        ("approval.list_approve", lists.approve_button),
        ("approval.list_reject", lists.reject_button),
        ("approval.list_open", lists.open_button),
    ):
        router.add_action(ActionSpec(name=name, handler=handler, on_stale=lists.stale_button))
    router.add_action(ActionSpec(name="approval.answer", handler=apply.answer_button))
    router.add_action(ActionSpec(name=editing.EDIT_ANSWER, handler=editing.edit_answer_button))
    router.add_action(ActionSpec(name="approval.form_cancel", handler=apply.cancel_button))
    router.add_action(ActionSpec(name="approval.undelegate", handler=delegate.undelegate_button))


TIMER_HANDLERS = {sla.KIND: fire_sla}
