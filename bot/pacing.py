"""Sliding-window rate limits: adapters pace sends before a platform has to refuse them."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

SWEEP_EVERY = 1000


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` sends per ``period`` seconds."""

    count: int
    period: float


Rule = tuple[str, tuple[Limit, ...]]


class Pacer:
    """Books send slots so that every limit on every key holds (e.g. per chat and overall).

    Slots per key only move forward, so a limit holds when the window ending at the new slot
    has room.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._booked: dict[str, deque[float]] = {}
        self._horizon: dict[str, float] = {}
        self._calls = 0

    def reserve(self, *rules: Rule) -> float:
        """Book the earliest slot that satisfies all ``rules``; return the seconds until it."""
        now = self._clock()
        slot = max([now, *(self._booked[k][-1] for k, _ in rules if self._booked.get(k))])
        moved = True
        while moved:
            moved = False
            for key, limits in rules:
                later = self._earliest(self._booked.get(key, deque()), limits, slot)
                if later > slot:
                    slot, moved = later, True
        for key, limits in rules:
            self._book(key, limits, slot, now)
        self._sweep(now)
        return slot - now

    @staticmethod
    def _earliest(booked: deque[float], limits: tuple[Limit, ...], slot: float) -> float:
        for limit in limits:
            if len(booked) >= limit.count and booked[-limit.count] > slot - limit.period:
                slot = booked[-limit.count] + limit.period
        return slot

    def _book(self, key: str, limits: tuple[Limit, ...], slot: float, now: float) -> None:
        booked = self._booked.setdefault(key, deque())
        booked.append(slot)
        horizon = max(limit.period for limit in limits)
        self._horizon[key] = horizon
        keep = max(limit.count for limit in limits)
        while len(booked) > keep or (booked and booked[0] <= now - horizon):
            booked.popleft()

    def _sweep(self, now: float) -> None:
        self._calls += 1
        if self._calls % SWEEP_EVERY:
            return
        for key in [k for k, b in self._booked.items() if not b or b[-1] <= now - self._horizon[k]]:
            del self._booked[key]
            del self._horizon[key]
