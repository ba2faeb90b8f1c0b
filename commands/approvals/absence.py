"""Approved leave on calendars: the lines an agenda shows for a member away on leave."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import CommandContext
from bot.i18n import _
from bot.replies import Card
from commands.approvals.present import day_text
from domain.approvals.absence import AbsenceView, absences_between


def away_lines(
    ctx: CommandContext, member_id: int, starts_at: datetime, ends_at: datetime
) -> list[str]:
    """``🌴 On leave: Dec 1, 2026 – Dec 3, 2026`` for each approved leave overlapping the span."""
    first, last = _days_touched(starts_at, ends_at, ZoneInfo(ctx.actor.timezone))
    return [
        ctx.t(
            _("🌴 On leave: {first} – {last}"),
            first=day_text(a.first, ctx.locale),
            last=day_text(a.last, ctx.locale),
        )
        for a in absences_between(ctx.session, [member_id], first, last)
    ]


def with_away(card: Card, lines: list[str]) -> Card:
    """The agenda card with the member's leave on top."""
    if not lines:
        return card
    return replace(card, body="\n".join([*lines, card.body]))


def away_during(
    ctx: CommandContext, member_ids: list[int], starts_at: datetime, ends_at: datetime
) -> list[AbsenceView]:
    """Approved leave of these members on the org's days that ``starts_at``..``ends_at`` touches."""
    first, last = _days_touched(starts_at, ends_at, ZoneInfo(ctx.org.timezone))
    return absences_between(ctx.session, member_ids, first, last)


def _days_touched(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last local day of the span ``starts_at``..``ends_at`` (end excluded)."""
    last_instant = ends_at - timedelta(microseconds=1)
    return starts_at.astimezone(zone).date(), last_instant.astimezone(zone).date()
