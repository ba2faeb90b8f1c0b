"""/route: before submitting, which branch a request would take and why, who approves each
step, and the SLA."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.replies import Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from commands.approvals.budget_facts import budget_facts
from commands.approvals.common import pairs_of, problem_text, typed_words
from commands.approvals.present import Names, mode_text, money_text, value_text
from domain.approvals.catalog import find_template
from domain.approvals.conditions import names_in
from domain.approvals.form import read_pairs
from domain.approvals.labels import text_of
from domain.approvals.planning import NOTE_ADMINS, NOTE_SELF, Choice, PlannedStep, condition_values
from domain.approvals.services import Draft, inputs_for, prepare
from domain.approvals.state import Node
from domain.approvals.template import TemplateSpec
from domain.directory.roles import Permission
from domain.directory.services import get_org


class RouteArgs(BaseModel):
    """``/route TEMPLATE field=value …``."""

    template: str = Field(description=_("template"))
    fields: str = Field(default="", description=_("field=value"), json_schema_extra={"rest": True})


def route_command(ctx: CommandContext, _args: RouteArgs) -> Message:
    """Explain the route of a request before it is submitted."""
    words = typed_words(ctx)
    template = find_template(ctx.session, words[0])
    spec = template.spec
    pairs, loose = pairs_of(words[1:])
    inputs = inputs_for(ctx.session, ctx.actor.timezone, ctx.now)
    values, problems = read_pairs(spec, pairs, inputs, {})
    if problems or loose:
        texts = [problem_text(ctx, p, spec) for p in problems]
        if loose:
            texts.insert(
                0, ctx.t(_("Give fields as name=value, not {words}."), words=" ".join(loose))
            )
        return Reply("\n".join(texts))
    draft = prepare(ctx.session, template, values, ctx.actor.id, budget_facts(ctx.session, ctx.now))
    return route_card(ctx, draft)


def route_card(ctx: CommandContext, draft: Draft) -> Card:
    """The branches taken (and why), the steps with their approvers, copies and SLA."""
    spec, names = draft.template.spec, Names(ctx.session)
    facts = budget_facts(ctx.session, ctx.now)
    known = condition_values(ctx.session, spec, draft.values, ctx.actor.id, facts)
    fields = [
        CardField(
            ctx.t(_("Why")),
            "\n".join(_choice_line(ctx, c, spec, draft, known, names) for c in draft.plan.choices)
            or ctx.t(_("One route for everyone.")),
        )
    ]
    steps = [_step_line(ctx, i, step, names) for i, step in enumerate(draft.plan.steps, start=1)]
    fields.append(CardField(ctx.t(_("Approvers")), "\n".join(steps)))
    if draft.plan.cc_submit or draft.plan.cc_finish:
        copied = ", ".join(
            names.name(m) for m in dict.fromkeys([*draft.plan.cc_submit, *draft.plan.cc_finish])
        )
        fields.append(CardField(ctx.t(_("Copied to")), copied))
    sla = _sla_text(ctx, draft.plan.steps)
    if sla:
        fields.append(CardField(ctx.t(_("SLA")), sla))
    return Card(
        title=ctx.t(_("Route of {template}"), template=spec.title(ctx.locale)),
        body=ctx.t(_("Submit with /apply {key} and the same fields."), key=spec.key),
        fields=tuple(fields),
        status=CardStatus.INFO,
    )


def _choice_line(
    ctx: CommandContext,
    choice: Choice,
    spec: TemplateSpec,
    draft: Draft,
    known: dict[str, Any],
    names: Names,
) -> str:
    route = text_of(choice.route, ctx.locale)
    if choice.when is None:
        return "✓ " + ctx.t(_("{route}: no condition above holds"), route=route)
    shown = _values_of(ctx, choice.when, spec, draft, known, names)
    if choice.holds:
        return "✓ " + ctx.t(
            _("{route}: {when} holds ({values})"), route=route, when=choice.when, values=shown
        )
    if choice.error:
        return "✗ " + ctx.t(
            _("{route}: {when} cannot be decided ({values})"),
            route=route,
            when=choice.when,
            values=shown,
        )
    return "✗ " + ctx.t(
        _("{route}: {when} does not hold ({values})"), route=route, when=choice.when, values=shown
    )


def _values_of(
    ctx: CommandContext,
    when: str,
    spec: TemplateSpec,
    draft: Draft,
    known: dict[str, Any],
    names: Names,
) -> str:
    currency = get_org(ctx.session).currency
    parts = []
    for name in sorted(names_in(when)):
        field = spec.field(name)
        if field is not None:
            value = draft.values.get(name)
            shown = (
                value_text(
                    field, value, ctx.locale, names, currency=currency, tz=ctx.actor.timezone
                )
                if value is not None
                else ctx.t(_("not given"))
            )
        elif name == "budget_left":
            shown = _budget_text(ctx, known.get(name), currency)
        else:
            shown = str(known.get(name, "—"))
        parts.append(f"{name} = {shown}")
    return ", ".join(parts)


def _budget_text(ctx: CommandContext, left: Decimal | None, currency: str) -> str:
    """The department's budget left, as money, to those who may read the department's budgets
    (finance, managers); to others only whether there is one."""
    if left is None:
        return ctx.t(_("no budget"))
    if ctx.may(Permission.FINANCE_READ) or ctx.may(Permission.FINANCE_DEPARTMENT):
        return money_text(left, ctx.locale, currency)
    return ctx.t(_("not shown"))


def _step_line(ctx: CommandContext, position: int, step: PlannedStep, names: Names) -> str:
    name = text_of(step.name, ctx.locale)
    if step.note == NOTE_SELF:
        return f"{position}. {name}: " + ctx.t(_("skipped (you would approve your own request)"))
    who = ", ".join(names.name(m) for m in step.approvers)
    node = Node(0, step.name, step.mode, step.quorum, step.veto, step.approvers, step.sla)
    rule = f" ({mode_text(node, ctx.locale)})" if len(step.approvers) > 1 else ""
    note = " " + ctx.t(_("(nobody else found: the admins)")) if step.note == NOTE_ADMINS else ""
    return f"{position}. {name}: {who}{rule}{note}"


def _sla_text(ctx: CommandContext, steps: list[PlannedStep]) -> str:
    sla = next((s.sla for s in steps if s.sla), None)
    if not sla:
        return ""
    parts = []
    if "remind_after" in sla:
        parts.append(
            ctx.t(_("reminder after {hours} working hours"), hours=_hours(sla["remind_after"]))
        )
    if "escalate_after" in sla:
        parts.append(
            ctx.t(
                _("escalation to the approver's manager after {hours} working hours"),
                hours=_hours(sla["escalate_after"]),
            )
        )
    if "auto_after" in sla:
        msgid = (
            _("approved automatically after {hours} working hours")
            if sla.get("auto") == "approve"
            else _("rejected automatically after {hours} working hours")
        )
        parts.append(ctx.t(msgid, hours=_hours(sla["auto_after"])))
    return "; ".join(parts)


def _hours(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")
