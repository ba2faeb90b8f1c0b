"""The console's ChannelClient: prints to the terminal and remembers button numbers."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from rich.console import Console

from adapters.console.render import render
from adapters.console.translate import CHANNEL
from bot.events import Address
from bot.replies import Message


class ConsoleClient:
    """Prints messages; ``choices`` maps the numbers shown on buttons to their tokens."""

    channel = CHANNEL

    def __init__(self, console: Console) -> None:
        self._console = console
        self.choices: dict[int, str] = {}
        self._ids = itertools.count(1)

    async def send(
        self, address: Address, message: Message, context: Mapping[str, str] | None = None
    ) -> str:
        """Print a new message."""
        self._print(message, edited=False)
        return f"c{next(self._ids)}"

    async def edit(
        self,
        address: Address,
        message_id: str,
        message: Message,
        context: Mapping[str, str] | None = None,
    ) -> None:
        """A terminal cannot change what it printed: print the new version, marked as updated."""
        self._print(message, edited=True)

    def pace(self, address: Address) -> float:
        """No limits on a terminal."""
        return 0.0

    def _print(self, message: Message, *, edited: bool) -> None:
        renderable, tokens = render(message, len(self.choices) + 1, edited=edited)
        for token in tokens:
            self.choices[len(self.choices) + 1] = token
        self._console.print(renderable)
