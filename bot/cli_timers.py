"""``bizbot timers``: see pending and failed timers, re-arm failed ones, cancel them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from bot.terminal import err, out
from domain.directory.services import member_views
from domain.shared.errors import DomainError
from domain.timers.admin import cancel_timers, count_by_status, list_timers, retry_failed
from domain.timers.services import TimerView

Runner = Callable[[Callable[[Session], Any]], Any]
IDS_HELP = "Timer ids (from bizbot timers list)."


@dataclass(frozen=True, slots=True)
class Listing:
    """Timers to show, their owners' handles, and how many timers are in each status."""

    timers: list[TimerView]
    owners: dict[int, str]
    counts: dict[str, int]


def register(cli: typer.Typer, migrated: Runner) -> None:
    """Add ``bizbot timers list|retry|cancel`` to the ``bizbot`` command line."""
    timers_cli = typer.Typer(
        help="Timers (reminders, alarms, digests): inspect, retry, cancel.", no_args_is_help=True
    )
    cli.add_typer(timers_cli, name="timers")

    @timers_cli.command("list")
    def timers_list(
        failed: Annotated[
            bool, typer.Option("--failed", help="Failed timers, newest first, with their error.")
        ] = False,
        limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    ) -> None:
        """Show pending timers, soonest first (with --failed: those that gave up, and why)."""
        listing: Listing = migrated(lambda s: _listing(s, failed=failed, limit=limit))
        table = Table("id", "kind", "subject", "owner", "due (UTC)", "repeats", "status", "tries",
                      "next try (UTC)", "last error")  # fmt: skip
        for timer in listing.timers:
            table.add_row(
                *map(Text, _cells(timer, listing.owners))
            )  # never markup: members typed it
        out().print(table)
        summary = "  ".join(f"{k}: {v}" for k, v in sorted(listing.counts.items()))
        out().print(summary or "there are no timers", markup=False)

    @timers_cli.command("retry")
    def timers_retry(ids: Annotated[list[int], typer.Argument(help=IDS_HELP)]) -> None:
        """Re-arm failed timers: due now, with their attempts starting over."""
        count = _changed(migrated, lambda s: retry_failed(s, ids))
        out().print(f"{count} timer(s) re-armed; a running bizbot fires them", markup=False)

    @timers_cli.command("cancel")
    def timers_cancel(ids: Annotated[list[int], typer.Argument(help=IDS_HELP)]) -> None:
        """Cancel pending or failed timers (a repeating one stops for good)."""
        count = _changed(migrated, lambda s: cancel_timers(s, ids))
        out().print(f"{count} timer(s) cancelled", markup=False)


def _listing(session: Session, *, failed: bool, limit: int) -> Listing:
    timers = list_timers(session, failed=failed, limit=limit)
    views = member_views(session, {t.owner_id for t in timers if t.owner_id is not None})
    owners = {member_id: f"@{view.handle}" for member_id, view in views.items()}
    return Listing(timers, owners, count_by_status(session))


def _cells(timer: TimerView, owners: dict[int, str]) -> tuple[str, ...]:
    return (
        str(timer.id),
        timer.kind,
        timer.subject,
        owners.get(timer.owner_id, "") if timer.owner_id is not None else "",
        _when(timer.due_at),
        "yes" if timer.recurrence else "",
        timer.status,
        str(timer.attempts),
        _when(timer.next_attempt_at),
        (timer.last_error or "")[:80],
    )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _changed(migrated: Runner, work: Callable[[Session], int]) -> int:
    """Run a change; a refused one is printed on stderr and exits with 1 (nothing changed)."""
    try:
        return int(migrated(work))
    except DomainError as exc:
        err().print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from exc
