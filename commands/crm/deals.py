"""/deal (/商机) and /deals: open a deal, move it through the stages, win or lose it, edit it;
plus the nudge a deal's owner gets when it sits idle. /pipeline, /forecast and /crm report are in
commands/crm/report.py, registered from here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.context import CommandContext, TimerContext
from bot.i18n import _, t
from bot.logging import get_logger
from bot.parsing import ArgumentError, record_number
from bot.reader import Choice, Kind
from bot.replies import Card, Message
from bot.router import CommandSpec, Router
from commands.crm import report
from commands.crm.deal_cards import STAGE_LABELS, deal_buttons, deal_card, deals_card, idle_card
from commands.crm.lines import ask_for, customer_named, deal_named, field, read_line
from commands.crm.verbs import action_of
from domain.crm import deals
from domain.crm.deals import DealChanges, DealTerms, DealView
from domain.crm.scope import Scope, scope_of
from domain.directory.roles import Permission
from domain.directory.services import member_view
from domain.shared.errors import NotFound
from domain.shared.money import minor_digits, parse_amount
from domain.timers.services import TimerView

log = get_logger("bizbot.crm.deals")


class DealArgs(BaseModel):
    """``/deal add|move|won|lost|show|edit …``."""

    rest: str = Field(default="", description=_("what to do"), json_schema_extra={"rest": True})


def deal(ctx: CommandContext, args: DealArgs) -> Message:
    """Run one /deal subcommand."""
    verb_word, _, text = ctx.typed.partition(" ")
    verb = action_of(verb_word, SUBCOMMANDS) if verb_word else None
    if verb is None:
        raise ArgumentError(USAGE)
    return SUBCOMMANDS[verb](ctx, text.strip())


def my_deals(ctx: CommandContext, _args: BaseModel) -> Message:
    """/deals: the actor's open deals."""
    return deals_card(deals.open_deals(ctx.session, ctx.actor.id), ctx.locale)


ADD_FIELDS = (
    field("customer", Kind.RECORD, positional=True),
    field("name", positional=True),
    field("amount", Kind.MONEY, positional=True),
    field("close", Kind.DATE, positional=True),
    field("currency"),
    field("next"),
    field("campaign", Kind.RECORD),
)
EDIT_FIELDS = (
    field("deal", Kind.RECORD, positional=True),
    field("amount", Kind.MONEY),
    field("close", Kind.DATE),
    field("next"),
)


def _add(ctx: CommandContext, text: str) -> Message:
    values = read_line(ctx, ADD_FIELDS, text).values
    if "customer" not in values:
        raise ArgumentError(USAGE)
    missing = next(
        (f for f in ADD_FIELDS if f.key in ("amount", "close") and f.key not in values), None
    )
    if missing is not None:
        raise ask_for(ctx, missing)
    customer_id = customer_named(ctx, values["customer"]).id
    currency = values.get("currency", ctx.org.currency).upper()
    terms = DealTerms(
        amount=deal_amount(values["amount"], currency),
        currency=currency,
        close=date.fromisoformat(values["close"]),
        next_step=values.get("next", ""),
        campaign_id=_number(values["campaign"]) if "campaign" in values else None,
    )
    with refusal_logged(ctx, "add", customer_id):
        added = deals.add_deal(
            ctx.session,
            deal_scope(ctx),
            customer_id,
            values.get("name", ""),
            terms,
            ctx.policies.deals,
            ctx.now,
            today_of(ctx),
        )
    return shown(ctx, added, _("Deal opened"))


def _move(ctx: CommandContext, text: str) -> Message:
    fields = (
        field("deal", Kind.RECORD, positional=True),
        field("stage", Kind.CHOICE, positional=True, choices=_stage_choices(ctx)),
    )
    values = read_line(ctx, fields, text).values
    if len(values) != 2:
        raise ArgumentError(_("Say which deal and where to: /deal move 12 proposal"))
    deal_id = deal_named(ctx, values["deal"])
    with refusal_logged(ctx, "move", deal_id):
        moved = deals.move_deal(
            ctx.session, deal_scope(ctx), deal_id, values["stage"], ctx.policies.deals, ctx.now
        )
    return shown(ctx, moved, _("Deal moved"))


def _won(ctx: CommandContext, text: str) -> Message:
    deal_id = _one_deal(ctx, text)
    with refusal_logged(ctx, "won", deal_id):
        won = deals.win_deal(ctx.session, deal_scope(ctx), deal_id, ctx.now)
    return shown(ctx, won, _("Deal won"))


def _lost(ctx: CommandContext, text: str) -> Message:
    fields = (field("deal", Kind.RECORD, positional=True), field("reason", positional=True))
    values = read_line(ctx, fields, text).values
    if "deal" not in values:
        raise ArgumentError(_("Say which deal and why: /deal lost 12 reason=price too high"))
    deal_id = deal_named(ctx, values["deal"])
    with refusal_logged(ctx, "lost", deal_id):
        lost = deals.lose_deal(
            ctx.session, deal_scope(ctx), deal_id, values.get("reason", ""), ctx.now
        )
    return shown(ctx, lost, _("Deal lost"))


def _show(ctx: CommandContext, text: str) -> Message:
    deal_id = _one_deal(ctx, text)
    with refusal_logged(ctx, "show", deal_id):
        found = deals.show_deal(ctx.session, deal_scope(ctx), deal_id)
    return shown(ctx, found, "")


def _edit(ctx: CommandContext, text: str) -> Message:
    values = read_line(ctx, EDIT_FIELDS, text).values
    if "deal" not in values or len(values) < 2:
        raise ArgumentError(_("Say which deal and what to change: /deal edit 12 amount=60000"))
    deal_id = deal_named(ctx, values["deal"])
    with refusal_logged(ctx, "edit", deal_id):
        current = deals.show_deal(ctx.session, deal_scope(ctx), deal_id)
        changes = DealChanges(
            amount=deal_amount(values["amount"], current.currency) if "amount" in values else None,
            close=date.fromisoformat(values["close"]) if "close" in values else None,
            next_step=values.get("next"),
        )
        edited = deals.edit_deal(
            ctx.session,
            deal_scope(ctx),
            deal_id,
            changes,
            ctx.policies.deals,
            ctx.now,
            today_of(ctx),
        )
    return shown(ctx, edited, _("Deal updated"))


def _one_deal(ctx: CommandContext, text: str) -> int:
    values = read_line(ctx, (field("deal", Kind.RECORD, positional=True),), text).values
    if "deal" not in values:
        raise ArgumentError(_("Say which deal, for example: /deal show 12"))
    return deal_named(ctx, values["deal"])


def _stage_choices(ctx: CommandContext) -> tuple[Choice, ...]:
    """The configured stages, by their names and their labels in both languages."""
    choices = []
    for stage in ctx.policies.deals.stages.all:
        label = STAGE_LABELS.get(stage.name, stage.name)
        choices.append(Choice(stage.name, (label, t("zh_CN", label), t("en", label))))
    return tuple(choices)


def shown(ctx: CommandContext, found: DealView, headline: str) -> Card:
    """A deal's card for the actor, under a headline, with the buttons that move it."""
    buttons = deal_buttons(found, ctx.policies.deals.stages, ctx.locale)
    owner = member_view(ctx.session, found.owner_id).name
    card = deal_card(found, owner, ctx.locale, buttons)
    return replace(card, title=f"{ctx.t(headline)} · {card.title}") if headline else card


def fire_idle(ctx: TimerContext, timer: TimerView) -> None:
    """A deal's idle timer fell due: nudge its owner, unless it saw activity since."""
    idle = ctx.policies.deals.idle
    found = deals.idle_check(ctx.session, int(timer.payload["deal"]), ctx.now, idle)
    if found is None:
        return
    owner = ctx.member(found.owner_id)
    ctx.notify(
        owner.id, idle_card(found, idle.days, owner.locale), subject=deals.subject_of(found.id)
    )


def deal_scope(ctx: CommandContext) -> Scope:
    """Whose deals the actor sees and may change."""
    return scope_of(ctx.session, ctx.actor.id, ctx.actor.roles)


@contextmanager
def refusal_logged(ctx: CommandContext, action: str, record_id: int) -> Iterator[None]:
    """Log an id that was not found in scope (missing, or someone else's) before answering."""
    try:
        yield
    except NotFound:
        log.warning("refused.crm_deal", member=ctx.actor.handle, action=action, id=record_id)
        raise


def _number(word: str) -> int:
    found = record_number(word)
    if found is None:
        raise ArgumentError(_("{word} is not a number like 12 or #12."), word=word)
    return found


def deal_amount(text: str, currency: str) -> Decimal:
    """An amount typed for a deal, exact to the currency's minor unit."""
    try:
        return parse_amount(text, minor_digits(currency))
    except ValueError as exc:
        raise ArgumentError(_("{text} is not an amount."), text=text) from exc


def today_of(ctx: CommandContext) -> date:
    """Today in the actor's time zone."""
    return ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()


USAGE = _(
    "Usage: /deal add CUSTOMER NAME amount=… close=… [currency=…] [next=…] [campaign=N] · "
    "/deal move N STAGE · /deal won N · /deal lost N reason=… · /deal show N · "
    "/deal edit N amount=… close=… next=…"
)
SUBCOMMANDS: dict[str, Callable[[CommandContext, str], Message]] = {
    "add": _add,
    "move": _move,
    "won": _won,
    "lost": _lost,
    "show": _show,
    "edit": _edit,
}
TIMER_HANDLERS = {deals.IDLE_KIND: fire_idle}


def register(router: Router) -> None:
    """Register /deal, /deals, and the pipeline, forecast and report commands."""
    router.add(
        CommandSpec(
            name="deal",
            summary=_("Open a deal, move it through the stages, win or lose it"),
            handler=deal,
            args=DealArgs,
            aliases=("商机",),
            permission=Permission.CRM_USE,
            details=USAGE,
            examples=(
                _("/deal add 12 Renewal 2027 amount=50000 close=2026-12-31 next=send quote"),
                _("/deal move 7 proposal"),
                _("/deal won 7"),
                _("/deal lost 7 reason=price too high"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="deals",
            summary=_("Your open deals"),
            handler=my_deals,
            aliases=("我的商机",),
            permission=Permission.CRM_USE,
        )
    )
    report.register(router)
