"""APScheduler wiring: an in-memory AsyncIOScheduler that only ticks; nothing business-related is
stored in it (timers and job claims live in our tables)."""

from __future__ import annotations

from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from scheduler.jobs import JobRunner, PeriodicJob
from scheduler.tick import TICK_SECONDS, TimerTick


def build_scheduler(
    tick: TimerTick, runner: JobRunner, jobs: list[PeriodicJob]
) -> AsyncIOScheduler:
    """The process's scheduler: the timer tick every second and the periodic jobs.

    Every job states its misfire behaviour: a missed run is coalesced into one, never run twice
    at once, and a tick that is late by more than its grace is simply skipped (the next tick
    claims the same timers).
    """
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        tick.run,
        "interval",
        seconds=TICK_SECONDS,
        id="timer-tick",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(TICK_SECONDS * 5),
        replace_existing=True,
    )
    for job in jobs:
        scheduler.add_job(
            runner.run,
            CronTrigger(timezone=UTC, **job.cron),
            args=[job],
            id=f"job-{job.name}",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
            replace_existing=True,
        )
    return scheduler
