"""/deal (/商机) and /deals: open a deal, move it through the stages, win or lose it, edit it;
plus the nudge a deal's owner gets when it sits idle. /pipeline, /forecast and /crm report are in
commands/crm/report.py, registered from here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.context import CommandContext, TimerContext
from bot.i18n import _, t
from bot.logging import get_logger
from bot.parsing import ArgumentError, record_number
from bot.replies import Card, Message
from bot.router import CommandSpec, Router
from bot.timeparse import Moment, parse_when
from commands.crm import report
from commands.crm.deal_cards import STAGE_LABELS, deal_card, deals_card, idle_card
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

KEYS = {
    "amount": ("amount", "金额"),
    "close": ("close", "成交日期", "预计成交"),
    "currency": ("currency", "币种"),
    "next": ("next", "下一步"),
    "campaign": ("campaign", "活动"),
    "reason": ("reason", "原因"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")


class DealArgs(BaseModel):
    """``/deal add|move|won|lost|show|edit …``."""

    rest: str = Field(default="", description=_("what to do"), json_schema_extra={"rest": True})


def deal(ctx: CommandContext, args: DealArgs) -> Message:
    """Run one /deal subcommand."""
    words = args.rest.split()
    verb = action_of(words[0], SUBCOMMANDS) if words else None
    if verb is None:
        raise ArgumentError(USAGE)
    return SUBCOMMANDS[verb](ctx, words[1:])


def my_deals(ctx: CommandContext, _args: BaseModel) -> Message:
    """/deals: the actor's open deals."""
    return deals_card(deals.open_deals(ctx.session, ctx.actor.id), ctx.locale)


def _add(ctx: CommandContext, words: list[str]) -> Message:
    options, plain = _options(words)
    if not plain:
        raise ArgumentError(USAGE)
    customer_id = _number(plain[0])
    currency = options.get("currency", ctx.org.currency).upper()
    terms = DealTerms(
        amount=deal_amount(_required(options, "amount"), currency),
        currency=currency,
        close=close_date(ctx, _required(options, "close")),
        next_step=options.get("next", ""),
        campaign_id=_number(options["campaign"]) if "campaign" in options else None,
    )
    with _refusal_logged(ctx, "add", customer_id):
        added = deals.add_deal(
            ctx.session,
            _scope(ctx),
            customer_id,
            " ".join(plain[1:]),
            terms,
            ctx.policies.deals,
            ctx.now,
            today_of(ctx),
        )
    return _shown(ctx, added, _("Deal opened"))


def _move(ctx: CommandContext, words: list[str]) -> Message:
    if len(words) != 2:
        raise ArgumentError(_("Say which deal and where to: /deal move 12 proposal"))
    deal_id, stage = _number(words[0]), _stage_word(ctx, words[1])
    with _refusal_logged(ctx, "move", deal_id):
        moved = deals.move_deal(
            ctx.session, _scope(ctx), deal_id, stage, ctx.policies.deals, ctx.now
        )
    return _shown(ctx, moved, _("Deal moved"))


def _won(ctx: CommandContext, words: list[str]) -> Message:
    deal_id = _only_number(words)
    with _refusal_logged(ctx, "won", deal_id):
        won = deals.win_deal(ctx.session, _scope(ctx), deal_id, ctx.now)
    return _shown(ctx, won, _("Deal won"))


def _lost(ctx: CommandContext, words: list[str]) -> Message:
    options, plain = _options(words)
    if not plain:
        raise ArgumentError(_("Say which deal and why: /deal lost 12 reason=price too high"))
    deal_id = _number(plain[0])
    reason = options.get("reason") or " ".join(plain[1:])
    with _refusal_logged(ctx, "lost", deal_id):
        lost = deals.lose_deal(ctx.session, _scope(ctx), deal_id, reason, ctx.now)
    return _shown(ctx, lost, _("Deal lost"))


def _show(ctx: CommandContext, words: list[str]) -> Message:
    deal_id = _only_number(words)
    with _refusal_logged(ctx, "show", deal_id):
        shown = deals.show_deal(ctx.session, _scope(ctx), deal_id)
    return _shown(ctx, shown, "")


def _edit(ctx: CommandContext, words: list[str]) -> Message:
    options, plain = _options(words)
    if len(plain) != 1:
        raise ArgumentError(_("Say which deal and what to change: /deal edit 12 amount=60000"))
    deal_id = _number(plain[0])
    with _refusal_logged(ctx, "edit", deal_id):
        current = deals.show_deal(ctx.session, _scope(ctx), deal_id)
        changes = DealChanges(
            amount=deal_amount(options["amount"], current.currency)
            if "amount" in options
            else None,
            close=close_date(ctx, options["close"]) if "close" in options else None,
            next_step=options.get("next"),
        )
        edited = deals.edit_deal(
            ctx.session, _scope(ctx), deal_id, changes, ctx.policies.deals, ctx.now, today_of(ctx)
        )
    return _shown(ctx, edited, _("Deal updated"))


def _shown(ctx: CommandContext, found: DealView, headline: str) -> Card:
    card = deal_card(found, member_view(ctx.session, found.owner_id).name, ctx.locale)
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


def _scope(ctx: CommandContext) -> Scope:
    return scope_of(ctx.session, ctx.actor.id, ctx.actor.roles)


@contextmanager
def _refusal_logged(ctx: CommandContext, action: str, record_id: int) -> Iterator[None]:
    """Log an id that was not found in scope (missing, or someone else's) before answering."""
    try:
        yield
    except NotFound:
        log.warning("refused.crm_deal", member=ctx.actor.handle, action=action, id=record_id)
        raise


def _options(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """``key=value`` words by their English key (values may run on over the next plain words,
    as in ``next=call Bob on Friday``), and the plain words before the first option."""
    options: dict[str, str] = {}
    plain: list[str] = []
    key = ""
    for word in words:
        name, sep, value = word.partition("=")
        found = _key(name) if sep else None
        if found:
            key = found
            options[key] = value
        elif key:
            options[key] = f"{options[key]} {word}".strip()
        else:
            plain.append(word)
    return options, plain


def _key(name: str) -> str:
    found = next((key for key, names in KEYS.items() if name.lower() in names), None)
    if found is None:
        raise ArgumentError(_("Unknown option {key}."), key=name)
    return found


def _required(options: dict[str, str], key: str) -> str:
    if not options.get(key, "").strip():
        raise ArgumentError(_("Missing {field}."), field=f"{key}=")
    return options[key]


def _number(word: str) -> int:
    found = record_number(word)
    if found is None:
        raise ArgumentError(_("{word} is not a number like 12 or #12."), word=word)
    return found


def _only_number(words: list[str]) -> int:
    if len(words) != 1:
        raise ArgumentError(_("Say which deal, for example: /deal show 12"))
    return _number(words[0])


def deal_amount(text: str, currency: str) -> Decimal:
    """An amount typed for a deal, exact to the currency's minor unit."""
    try:
        return parse_amount(text, minor_digits(currency))
    except ValueError as exc:
        raise ArgumentError(_("{text} is not an amount."), text=text) from exc


def close_date(ctx: CommandContext, text: str) -> date:
    """A close date typed as 2026-12-31 or anything /remind understands (in the actor's zone)."""
    text = text.strip()
    for layout in DATE_FORMATS:
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    when = parse_when(text, ctx.locale, ctx.actor.timezone, ctx.now)
    if not isinstance(when, Moment):
        raise ArgumentError(_("The close date is one day, not a repeat: {text}"), text=text)
    return when.at.astimezone(ZoneInfo(ctx.actor.timezone)).date()


def today_of(ctx: CommandContext) -> date:
    """Today in the actor's time zone."""
    return ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()


def _stage_word(ctx: CommandContext, word: str) -> str:
    """A stage as typed: its name, or its label in the actor's language."""
    for name, label in STAGE_LABELS.items():
        if word.lower() in (label.lower(), t(ctx.locale, label).lower()):
            return name
    return word


USAGE = _(
    "Usage: /deal add CUSTOMER NAME amount=… close=… [currency=…] [next=…] [campaign=N] · "
    "/deal move N STAGE · /deal won N · /deal lost N reason=… · /deal show N · "
    "/deal edit N amount=… close=… next=…"
)
SUBCOMMANDS: dict[str, Callable[[CommandContext, list[str]], Message]] = {
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
                "/deal add 12 Renewal 2027 amount=50000 close=2026-12-31 next=send quote",
                "/deal move 7 proposal",
                "/deal won 7",
                "/deal lost 7 reason=price too high",
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
