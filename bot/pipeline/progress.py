"""A signal that the pipeline moved: an event was handled or a delivery's outcome recorded."""

from __future__ import annotations

import asyncio


class Progress:
    """Lets a waiter (``Runtime.settle``) sleep until the pipeline next moves, not poll."""

    def __init__(self) -> None:
        self._moved = asyncio.Event()

    def moved(self) -> None:
        """Something was handled or delivered: wake whoever waits."""
        self._moved.set()
        self._moved = asyncio.Event()

    def next_move(self) -> asyncio.Event:
        """An event that is set at the next move (take it before looking at the backlog)."""
        return self._moved
