"""The console loop: read a line, hand it to the pipeline, wait until its replies are printed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TextIO

from rich.console import Console
from rich.prompt import Prompt

from adapters.console.client import ConsoleClient
from adapters.console.translate import address_of, line_to_event
from bot.events import Address
from bot.ports import Ingest

Settle = Callable[[Address], Awaitable[None]]


async def run_console(
    handle: str,
    client: ConsoleClient,
    ingest: Ingest,
    settle: Settle,
    *,
    stdin: TextIO,
    console: Console,
    interactive: bool,
) -> None:
    """Talk to Bizbot as ``handle`` until end of input; every reply is out before returning."""
    address = address_of(handle)
    await settle(address)  # replies left from an earlier session are shown first
    while True:
        line = await _read(stdin, console, interactive)
        if line is None:
            break
        event = line_to_event(handle, line, client.choices)
        if event is None:
            continue
        if not interactive:
            console.print(f"› {line.strip()}", style="dim", markup=False, highlight=False)
        await ingest(event)
        await settle(address)


async def _read(stdin: TextIO, console: Console, interactive: bool) -> str | None:
    if interactive:
        try:
            return await asyncio.to_thread(Prompt.ask, "[bold]›[/bold]", console=console)
        except (EOFError, KeyboardInterrupt):
            return None
    line = await asyncio.to_thread(stdin.readline)
    return line if line else None
