"""``bizbot events``: domain events a consumer could not apply; retry or skip them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from bot.terminal import out
from domain.flows.admin import FailedEvent, failed_events, retry_events, skip_events
from domain.shared.clock import SystemClock

Runner = Callable[[Callable[[Session], Any]], Any]
IDS_HELP = "Ids from bizbot events list (the first column)."


def register(cli: typer.Typer, migrated: Runner) -> None:
    """Add ``bizbot events list|retry|skip`` to the ``bizbot`` command line."""
    events_cli = typer.Typer(
        help="Domain events a consumer could not apply: inspect, retry, skip.",
        no_args_is_help=True,
    )
    cli.add_typer(events_cli, name="events")

    @events_cli.command("list")
    def events_list(
        everything: Annotated[bool, typer.Option("--all", help="Skipped events too.")] = False,
        limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    ) -> None:
        """Show parked and retrying events, newest first, with their last error."""
        rows: list[FailedEvent] = migrated(
            lambda s: failed_events(s, everything=everything, limit=limit)
        )
        table = Table("id", "consumer", "event", "name", "source", "status", "tries",
                      "next try (UTC)", "last error")  # fmt: skip
        for row in rows:
            table.add_row(*map(Text, _cells(row)))  # never markup: payloads are typed by people
        out().print(table)
        if not rows:
            out().print("no consumer has a failed event", markup=False)

    @events_cli.command("retry")
    def events_retry(ids: Annotated[list[int], typer.Argument(help=IDS_HELP)]) -> None:
        """Try parked (or skipped) events again now, their attempts starting over."""
        now = SystemClock().now()
        count = int(migrated(lambda s: retry_events(s, ids, now)))
        out().print(f"{count} event(s) to retry; a running bizbot applies them", markup=False)

    @events_cli.command("skip")
    def events_skip(ids: Annotated[list[int], typer.Argument(help=IDS_HELP)]) -> None:
        """Give up on parked or retrying events: their consumer will not apply them."""
        now = SystemClock().now()
        count = int(migrated(lambda s: skip_events(s, ids, now)))
        out().print(f"{count} event(s) skipped", markup=False)


def _cells(row: FailedEvent) -> tuple[str, ...]:
    return (
        str(row.id),
        row.consumer,
        str(row.event_id),
        row.event_name,
        row.source,
        row.status,
        str(row.attempts),
        _when(row.next_attempt_at),
        row.last_error[:80],
    )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""
