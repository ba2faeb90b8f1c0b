"""Monthly fiscal periods: made open when first needed, closed and reopened by the finance
role. A posting holds its period's row in share mode, so closing waits for postings in flight
and a posting after the close sees it closed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.finance.models import Period
from domain.shared.errors import DomainError


def ensure_period(session: Session, year: int, month: int) -> None:
    """Make the period if it does not exist yet (open); two callers at once make one."""
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        raise DomainError("{year}-{month} is not a period.", year=year, month=month)
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert_(Period)
        .values(year=year, month=month, closed=False)
        .on_conflict_do_nothing(index_elements=["year", "month"])
    )


def period_for_posting(session: Session, on: date) -> Period:
    """The period of ``on``, held in share mode until the posting transaction ends."""
    ensure_period(session, on.year, on.month)
    query = select(Period).where(Period.year == on.year, Period.month == on.month)
    return session.scalars(query.with_for_update(read=True)).one()


def _locked(session: Session, year: int, month: int) -> Period:
    ensure_period(session, year, month)
    query = select(Period).where(Period.year == year, Period.month == month)
    return session.scalars(query.with_for_update()).one()


def close_period(
    session: Session, year: int, month: int, actor_id: int | None, now: datetime
) -> Period:
    """Close a period: no more postings into it. Closing a closed period changes nothing."""
    period = _locked(session, year, month)
    if not period.closed:
        period.closed, period.closed_at, period.closed_by = True, now, actor_id
        session.flush()
    return period


def reopen_period(session: Session, year: int, month: int) -> Period:
    """Open a closed period again. Reopening an open period changes nothing."""
    period = _locked(session, year, month)
    if period.closed:
        period.closed, period.closed_at, period.closed_by = False, None, None
        session.flush()
    return period
