"""Sending urgent notices, re-pinging those who have not acknowledged, and acknowledging.

Every change to who has acknowledged what is a compare-and-set on the recipient row
(``status = 'pending'``, ``pings = n``), taken after locking the notice row: acknowledgements of
one notice are applied one after another, so each sees the others and the sender's tally is never
stale, and a re-ping racing an acknowledgement gives one outcome. A re-ping timer never takes the
notice lock before the tick's claim of the timer, and an acknowledgement never touches timers, so
the two cannot deadlock: a re-ping timer whose recipients have all acknowledged fires and does
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.directory.models import Member
from domain.directory.services import find_member
from domain.notices.models import Notice, NoticeRecipient, RecipientStatus
from domain.shared.errors import DomainError, Forbidden, NotFound
from domain.timers.services import schedule

TIMER_KIND = "ding"
FEW = 5  # more recipients than this need notices.many
MOST = 50  # never more, for anyone
MAX_TEXT = 1000
MIN_INTERVAL = timedelta(minutes=5)
MAX_INTERVAL = timedelta(days=1)
MAX_REPINGS = 10
DEFAULT_INTERVAL = timedelta(minutes=10)
DEFAULT_REPINGS = 3


@dataclass(frozen=True, slots=True)
class RecipientView:
    """One recipient of a notice, as the sender's tally shows them."""

    member_id: int
    handle: str
    name: str
    status: str
    pings: int
    acknowledged_at: datetime | None

    @property
    def acknowledged(self) -> bool:
        """Whether they tapped "Got it"."""
        return self.status == RecipientStatus.ACKNOWLEDGED


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A notice and its recipients (by name)."""

    id: int
    sender_id: int
    text: str
    interval: timedelta
    max_repings: int
    card_id: int | None
    created_at: datetime
    recipients: tuple[RecipientView, ...]

    def recipient(self, member_id: int) -> RecipientView | None:
        """The recipient row of a member, if they are one."""
        return next((r for r in self.recipients if r.member_id == member_id), None)

    @property
    def acknowledged(self) -> int:
        """How many have acknowledged."""
        return sum(r.acknowledged for r in self.recipients)


@dataclass(frozen=True, slots=True)
class NoticeRequest:
    """What the sender asked for."""

    sender_id: int
    handles: tuple[str, ...]
    text: str
    interval: timedelta = DEFAULT_INTERVAL
    max_repings: int = DEFAULT_REPINGS


def card_subject(notice_id: int, member_id: int | None = None) -> str:
    """The outbox subject of the sender's card (no member) or of a recipient's cards."""
    return f"ding:{notice_id}" if member_id is None else f"ding:{notice_id}:{member_id}"


def send_notice(
    session: Session, request: NoticeRequest, now: datetime, *, may_send_many: bool
) -> NoticeView:
    """Store a notice for its recipients and schedule the first re-ping (cards are the caller's)."""
    recipients = _recipients(session, request, may_send_many=may_send_many)
    _check_terms(request)
    notice = Notice(
        sender_id=request.sender_id,
        text=request.text,
        interval_seconds=int(request.interval.total_seconds()),
        max_repings=request.max_repings,
        created_at=now,
    )
    session.add(notice)
    session.flush()
    session.add_all(
        NoticeRecipient(notice_id=notice.id, member_id=m, status=RecipientStatus.PENDING, pings=0)
        for m in recipients
    )
    session.flush()
    _schedule_reping(session, notice, now)
    return notice_view(session, notice.id)


def _recipients(session: Session, request: NoticeRequest, *, may_send_many: bool) -> list[int]:
    ids: list[int] = []
    for handle in request.handles:
        member = find_member(session, handle)
        if member is None or not member.active:
            raise NotFound("I don't know @{handle}.", handle=handle.lstrip("@"))
        if member.id == request.sender_id:
            raise DomainError("You can't DING yourself.")
        if member.id not in ids:
            ids.append(member.id)
    if not ids:
        raise DomainError("Whom should I DING? Name them with @handle.")
    if len(ids) > MOST:
        raise DomainError("A DING goes to at most {most} people.", most=MOST)
    if len(ids) > FEW and not may_send_many:
        raise Forbidden("You may DING at most {few} people at once.", few=FEW)
    return ids


def _check_terms(request: NoticeRequest) -> None:
    if not request.text.strip():
        raise DomainError("What is the DING about? Add the text after the names.")
    if len(request.text) > MAX_TEXT:
        raise DomainError("A DING is at most {most} characters.", most=MAX_TEXT)
    if not MIN_INTERVAL <= request.interval <= MAX_INTERVAL:
        raise DomainError("Re-pings are 5 minutes to 1 day apart.")
    if not 0 <= request.max_repings <= MAX_REPINGS:
        raise DomainError("A DING is re-sent at most {most} times.", most=MAX_REPINGS)


def _schedule_reping(session: Session, notice: Notice, now: datetime) -> None:
    if notice.max_repings > 0:
        schedule(
            session,
            kind=TIMER_KIND,
            due_at=now + timedelta(seconds=notice.interval_seconds),
            now=now,
            subject=card_subject(notice.id),
            owner_id=notice.sender_id,
            payload={"notice": notice.id},
        )


def record_ping(session: Session, notice_id: int, member_id: int, now: datetime) -> bool:
    """Count one card sent to a recipient who has not acknowledged; False if they have."""
    counted = session.execute(
        update(NoticeRecipient)
        .where(
            NoticeRecipient.notice_id == notice_id,
            NoticeRecipient.member_id == member_id,
            NoticeRecipient.status == RecipientStatus.PENDING,
        )
        .values(pings=NoticeRecipient.pings + 1, last_pinged_at=now)
    )
    return bool(counted.rowcount == 1)  # type: ignore[attr-defined]


def reping(session: Session, notice_id: int, now: datetime) -> tuple[NoticeView, list[int]]:
    """A re-ping is due: count a card for each recipient still waiting, and schedule the next.

    Returns the notice and whom to send a card to (nobody once all have acknowledged).
    """
    notice = _lock(session, notice_id)
    waiting = session.execute(
        select(NoticeRecipient.member_id, NoticeRecipient.pings)
        .where(
            NoticeRecipient.notice_id == notice_id,
            NoticeRecipient.status == RecipientStatus.PENDING,
            NoticeRecipient.pings <= notice.max_repings,
        )
        .order_by(NoticeRecipient.member_id)
    ).all()
    pinged = [(m, n + 1) for m, n in waiting if record_ping(session, notice_id, m, now)]
    if any(pings <= notice.max_repings for _m, pings in pinged):
        _schedule_reping(session, notice, now)
    return notice_view(session, notice_id), [m for m, _n in pinged]


def acknowledge(
    session: Session, notice_id: int, member_id: int, now: datetime
) -> tuple[NoticeView, bool]:
    """Mark a recipient's acknowledgement; returns the notice and whether this changed anything."""
    _lock(session, notice_id)
    row = session.get(NoticeRecipient, (notice_id, member_id))
    if row is None:
        raise Forbidden("This DING is not for you.")
    changed = session.execute(
        update(NoticeRecipient)
        .where(
            NoticeRecipient.notice_id == notice_id,
            NoticeRecipient.member_id == member_id,
            NoticeRecipient.status == RecipientStatus.PENDING,
        )
        .values(status=RecipientStatus.ACKNOWLEDGED, acknowledged_at=now)
    )
    return notice_view(session, notice_id), bool(changed.rowcount == 1)  # type: ignore[attr-defined]


def _lock(session: Session, notice_id: int) -> Notice:
    """The notice row, locked until the transaction ends (PostgreSQL; SQLite is serial anyway)."""
    notice = session.scalars(
        select(Notice)
        .where(Notice.id == notice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if notice is None:
        raise NotFound("There is no DING {id}.", id=notice_id)
    return notice


def set_card(session: Session, notice_id: int, card_id: int) -> None:
    """Remember the outbox row of the sender's card, to edit it as people acknowledge."""
    session.execute(update(Notice).where(Notice.id == notice_id).values(card_id=card_id))


def notice_view(session: Session, notice_id: int) -> NoticeView:
    """One notice with its recipients."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("There is no DING {id}.", id=notice_id)
    rows = session.execute(
        select(NoticeRecipient, Member.handle, Member.name)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .where(NoticeRecipient.notice_id == notice_id)
        .order_by(Member.handle)
    ).all()
    recipients = tuple(
        RecipientView(r.member_id, handle, name, r.status, r.pings, r.acknowledged_at)
        for r, handle, name in rows
    )
    return NoticeView(
        notice.id,
        notice.sender_id,
        notice.text,
        timedelta(seconds=notice.interval_seconds),
        notice.max_repings,
        notice.card_id,
        notice.created_at,
        recipients,
    )


def sent_notice(session: Session, notice_id: int, member_id: int) -> NoticeView:
    """A notice its sender asks about; anyone else is refused."""
    notice = notice_view(session, notice_id)
    if notice.sender_id != member_id:
        raise Forbidden("Only the sender can see who acknowledged DING {id}.", id=notice_id)
    return notice


def recent_notices(session: Session, sender_id: int, limit: int) -> list[NoticeView]:
    """A sender's newest notices."""
    ids = session.scalars(
        select(Notice.id)
        .where(Notice.sender_id == sender_id)
        .order_by(Notice.id.desc())
        .limit(limit)
    ).all()
    return [notice_view(session, i) for i in ids]


def waiting_for(session: Session, member_id: int, since: datetime) -> list[NoticeView]:
    """Notices sent to a member since a moment that they have not acknowledged, oldest first."""
    ids = session.scalars(
        select(Notice.id)
        .join(NoticeRecipient, NoticeRecipient.notice_id == Notice.id)
        .where(
            NoticeRecipient.member_id == member_id,
            NoticeRecipient.status == RecipientStatus.PENDING,
            Notice.created_at >= since,
        )
        .order_by(Notice.id)
    ).all()
    return [notice_view(session, i) for i in ids]


def check_recipient(notice: NoticeView, member_id: int) -> None:
    """Refuse anyone who is not a recipient of the notice."""
    if notice.recipient(member_id) is None:
        raise Forbidden("This DING is not for you.")
