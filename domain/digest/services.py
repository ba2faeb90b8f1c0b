"""The daily digest's setting and timer: one recurring timer (kind ``digest``) per member.

The timer recurs daily at the member's local time in their time zone (``Recurrence``, so DST is
handled), which makes each day's digest fire once across processes and restarts. A member's
setting row is locked while their timer is replaced, so two processes syncing at once cannot
leave two timers; ``claim_day`` is a second guard: at most one digest per member per local day,
even if the time is moved past the hour after today's went out.

Locks are taken in the tick's order, timer rows first and the setting row second: the tick holds
a claimed digest timer while its handler updates the setting (``claim_day``), so a command that
held the setting and then waited for the timer could deadlock with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.digest.models import DigestSetting
from domain.directory.models import Member, Org
from domain.shared.recurrence import Frequency, Recurrence, local_to_utc, zone
from domain.timers.models import LatePolicy, Timer, TimerStatus
from domain.timers.services import cancel, schedule

KIND = "digest"
DEFAULT_AT = time(9, 0)
GRACE = timedelta(hours=3)  # a digest later than this (the server was down) is skipped


@dataclass(frozen=True, slots=True)
class DigestChoice:
    """Whether a member gets the digest, and at what local time."""

    enabled: bool = True
    at: time = DEFAULT_AT


def digest_choice(session: Session, member_id: int) -> DigestChoice:
    """A member's digest setting (the default if they never changed it)."""
    row = session.get(DigestSetting, member_id)
    if row is None:
        return DigestChoice()
    return DigestChoice(row.enabled, time.fromisoformat(row.at))


def choose_digest(
    session: Session, member_id: int, tz: str, now: datetime, *, enabled: bool, at: time | None
) -> DigestChoice:
    """Turn a member's digest on or off, or move it; the timer follows at once."""
    row = _lock_member(session, member_id, now)
    row.enabled = enabled
    if at is not None:
        row.at = at.strftime("%H:%M")
    row.updated_at = now
    choice = DigestChoice(row.enabled, time.fromisoformat(row.at))
    _align_timer(session, member_id, tz, choice, now)
    return choice


def sync_digest_timers(session: Session, now: datetime) -> int:
    """Give every active member the digest timer their setting and time zone call for, and stop
    those of deactivated members; returns how many members changed."""
    wanted = _wanted(session)
    current = _current(session)
    changed = 0
    for member_id, (tz, choice) in wanted.items():
        if _matches(current.get(member_id, []), tz, choice):
            continue
        row = _lock_member(session, member_id, now)
        choice = DigestChoice(row.enabled, time.fromisoformat(row.at))
        _align_timer(session, member_id, tz, choice, now)
        changed += 1
    for member_id in sorted(set(current) - set(wanted)):
        stopped = [cancel(session, timer_id) for timer_id, _rule in current[member_id]]
        changed += any(stopped)
    return changed


def _wanted(session: Session) -> dict[int, tuple[str, DigestChoice]]:
    org = session.get(Org, 1)
    org_tz = org.timezone if org else "UTC"
    rows = session.execute(
        select(Member.id, Member.timezone, DigestSetting.enabled, DigestSetting.at)
        .outerjoin(DigestSetting, DigestSetting.member_id == Member.id)
        .where(Member.active.is_(True))
        .order_by(Member.id)  # every process locks members in the same order
    )
    return {
        member_id: (
            tz or org_tz,
            DigestChoice(enabled is not False, time.fromisoformat(at) if at else DEFAULT_AT),
        )
        for member_id, tz, enabled, at in rows
    }


def _current(session: Session) -> dict[int, list[tuple[int, str]]]:
    rows = session.execute(
        select(Timer.owner_id, Timer.id, Timer.recurrence).where(
            Timer.kind == KIND, Timer.status == TimerStatus.PENDING
        )
    )
    current: dict[int, list[tuple[int, str]]] = {}
    for owner_id, timer_id, rule in rows:
        if owner_id is not None:
            current.setdefault(owner_id, []).append((timer_id, rule or ""))
    return current


def _matches(timers: list[tuple[int, str]], tz: str, choice: DigestChoice) -> bool:
    if not choice.enabled:
        return not timers
    return len(timers) == 1 and _rule_fits(timers[0][1], tz, choice.at)


def _rule_fits(rule: str, tz: str, at: time) -> bool:
    try:
        recurrence = Recurrence.from_rrule(rule)
    except ValueError:
        return False
    return recurrence.tz == tz and recurrence.at == at


def _align_timer(
    session: Session, member_id: int, tz: str, choice: DigestChoice, now: datetime
) -> None:
    """Under the member's setting lock: keep one fitting timer, cancel the rest, add if none."""
    pending = session.execute(
        select(Timer.id, Timer.recurrence)
        .where(Timer.owner_id == member_id, Timer.kind == KIND, Timer.status == TimerStatus.PENDING)
        .order_by(Timer.id)
    ).all()
    kept = False
    for timer_id, rule in pending:
        if choice.enabled and not kept and _rule_fits(rule or "", tz, choice.at):
            kept = True
        else:
            cancel(session, timer_id)
    if choice.enabled and not kept:
        recurrence = daily_at(choice.at, tz, now)
        schedule(
            session,
            kind=KIND,
            due_at=recurrence.next_after(now),
            now=now,
            subject=f"digest:{member_id}",
            owner_id=member_id,
            late_policy=LatePolicy.EXPIRE,
            grace=GRACE,
            recurrence=recurrence.to_rrule(),
        )


def daily_at(at: time, tz: str, now: datetime) -> Recurrence:
    """Every day at a local time, starting today."""
    today = now.astimezone(zone(tz)).date()
    return Recurrence(Frequency.DAILY, at, tz, today)


def _lock_member(session: Session, member_id: int, now: datetime) -> DigestSetting:
    """Lock the member's pending digest timers, then their setting row (made if missing)."""
    session.execute(
        select(Timer.id)
        .where(Timer.owner_id == member_id, Timer.kind == KIND, Timer.status == TimerStatus.PENDING)
        .with_for_update()
    ).all()
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert_(DigestSetting)
        .values(member_id=member_id, enabled=True, at=DEFAULT_AT.strftime("%H:%M"), updated_at=now)
        .on_conflict_do_nothing()
    )
    return session.scalars(
        select(DigestSetting)
        .where(DigestSetting.member_id == member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def claim_day(session: Session, member_id: int, day: date) -> bool:
    """Record that today's digest goes out; False if one already went out on that local day."""
    claimed = session.execute(
        update(DigestSetting)
        .where(
            DigestSetting.member_id == member_id,
            (DigestSetting.last_sent_on.is_(None)) | (DigestSetting.last_sent_on < day),
        )
        .values(last_sent_on=day)
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def local_day(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC start and end of a local calendar day (23 or 25 hours on DST days)."""
    start = local_to_utc(datetime.combine(day, time(0)), tz)
    return start, local_to_utc(datetime.combine(day + timedelta(days=1), time(0)), tz)
