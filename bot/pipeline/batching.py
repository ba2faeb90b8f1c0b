"""Group commit: items submitted together share one transaction, and each caller gets its result."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from domain.shared.db import Database

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Collects submitted items and commits them in groups of up to ``max_group``.

    ``work(session, items)`` runs in one transaction and returns one result per item; a caller's
    ``submit`` returns after the commit (or raises what the transaction raised). When a group's
    transaction fails, its items are tried again one by one, each in its own transaction, so
    that one bad item (a value the database refuses) fails alone and the others go through.
    """

    def __init__(
        self,
        db: Database,
        work: Callable[[Session, list[T]], list[R]],
        *,
        name: str,
        max_group: int = 256,
        urgent: bool = False,
    ) -> None:
        self._db = db
        self._work = work
        self._name = name
        self._max_group = max_group
        self._urgent = urgent
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start committing."""
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Commit what was already submitted, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def submit(self, item: T) -> R:
        """Hand in one item and wait until it is committed."""
        if self._task is None:
            raise RuntimeError(f"{self._name} is not running")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return await future

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            while not self._queue.empty() and len(group) < self._max_group:
                group.append(self._queue.get_nowait())
            try:
                await self._commit(group)
            finally:
                for _ in group:
                    self._queue.task_done()

    async def _commit(self, group: list[tuple[T, asyncio.Future[R]]]) -> None:
        items = [item for item, _ in group]
        try:
            results = await self._db.run(
                lambda session: self._work(session, items), urgent=self._urgent
            )
        except Exception as exc:  # noqa: BLE001 - the waiting caller gets the failure
            if len(group) > 1:
                for one in group:
                    await self._commit([one])
                return
            _, future = group[0]
            if not future.done():
                future.set_exception(exc)
            return
        for (_, future), result in zip(group, results, strict=True):
            if not future.done():
                future.set_result(result)
