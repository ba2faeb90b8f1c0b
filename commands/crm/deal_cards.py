"""How deals, the pipeline, the forecast and the CRM report look in chat."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date, format_skeleton

from bot.i18n import _, normalise_locale, t
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Field
from commands.approvals.present import money_text
from commands.crm.verbs import WORDS
from domain.crm.deals import DealView
from domain.crm.forecast import Grain, PeriodLine, Pipeline, Totals
from domain.crm.report import CrmReport, Ratio
from domain.crm.stages import Stages

STAGE_LABELS = {
    "lead": _("Lead"),
    "qualified": _("Qualified"),
    "proposal": _("Proposal"),
    "negotiation": _("Negotiation"),
    "won": _("Won"),
    "lost": _("Lost"),
}
STATUS_COLOURS = {"won": CardStatus.SUCCESS, "lost": CardStatus.DANGER}
MOVE_ACTION = "crm.deal.move"
WON_ACTION = "crm.deal.won"
LOST_ACTION = "crm.deal.lost"


def stage_label(name: str, locale: str) -> str:
    """A stage's name in the reader's language (custom stages as configured)."""
    label = STAGE_LABELS.get(name)
    return t(locale, label) if label else name


def totals_text(totals: Totals, locale: str) -> str:
    """``¥10,000.00 + US$500.00``, or ``—`` for nothing."""
    parts = [money_text(totals[c], locale, c) for c in sorted(totals) if totals[c]]
    return " + ".join(parts) or "—"


def percent(ratio: Ratio, locale: str) -> str:
    """``2 / 3 (66.7%)``, or ``—`` when there is nothing to count."""
    if ratio.share is None:
        return "—"
    share = (ratio.share * 100).quantize(Decimal("0.1"))
    return t(
        locale, _("{part} of {whole} ({share}%)"), part=ratio.part, whole=ratio.whole, share=share
    )


def deal_card(deal: DealView, owner: str, locale: str, buttons: tuple[Button, ...] = ()) -> Card:
    """One deal, with what it is worth at its stage (and the buttons that move it)."""
    stage = f"{stage_label(deal.stage, locale)} ({deal.probability}%)"
    fields = [
        Field(t(locale, _("Customer")), f"{deal.customer_name} (#{deal.customer_id})"),
        Field(t(locale, _("Amount")), money_text(deal.amount, locale, deal.currency)),
        Field(t(locale, _("Stage")), stage),
        Field(
            t(locale, _("Expected revenue")),
            money_text(deal.expected_revenue, locale, deal.currency),
        ),
        Field(t(locale, _("Expected close")), _day(deal.expected_close, locale)),
        Field(t(locale, _("Owner")), owner),
        Field(t(locale, _("Next step")), deal.next_step or "—"),
    ]
    if deal.lost_reason:
        fields.append(Field(t(locale, _("Why it was lost")), deal.lost_reason))
    return Card(
        title=t(locale, _("Deal #{id}: {name}"), id=deal.id, name=deal.name),
        fields=tuple(fields),
        footer=_deal_footer(deal, locale),
        status=STATUS_COLOURS.get(deal.status, CardStatus.INFO),
        buttons=buttons if deal.status == "open" else (),
    )


def deal_buttons(deal: DealView, stages: Stages, locale: str) -> tuple[Button, ...]:
    """An open deal's moves: each later open stage, then Won and Lost (which asks why)."""
    if deal.status != "open":
        return ()
    names = [s.name for s in stages.open]
    later = names[names.index(deal.stage) + 1 :] if deal.stage in names else []
    target = str(deal.id)
    moves = tuple(
        Button(
            t(locale, _("→ {stage}"), stage=stage_label(name, locale)),
            Action(MOVE_ACTION, target, {"stage": name, "from": deal.stage}),
            command=_typed(locale, "move", deal.id, stage_label(name, locale)),
        )
        for name in later
    )
    won = Button(
        t(locale, _("Won")),
        Action(WON_ACTION, target),
        ButtonStyle.PRIMARY,
        command=_typed(locale, "won", deal.id),
    )
    lost = Button(
        t(locale, _("Lost")),
        Action(LOST_ACTION, target),
        ButtonStyle.DANGER,
        command=_typed(locale, "lost", deal.id, t(locale, _("reason=…"))),
    )
    return (*moves, won, lost)


def _typed(locale: str, verb: str, deal_id: int, rest: str = "") -> str:
    """The command a button stands for, as the reader types it (``/商机 推进 7 方案``)."""
    chinese = locale.startswith("zh")
    line = f"/{'商机' if chinese else 'deal'} {WORDS[verb][1 if chinese else 0]} {deal_id}"
    return f"{line} {rest}" if rest else line


def _deal_footer(deal: DealView, locale: str) -> str:
    if deal.status != "open":
        return ""
    return t(
        locale,
        _("Move it: /deal move {id} STAGE · /deal won {id} · /deal lost {id} reason=…"),
        id=deal.id,
    )


def deals_card(deals: list[DealView], locale: str) -> Card:
    """A member's open deals, one line each."""
    if not deals:
        return Card(
            title=t(locale, _("No open deals")),
            body=t(locale, _("Open one with /deal add 12 Renewal amount=50000 close=2026-12-31")),
        )
    lines = [_deal_line(d, locale) for d in deals]
    return Card(
        title=t(locale, _("Your open deals ({count})"), count=len(deals)),
        body="\n".join(lines),
        footer=t(locale, _("Details: /deal show N")),
    )


def _deal_line(deal: DealView, locale: str) -> str:
    amount = money_text(deal.amount, locale, deal.currency)
    stage = stage_label(deal.stage, locale)
    close = _day(deal.expected_close, locale)
    return f"#{deal.id} {deal.name} · {deal.customer_name} · {amount} · {stage} · {close}"


def pipeline_card(pipeline: Pipeline, title: str, locale: str) -> Card:
    """Open deals by stage: count, amount and weighted amount, then the totals."""
    lines = [
        t(
            locale,
            _("{stage} ({probability}%): {count} · {amount} · weighted {weighted}"),
            stage=stage_label(line.stage, locale),
            probability=line.probability,
            count=line.count,
            amount=totals_text(line.amount, locale),
            weighted=totals_text(line.weighted, locale),
        )
        for line in pipeline.lines
    ]
    return Card(
        title=title,
        body="\n".join(lines),
        fields=(
            Field(t(locale, _("Open deals")), str(pipeline.count)),
            Field(t(locale, _("Amount")), totals_text(pipeline.amount, locale)),
            Field(t(locale, _("Weighted total")), totals_text(pipeline.weighted, locale)),
        ),
    )


def forecast_card(lines: list[PeriodLine], grain: Grain, title: str, locale: str) -> Card:
    """Revenue by period: won in it, open deals weighted by their expected close, and the sum."""
    body = [
        t(
            locale,
            _("{period}: won {won} · weighted {weighted} · total {total}"),
            period=period_text(line.start, grain, locale),
            won=totals_text(line.won, locale),
            weighted=totals_text(line.weighted, locale),
            total=totals_text(line.total, locale),
        )
        for line in lines
    ]
    return Card(
        title=title,
        body="\n".join(body),
        footer=t(
            locale, _("Open deals count at amount × probability in their expected close period.")
        ),
    )


def period_text(start: date, grain: Grain, locale: str) -> str:
    """``Nov 2026`` / ``2026年11月``, or ``2026 Q4`` / ``2026年第4季度``."""
    if grain is Grain.MONTH:
        return format_skeleton("yMMM", start, locale=normalise_locale(locale))
    return t(locale, _("{year} Q{quarter}"), year=start.year, quarter=(start.month - 1) // 3 + 1)


def report_card(report: CrmReport, title: str, locale: str) -> Card:
    """The CRM report."""
    pipeline = pipeline_card(report.pipeline, title, locale)
    cycle = report.average_cycle_days
    top = [
        f"{i}. {c.name} (#{c.customer_id}) {money_text(c.amount, locale, c.currency)}"
        for i, c in enumerate(report.top_customers, 1)
    ]
    fields = (
        *pipeline.fields,
        Field(t(locale, _("Win rate")), percent(report.win_rate, locale)),
        Field(
            t(locale, _("Average cycle")),
            t(locale, _("{days} days"), days=cycle.quantize(Decimal("0.1"))) if cycle else "—",
        ),
        Field(t(locale, _("Ticket SLA met")), percent(report.sla, locale)),
        Field(t(locale, _("Top customers by won revenue")), "\n".join(top) or "—"),
    )
    return Card(
        title=title,
        body=pipeline.body,
        fields=fields,
        footer=t(locale, _("Win rate, cycle, top customers and tickets: the last 90 days.")),
    )


def idle_card(deal: DealView, days: int, locale: str) -> Card:
    """The nudge a deal's owner gets when it has been idle."""
    return Card(
        title=t(locale, _("Deal #{id} has been quiet for {days} days"), id=deal.id, days=days),
        body=t(
            locale,
            _("{name} with {customer}. Next step: {next}"),
            name=deal.name,
            customer=deal.customer_name,
            next=deal.next_step or "—",
        ),
        footer=t(
            locale,
            _("Move it (/deal move {id} STAGE), update it (/deal edit {id} next=…) or log a call."),
            id=deal.id,
        ),
        status=CardStatus.WARNING,
    )


def _day(day: date | None, locale: str) -> str:
    return format_date(day, "medium", locale=normalise_locale(locale)) if day else "—"
