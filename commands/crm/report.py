"""/pipeline (/销售漏斗), /forecast (/销售预测) and /crm report (/CRM报告): the numbers of the deals
a member may see: their own, their team's (managers) or everyone's (``crm.all``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.logging import get_logger
from bot.parsing import ArgumentError
from bot.replies import Message
from bot.router import CommandSpec, Router
from commands.crm.deal_cards import forecast_card, pipeline_card, report_card
from domain.crm.forecast import Grain, forecast, pipeline
from domain.crm.report import crm_report
from domain.crm.scope import Scope, scope_of
from domain.directory.roles import Permission, Role
from domain.shared.errors import Forbidden

log = get_logger("bizbot.crm.report")

REACH_WORDS = {
    "mine": ("mine", "me", "我的", "我"),
    "team": ("team", "团队", "本组"),
    "all": ("all", "全部", "所有"),
}
GRAIN_WORDS = {Grain.MONTH: ("month", "月", "按月"), Grain.QUARTER: ("quarter", "季度", "按季度")}
REACH_TITLES = {
    "mine": _("your deals"),
    "team": _("your team's deals"),
    "all": _("all deals"),
}


class PipelineArgs(BaseModel):
    """``/pipeline [mine|team|all]``."""

    reach: str = Field(default="mine", description=_("mine|team|all"))


class ForecastArgs(BaseModel):
    """``/forecast [month|quarter] [mine|team|all]``."""

    first: str = Field(default="", description=_("month|quarter"))
    second: str = Field(default="", description=_("mine|team|all"))


class CrmArgs(BaseModel):
    """``/crm report``."""

    what: Literal["report"] = Field(
        default="report",
        description=_("report"),
        json_schema_extra={"words": {"report": ["报告"]}},
    )


def show_pipeline(ctx: CommandContext, args: PipelineArgs) -> Message:
    """Open deals by stage, with counts, amounts and weighted totals."""
    reach = _reach(args.reach)
    found = pipeline(ctx.session, _scope(ctx, reach), ctx.policies.deals.stages)
    title = ctx.t(_("Pipeline: {whose}"), whose=ctx.t(REACH_TITLES[reach]))
    return pipeline_card(found, title, ctx.locale)


def show_forecast(ctx: CommandContext, args: ForecastArgs) -> Message:
    """Won and weighted revenue by month or quarter, from the current one on."""
    grain, reach = Grain.MONTH, "mine"
    for word in (w for w in (args.first, args.second) if w):
        chosen = _grain(word)
        if chosen is not None:
            grain = chosen
        else:
            reach = _reach(word)
    lines = forecast(ctx.session, _scope(ctx, reach), grain, ctx.now, ctx.org.timezone)
    title = ctx.t(_("Forecast: {whose}"), whose=ctx.t(REACH_TITLES[reach]))
    return forecast_card(lines, grain, title, ctx.locale)


def show_report(ctx: CommandContext, _args: CrmArgs) -> Message:
    """The CRM report over everything the actor may see."""
    scope = scope_of(ctx.session, ctx.actor.id, ctx.actor.roles)
    found = crm_report(ctx.session, scope, ctx.policies.deals.stages, ctx.now)
    return report_card(found, ctx.t(_("CRM report")), ctx.locale)


def _scope(ctx: CommandContext, reach: str) -> Scope:
    """The deals ``mine``, ``team`` (managers) or ``all`` (``crm.all``) cover; refused otherwise."""
    if reach == "mine":
        return Scope(ctx.actor.id, frozenset({ctx.actor.id}))
    if reach == "all" and not ctx.may(Permission.CRM_ALL):
        log.warning("refused.crm_all", member=ctx.actor.handle)
        raise Forbidden("Only administrators see everyone's deals.")
    if reach == "team" and Role.MANAGER not in ctx.actor.roles and not ctx.may(Permission.CRM_ALL):
        log.warning("refused.crm_team", member=ctx.actor.handle)
        raise Forbidden("Only managers see their team's deals.")
    return scope_of(ctx.session, ctx.actor.id, ctx.actor.roles)


def _reach(word: str) -> str:
    found = next((r for r, words in REACH_WORDS.items() if word.lower() in words), None)
    if found is None:
        raise ArgumentError(_("Say mine, team or all, not {word}."), word=word)
    return found


def _grain(word: str) -> Grain | None:
    return next((g for g, words in GRAIN_WORDS.items() if word.lower() in words), None)


def register(router: Router) -> None:
    """Register /pipeline, /forecast and /crm report."""
    router.add(
        CommandSpec(
            name="pipeline",
            summary=_("Open deals by stage with weighted totals"),
            handler=show_pipeline,
            args=PipelineArgs,
            aliases=("销售漏斗",),
            permission=Permission.CRM_USE,
            examples=(_("/pipeline"), _("/pipeline team"), _("/pipeline all")),
        )
    )
    router.add(
        CommandSpec(
            name="forecast",
            summary=_("Won and weighted revenue by month or quarter"),
            handler=show_forecast,
            args=ForecastArgs,
            aliases=("销售预测",),
            permission=Permission.CRM_USE,
            examples=(_("/forecast"), _("/forecast quarter team")),
        )
    )
    router.add(
        CommandSpec(
            name="crm",
            summary=_("The CRM report: pipeline, win rate, cycle, top customers, ticket SLA"),
            handler=show_report,
            args=CrmArgs,
            aliases=("CRM报告",),
            permission=Permission.CRM_USE,
            examples=(_("/crm report"),),
        )
    )
