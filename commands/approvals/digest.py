"""The approvals part of the daily digest: what waits for the member's decision."""

from __future__ import annotations

from bot.i18n import _, t
from commands.approvals.present import Names
from commands.digest import DigestDay, Section
from domain.approvals import queries


def approvals_waiting(day: DigestDay) -> Section | None:
    """Requests waiting for the member's decision, oldest first."""
    waiting = queries.requests(day.session, queries.waiting_for(day.session, day.member.id))
    if not waiting:
        return None
    names, locale = Names(day.session), day.member.locale
    lines = tuple(
        f"#{seen.state.id} {seen.template.spec.title(locale)} · {names.name(seen.state.initiator)}"
        for seen in waiting
    )
    title = "📝 " + t(locale, _("Approvals waiting for you ({count})"), count=len(lines))
    return Section(title, lines)
