"""Every APScheduler job states its misfire, coalescing and concurrency behaviour."""

from __future__ import annotations

from adapters.memory.client import MemoryClient
from bot.app import build_runtime, build_scheduler_for
from bot.config import Settings


async def test_every_job_sets_misfire_coalesce_and_max_instances(settings: Settings) -> None:
    runtime = build_runtime(settings, [MemoryClient()])
    try:
        scheduler = build_scheduler_for(runtime)
        jobs = scheduler.get_jobs()
    finally:
        await runtime.db.dispose()
    assert {job.id for job in jobs} >= {"timer-tick", "job-prune", "job-seen-signatures"}
    for job in jobs:
        assert job.coalesce is True, job.id
        assert job.max_instances == 1, job.id
        assert job.misfire_grace_time is not None, job.id
