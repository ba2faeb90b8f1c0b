"""The console's ChannelClient: prints to the terminal and remembers button numbers."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console
from rich.text import Text

from adapters.console.render import render
from adapters.console.translate import CHANNEL
from bot.events import Address
from bot.replies import Attachment, Message


class ConsoleClient:
    """Prints messages; ``choices`` maps the numbers shown on buttons to their tokens.

    A message's files are written to ``files_dir`` (made when first needed) and their paths
    printed under it: a terminal cannot show a PDF.
    """

    channel = CHANNEL

    def __init__(self, console: Console, files_dir: Path | None = None) -> None:
        self._console = console
        self._files_dir = files_dir or Path("bizbot-files")
        self.choices: dict[int, str] = {}
        self._ids = itertools.count(1)

    async def send(
        self, address: Address, message: Message, context: Mapping[str, str] | None = None
    ) -> str:
        """Print a new message."""
        message_id = f"c{next(self._ids)}"
        self._print(message, edited=False)
        for file in message.attachments:
            path = self._save(message_id, file)
            self._console.print(Text(f"📎 {file.name}: {path}"))
        return message_id

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

    def _save(self, message_id: str, file: Attachment) -> Path:
        """Write a file under a folder of its own: same-named files of two messages both stay."""
        folder = self._files_dir / f"{file.file_id or message_id}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / Path(file.name).name
        path.write_bytes(file.data)
        return path.resolve()

    def _print(self, message: Message, *, edited: bool) -> None:
        renderable, tokens = render(message, len(self.choices) + 1, edited=edited)
        for token in tokens:
            self.choices[len(self.choices) + 1] = token
        self._console.print(renderable)
