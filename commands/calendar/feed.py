"""/ics: the address of the actor's calendar feed, for calendar apps to subscribe to."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.replies import Card, CardStatus, Message
from domain.calendar.feed import has_feed, new_feed_secret


class FeedArgs(BaseModel):
    """``/ics [new]``."""

    action: Literal["show", "new"] = Field(
        default="show",
        description=_("new: a fresh link (the old one stops working)"),
        json_schema_extra={
            "words": {"show": ["查看"], "new": ["重置", "更换", "新", "rotate", "reset"]}
        },
    )


def feed_url(base: str, secret: str) -> str:
    """Where a feed is served (see bot/calendar_feed.py)."""
    return f"{base.rstrip('/')}/calendar/{secret}.ics"


def calendar_feed(ctx: CommandContext, args: FeedArgs) -> Message:
    """Make (or replace) the actor's feed address and show it once (in a direct chat only)."""
    if args.action == "show" and has_feed(ctx.session, ctx.actor.id, ctx.now):
        return Card(
            title=ctx.t(_("Your calendar feed")),
            body=ctx.t(
                _(
                    "You have a feed address already. Only a fingerprint of it is kept, so I "
                    "can't show it again. /ics new makes a new address; the old one stops working."
                )
            ),
            status=CardStatus.INFO,
        )
    secret = new_feed_secret(ctx.session, ctx.actor.id, ctx.now)
    return Card(
        title=ctx.t(_("Your calendar feed")),
        body=feed_url(ctx.policies.public_url, secret),
        footer=ctx.t(
            _(
                "Subscribe to this address in your calendar app. Anyone who has it can read "
                "your calendar: keep it to yourself. /ics new replaces it."
            )
        ),
        status=CardStatus.SUCCESS,
        secrets=(secret,),
    )
