"""The calendar commands: /meeting, /agenda, /share, /unshare, /ics, and the meeting alarms."""

from __future__ import annotations

from bot.context import TimerHandler
from bot.i18n import _
from bot.router import ActionSpec, CommandSpec, Router
from commands.calendar.agenda import AgendaArgs, ShareArgs, share, show_agenda, unshare
from commands.calendar.alarms import fire_meeting_alarm
from commands.calendar.cards import CANCEL, RESPOND
from commands.calendar.feed import FeedArgs, calendar_feed
from commands.calendar.meeting import MeetingArgs, cancel_button, meeting, respond_button
from domain.calendar.services import KIND

MEETING_HELP = _(
    "Write the title first, then when, then any of: for DURATION (default 1 hour; for 90m, "
    "for 1h30), the attendees (with @a @b) and at PLACE. Quote a title that contains time "
    'words: "Q4 plan 2" tomorrow 3pm. Options: alarm=30m (default 15 minutes before; '
    'alarm=off for none) and notes="…". Everyone invited gets a card with Accept, Tentative '
    "and Decline, and your card counts the answers. If someone is busy then, you are told and "
    "the meeting is still created. Also: /meeting cancel N, /meeting move N WHEN, "
    "/meeting accept|tentative|decline N."
)
AGENDA_HELP = _(
    "Your meetings in your time zone: today (the default), tomorrow or the next 7 days. A "
    "colleague's agenda shows their meetings if you are their manager, may read every "
    "calendar, or they shared it with you (/share calendar @you); otherwise only when they "
    "are busy."
)


def register(router: Router) -> None:
    """Register the calendar commands and buttons."""
    router.add(
        CommandSpec(
            name="meeting",
            summary=_("Plan a meeting and invite colleagues; cancel or move it"),
            handler=meeting,
            args=MeetingArgs,
            aliases=("会议", "开会"),
            details=MEETING_HELP,
            examples=(
                _("/meeting Budget review tomorrow 3pm for 1h with @bob @carol at Room 5"),
                _('/meeting "Q4 plan" friday 10:00 for 90m with @bob alarm=30m'),
                _("/meeting Standup every weekday 9:30 for 15m with @bob"),
                _("/meeting move 12 tomorrow 4pm"),
                _("/meeting cancel 12"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="agenda",
            summary=_("Your meetings today, tomorrow or this week, or a colleague's"),
            handler=show_agenda,
            args=AgendaArgs,
            aliases=("日程",),
            details=AGENDA_HELP,
            examples=(_("/agenda"), _("/agenda week"), _("/agenda tomorrow @bob")),
        )
    )
    router.add(
        CommandSpec(
            name="share",
            summary=_("Let a colleague read your calendar"),
            handler=share,
            args=ShareArgs,
            aliases=("共享",),
            examples=(_("/share calendar @bob"), _("/share calendar")),
        )
    )
    router.add(
        CommandSpec(
            name="unshare",
            summary=_("Stop sharing your calendar with a colleague"),
            handler=unshare,
            args=ShareArgs,
            aliases=("取消共享",),
            examples=(_("/unshare calendar @bob"),),
        )
    )
    router.add(
        CommandSpec(
            name="ics",
            summary=_("The address of your calendar feed, for calendar apps"),
            handler=calendar_feed,
            args=FeedArgs,
            aliases=("日历订阅",),
            examples=(_("/ics"), _("/ics new")),
        )
    )
    router.add_action(ActionSpec(name=RESPOND, handler=respond_button))
    router.add_action(ActionSpec(name=CANCEL, handler=cancel_button))


TIMER_HANDLERS: dict[str, TimerHandler] = {KIND: fire_meeting_alarm}
