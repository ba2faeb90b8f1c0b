"""Tables of the org's work calendar: days that differ from the Monday-to-Friday week, and hours."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base


class WorkCalendarDay(Base):
    """A public holiday (``working`` false) or a make-up working day on a weekend (true, 调休)."""

    __tablename__ = "work_calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(200), default="")


class WorkHours(Base):
    """The org's working hours (one row), as minutes after local midnight."""

    __tablename__ = "work_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    start_minute: Mapped[int] = mapped_column(default=9 * 60)
    end_minute: Mapped[int] = mapped_column(default=18 * 60)
