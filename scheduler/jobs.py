"""Jobs that run once per period across every process (a unique (job, period) claim row)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.logging import get_logger
from domain.shared.clock import Clock
from domain.shared.db import Database
from domain.timers.services import claim_period

log = get_logger("bizbot.jobs")


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """Work done once per period: ``period`` names the period a moment falls in."""

    name: str
    cron: dict[str, Any]  # APScheduler CronTrigger fields, e.g. {"minute": 7}
    period: Callable[[datetime], str]
    work: Callable[[Session, datetime], object]


class JobRunner:
    """Runs a periodic job in the process that claims its period first."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self.claimer = f"jobs-{uuid.uuid4().hex[:12]}"

    async def run(self, job: PeriodicJob) -> bool:
        """Claim this period and work in the same transaction; False if another process did."""
        now = self._clock.now()
        period = job.period(now)

        def claim_and_work(session: Session) -> bool:
            if not claim_period(session, job.name, period, self.claimer, now):
                return False
            job.work(session, now)
            return True

        ran = await self._db.run(claim_and_work)
        if ran:
            log.info("job.ran", job=job.name, period=period)
        return ran


def hourly(moment: datetime) -> str:
    """The hour a UTC moment falls in, e.g. ``2026-11-29T09``."""
    return moment.strftime("%Y-%m-%dT%H")


def daily(moment: datetime) -> str:
    """The UTC day a moment falls in, e.g. ``2026-11-29``."""
    return moment.strftime("%Y-%m-%d")
