"""The cards of an urgent notice: the recipient's "Got it" card and the sender's tally."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.formatting import duration, moment
from bot.i18n import _, t
from bot.pipeline.outbox import Copy
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus
from bot.replies import Field as CardField
from domain.directory.views import MemberView
from domain.notices.services import NoticeView, RecipientView, card_subject

ACK_TTL = timedelta(days=14)  # a "Got it" button stays usable this long; /ding ack N always works


def recipient_card(notice: NoticeView, sender: MemberView, reader: MemberView, ping: int) -> Card:
    """What a recipient sees: the text, who sent it, and a "Got it" button bound to them."""
    locale = reader.locale
    total = 1 + notice.max_repings
    footer = (
        t(
            locale,
            _("Reminder {n} of {total}: tap Got it so {name} knows you saw this."),
            n=ping,
            total=total,
            name=sender.name,
        )
        if ping > 1
        else t(locale, _("Tap Got it so {name} knows you saw this."), name=sender.name)
    )
    got_it = Button(
        t(locale, _("Got it")),
        Action("ding.ack", target=str(notice.id), ttl=ACK_TTL),
        style=ButtonStyle.PRIMARY,
        command=f"/ding ack {notice.id}",
    )
    return Card(
        title="🔔 " + t(locale, _("Urgent from {name}"), name=sender.name),
        body=notice.text,
        fields=(CardField(t(locale, _("DING")), f"#{notice.id}"),),
        buttons=(got_it,),
        footer=footer,
        status=CardStatus.DANGER,
    )


def acknowledged_card(notice: NoticeView, sender: MemberView, reader: MemberView) -> Card:
    """A recipient's card once they acknowledged: no button any more."""
    mine = notice.recipient(reader.id)
    at = mine.acknowledged_at if mine and mine.acknowledged_at else notice.created_at
    return Card(
        title="✅ "
        + t(reader.locale, _("Got it: DING #{id} from {name}"), id=notice.id, name=sender.name),
        body=notice.text,
        footer=t(
            reader.locale, _("Acknowledged {when}"), when=moment(at, reader.locale, reader.timezone)
        ),
        status=CardStatus.SUCCESS,
    )


def tally_card(notice: NoticeView, reader: MemberView, copies: list[Copy], now: datetime) -> Card:
    """The sender's card: who has acknowledged, who has not (delivered? pinged how often?)."""
    locale, total = reader.locale, len(notice.recipients)
    delivery = deliveries(notice, copies)
    done = [r for r in notice.recipients if r.acknowledged]
    waiting = [r for r in notice.recipients if not r.acknowledged]
    fields = []
    if done:
        fields.append(
            CardField(
                "✅ " + t(locale, _("Acknowledged ({count})"), count=len(done)),
                "\n".join(_acknowledged_line(r, reader, now) for r in done),
            )
        )
    if waiting:
        fields.append(
            CardField(
                "⏳ " + t(locale, _("Not yet ({count})"), count=len(waiting)),
                "\n".join(_waiting_line(r, delivery.get(r.member_id, ""), locale) for r in waiting),
            )
        )
    refresh = Button(
        t(locale, _("Refresh")),
        Action("ding.refresh", target=str(notice.id), single_use=False),
        command=f"/ding status {notice.id}",
    )
    return Card(
        title="🔔 "
        + t(
            locale,
            _("DING #{id}: {done} of {total} acknowledged"),
            id=notice.id,
            done=len(done),
            total=total,
        ),
        body=notice.text,
        fields=tuple(fields),
        buttons=() if not waiting else (refresh,),
        footer=_tally_footer(notice, waiting, locale),
        status=CardStatus.SUCCESS if not waiting else CardStatus.PENDING,
    )


def deliveries(notice: NoticeView, copies: list[Copy]) -> dict[int, str]:
    """Per recipient: ``sent`` if any of their cards was delivered, else ``dead`` if every one
    failed, else ``pending``."""
    statuses: dict[int, list[str]] = {}
    for copy in copies:
        for r in notice.recipients:
            if copy.subject == card_subject(notice.id, r.member_id):
                statuses.setdefault(r.member_id, []).append(copy.status)
    return {member: _delivery(found) for member, found in statuses.items()}


def _delivery(statuses: list[str]) -> str:
    if "sent" in statuses:
        return "sent"
    if all(s in ("dead", "dropped") for s in statuses):
        return "dead"
    return "pending"


DELIVERY_WORDS: Mapping[str, str] = {
    "sent": _("delivered"),
    "dead": _("could not be delivered"),
    "pending": _("not delivered yet"),
    "": _("not delivered yet"),
}


def _acknowledged_line(r: RecipientView, reader: MemberView, now: datetime) -> str:
    at = r.acknowledged_at or now
    return f"{r.name} (@{r.handle}) · {moment(at, reader.locale, reader.timezone, now=now)}"


def _waiting_line(r: RecipientView, delivery: str, locale: str) -> str:
    sent = t(locale, _("sent {count}×"), count=r.pings)
    return f"{r.name} (@{r.handle}) · {t(locale, DELIVERY_WORDS[delivery])} · {sent}"


def _tally_footer(notice: NoticeView, waiting: list[RecipientView], locale: str) -> str:
    if not waiting:
        return t(locale, _("Everyone has acknowledged."))
    if notice.max_repings == 0 or all(r.pings > notice.max_repings for r in waiting):
        return t(locale, _("No more re-pings will be sent."))
    return t(
        locale,
        _("Re-sent every {interval} to whoever has not acknowledged, up to {count} times."),
        interval=duration(notice.interval, locale),
        count=notice.max_repings,
    )


def notice_line(notice: NoticeView) -> str:
    """``#12 · 2/3 · the server is down`` for a list of notices."""
    text = notice.text if len(notice.text) <= 40 else notice.text[:39] + "…"
    return f"#{notice.id} · {notice.acknowledged}/{len(notice.recipients)} · {text}"
