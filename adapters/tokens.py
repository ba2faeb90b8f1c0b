"""Platform access tokens (DingTalk, WeCom): fetched on demand, reused until shortly before they
expire, and dropped when the platform rejects them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

REFRESH_MARGIN = 300.0  # seconds before expiry to fetch a fresh token


@dataclass(frozen=True, slots=True)
class Fetched:
    """A token as the platform handed it out, with its lifetime in seconds."""

    value: str
    lifetime: float


class AccessToken:
    """One cached access token; concurrent callers share a single fetch."""

    def __init__(self, fetch: Callable[[], Awaitable[Fetched]], clock: Callable[[], float]) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = asyncio.Lock()
        self._value: str | None = None
        self._refresh_at = 0.0

    async def get(self) -> str:
        """The current token, fetching a new one when there is none or it is about to expire."""
        async with self._lock:
            if self._value is None or self._clock() >= self._refresh_at:
                fetched = await self._fetch()
                margin = min(REFRESH_MARGIN, fetched.lifetime / 2)
                self._value, self._refresh_at = (
                    fetched.value,
                    self._clock() + fetched.lifetime - margin,
                )
            return self._value

    def forget(self, token: str) -> None:
        """The platform rejected ``token``: fetch a new one next time (unless already replaced)."""
        if self._value == token:
            self._value = None
