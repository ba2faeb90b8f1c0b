"""A loop that keeps failing (its database is down, say) waits longer after each failure, and
says so once per streak instead of logging a traceback at every poll."""

from __future__ import annotations

from structlog.stdlib import BoundLogger

LONGEST_WAIT = 60.0  # seconds; a loop whose database comes back notices within a minute


class FailureStreak:
    """Consecutive failures of one loop.

    The wait after each failure doubles from ``first_wait`` up to ``longest_wait``. The first
    failure of a streak is logged as ``<place>.failing`` with its traceback, the end of the
    streak as ``<place>.recovered`` with the number of failures; those between are only counted.
    """

    def __init__(
        self,
        log: BoundLogger,
        place: str,
        *,
        first_wait: float,
        longest_wait: float = LONGEST_WAIT,
    ) -> None:
        self._log = log
        self._place = place
        self._first_wait = first_wait
        self._longest_wait = longest_wait
        self.failures = 0

    def failed(self, exc: BaseException) -> float:
        """Count a failure (logging the first of a streak); seconds to wait before trying again."""
        self.failures += 1
        doubled = self._first_wait * 2.0 ** min(self.failures - 1, 32)
        wait = min(self._longest_wait, doubled)
        if self.failures == 1:
            self._log.error(f"{self._place}.failing", exc_info=exc, retry_in=wait)
        return wait

    def succeeded(self) -> None:
        """The loop works (again): a streak that was running ends here."""
        if self.failures:
            self._log.warning(f"{self._place}.recovered", failures=self.failures)
            self.failures = 0
