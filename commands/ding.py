"""/ding (/钉): urgent notices each recipient acknowledges with "Got it", re-sent until they do.

The first card goes to every recipient at once; a durable timer (kind ``ding``) re-sends it to
whoever has not acknowledged, every ``interval``, at most ``max`` more times. The sender's card
is a tally edited in place as people tap; ``/ding status N`` shows the same, with delivery:
delivered (a card reached the platform), not delivered yet, or could not be delivered.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.context import CommandContext, TimerContext
from bot.i18n import _, t
from bot.logging import get_logger
from bot.parsing import record_number
from bot.pipeline.outbox import Copy, OutboxWriter, messages_about
from bot.replies import Card, Message, Reply
from bot.router import ActionSpec, CommandSpec, Router
from commands.digest import DigestDay, Section
from commands.ding_cards import acknowledged_card, notice_line, recipient_card, tally_card
from commands.ding_terms import parse_ding
from domain.directory.roles import Permission
from domain.directory.services import member_view
from domain.directory.views import MemberView
from domain.notices.services import (
    TIMER_KIND,
    NoticeRequest,
    NoticeView,
    acknowledge,
    card_subject,
    notice_view,
    recent_notices,
    record_ping,
    reping,
    send_notice,
    sent_notice,
    set_card,
    waiting_for,
)
from domain.shared.errors import DomainError, Forbidden
from domain.timers.services import TimerView

log = get_logger("bizbot.ding")

STATUS_WORDS = frozenset({"status", "状态"})
ACK_WORDS = frozenset({"ack", "收到", "确认"})
LISTED = 5
DIGEST_WINDOW = timedelta(days=7)  # older unacknowledged DINGs drop out of the digest


class DingArgs(BaseModel):
    """``/ding @a @b TEXT [every 10m] [max 3]``, ``/ding status [N]``, ``/ding ack N``."""

    rest: str = Field(description=_("@names and text"), json_schema_extra={"rest": True})


def ding(ctx: CommandContext, args: DingArgs) -> Message | None:
    """Send a DING, or show one's status, or acknowledge one by number."""
    head, _sep, tail = args.rest.strip().partition(" ")
    if head.lower() in STATUS_WORDS:
        number = _number(tail, required=False)
        return _status(ctx, number) if number is not None else _recent(ctx)
    if head.lower() in ACK_WORDS:
        return _typed_ack(ctx, _number(tail, required=True) or 0)
    _send(ctx, args.rest)
    return None


def _number(text: str, *, required: bool) -> int | None:
    number = record_number(text)
    if number is None and (required or text.strip()):
        raise DomainError(_("Which DING? Give its number, for example: /ding status 12"))
    return number


def _send(ctx: CommandContext, text: str) -> None:
    terms = parse_ding(text)
    request = NoticeRequest(
        ctx.actor.id, terms.handles, terms.text, terms.interval, terms.max_repings
    )
    with _logged_refusal(ctx, "send", 0):
        notice = send_notice(
            ctx.session, request, ctx.now, may_send_many=ctx.may(Permission.NOTICE_MANY)
        )
    for recipient in notice.recipients:
        record_ping(ctx.session, notice.id, recipient.member_id, ctx.now)
        reader = member_view(ctx.session, recipient.member_id)
        ctx.notify(
            reader.id,
            recipient_card(notice, ctx.actor, reader, 1),
            subject=card_subject(notice.id, reader.id),
        )
    notice = notice_view(ctx.session, notice.id)
    card_id = ctx.reply(tally_card(notice, ctx.actor, [], ctx.now), subject=card_subject(notice.id))
    set_card(ctx.session, notice.id, card_id)


def _status(ctx: CommandContext, notice_id: int) -> Card:
    with _logged_refusal(ctx, "status", notice_id):
        notice = sent_notice(ctx.session, notice_id, ctx.actor.id)
    return tally_card(notice, ctx.actor, _copies(ctx.session, notice), ctx.now)


def _recent(ctx: CommandContext) -> Card:
    notices = recent_notices(ctx.session, ctx.actor.id, LISTED)
    if not notices:
        return Card(
            title=ctx.t(_("No DINGs sent")),
            body=ctx.t(_("Send one with /ding @bob the server is down")),
        )
    return Card(
        title=ctx.t(_("Your latest DINGs")),
        body="\n".join(notice_line(n) for n in notices),
        footer=ctx.t(_("Details: /ding status N")),
    )


def _typed_ack(ctx: CommandContext, notice_id: int) -> Reply:
    if _acknowledge(ctx, notice_id):
        return Reply(
            ctx.t(_("Thanks: the sender of DING #{id} now knows you saw it."), id=notice_id)
        )
    return Reply(ctx.t(_("You had already acknowledged DING #{id}."), id=notice_id))


def ack_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """The "Got it" button: acknowledge, and turn every copy of the card into a receipt."""
    if _acknowledge(ctx, int(target)):
        return None
    return Reply(ctx.t(_("You had already acknowledged DING #{id}."), id=target))


def refresh_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """The sender's "Refresh" button: redraw the tally with the latest deliveries."""
    ctx.edit_card(_status(ctx, int(target)))
    return None


def _acknowledge(ctx: CommandContext, notice_id: int) -> bool:
    """Record the actor's acknowledgement and update the cards; False if it was already done."""
    with _logged_refusal(ctx, "ack", notice_id):
        notice, changed = acknowledge(ctx.session, notice_id, ctx.actor.id, ctx.now)
    if not changed:
        return False
    sender = member_view(ctx.session, notice.sender_id)
    receipt = acknowledged_card(notice, sender, ctx.actor)
    for copy in messages_about(ctx.session, [card_subject(notice.id, ctx.actor.id)]):
        ctx.outbox.edit(copy.id, receipt, recipient_id=ctx.actor.id)
    update_tally(ctx.session, ctx.outbox, notice, sender)
    return True


@contextmanager
def _logged_refusal(ctx: CommandContext, action: str, notice_id: int) -> Iterator[None]:
    """Log a refusal (someone else's DING) before it becomes the member's answer."""
    try:
        yield
    except Forbidden:
        log.warning("refused.notice", member=ctx.actor.handle, action=action, notice=notice_id)
        raise


def update_tally(
    session: Session, outbox: OutboxWriter, notice: NoticeView, sender: MemberView
) -> None:
    """Edit the sender's card in place (unless it was pruned long ago)."""
    if notice.card_id is None:
        return
    card = tally_card(notice, sender, _copies(session, notice), outbox.now)
    try:
        outbox.edit(notice.card_id, card, recipient_id=sender.id)
    except LookupError:  # the card's outbox row is older than the retention period
        return


def _copies(session: Session, notice: NoticeView) -> list[Copy]:
    subjects = [card_subject(notice.id, r.member_id) for r in notice.recipients]
    return messages_about(session, subjects)


def fire_reping(ctx: TimerContext, timer: TimerView) -> None:
    """A re-ping is due: send the card again to everyone who has not acknowledged."""
    notice, pinged = reping(ctx.session, int(timer.payload["notice"]), ctx.now)
    if not pinged:
        return
    sender = ctx.member(notice.sender_id)
    for member_id in pinged:
        reader = ctx.member(member_id)
        recipient = notice.recipient(member_id)
        ping = recipient.pings if recipient else 1
        ctx.notify(
            member_id,
            recipient_card(notice, sender, reader, ping),
            subject=card_subject(notice.id, member_id),
        )
    update_tally(ctx.session, ctx.outbox, notice, sender)


def waiting_notices(day: DigestDay) -> Section | None:
    """Digest section: DINGs of the last week the member has not acknowledged yet."""
    waiting = waiting_for(day.session, day.member.id, day.now - DIGEST_WINDOW)
    if not waiting:
        return None
    locale = day.member.locale
    senders = {n.sender_id: member_view(day.session, n.sender_id).name for n in waiting}
    ack = "/钉 收到" if locale.startswith("zh") else "/ding ack"
    return Section(
        "🔔 " + t(locale, _("Waiting for your Got it ({count})"), count=len(waiting)),
        tuple(f"#{n.id} · {senders[n.sender_id]}: {n.text}  {ack} {n.id}" for n in waiting),
    )


def register(router: Router) -> None:
    """Register /ding and its buttons."""
    router.add(
        CommandSpec(
            name="ding",
            summary=_("Send an urgent notice that each person must acknowledge"),
            handler=ding,
            args=DingArgs,
            aliases=("钉",),
            details=_(
                "Names first, then the text. Whoever has not tapped Got it gets it again every "
                "10 minutes, 3 more times, unless you say otherwise at the end (every 30m, "
                "max 5; max 0 sends it once). Your card shows who has acknowledged. Up to 5 "
                "people, or 50 with the notices.many permission."
            ),
            examples=(
                _("/ding @bob @carol the server is down"),
                _("/ding @bob sign the contract today every 30m max 5"),
                _("/ding status 12"),
            ),
        )
    )
    router.add_action(ActionSpec(name="ding.ack", handler=ack_button))
    router.add_action(ActionSpec(name="ding.refresh", handler=refresh_button))


TIMER_HANDLERS = {TIMER_KIND: fire_reping}
