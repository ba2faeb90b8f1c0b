"""``bizbot crm import``: customers and contacts from CSV files, for operators."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from bot import migrate
from bot.config import Settings
from bot.terminal import err, out
from domain.crm.importer import (
    Checked,
    ImportRefused,
    Record,
    Table,
    Tally,
    check_contacts,
    check_customers,
    customer_ids_by_key,
    owners_by_handle,
    problems_csv,
    read_table,
    save_records,
)
from domain.shared.clock import SystemClock
from domain.shared.db import Database, open_database

BATCH = 1000
crm_cli = typer.Typer(help="The CRM: import customers and contacts.", no_args_is_help=True)


@crm_cli.command("import")
def crm_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    all_or_nothing: Annotated[
        bool, typer.Option("--all-or-nothing", help="Import nothing if any row is broken.")
    ] = False,
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Where to write the problems (default NAME.errors.csv)."),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Handle of the owner for rows without one.")
    ] = None,
) -> None:
    """Import customers.csv or contacts.csv (docs/CRM.md); importing twice changes nothing."""
    try:
        table = read_table(file.read_bytes())
        checked, tally = asyncio.run(_import(Settings(), table, all_or_nothing, owner))
    except ImportRefused as exc:
        err().print(f"{file}: {exc}; nothing was imported", markup=False)
        raise typer.Exit(2) from exc
    report = errors or file.with_name(f"{file.stem}.errors.csv")
    _summarise(file, table, checked, tally, report, all_or_nothing)
    if checked.problems:
        report.write_text(problems_csv(checked.problems), encoding="utf-8-sig", newline="")
        raise typer.Exit(1)


async def _import(
    settings: Settings, table: Table, all_or_nothing: bool, owner: str | None
) -> tuple[Checked, Tally]:
    """Check every row, then save the good ones in batches (or all in one, or none)."""
    url = settings.database_url.get_secret_value()
    await migrate.upgrade(url)
    db = open_database(url)
    try:
        checked = await db.run(lambda s: _check(s, table, owner))
        if all_or_nothing and checked.problems:
            return checked, Tally()
        size = len(checked.records) if all_or_nothing else BATCH
        return checked, await _save(db, table, checked.records, max(size, 1))
    finally:
        await db.dispose()


def _check(session: Session, table: Table, owner: str | None) -> Checked:
    """Check the rows against the members and customers in the database."""
    if table.kind == "contacts":
        keys = [row.cells.get("customer_key", "") for row in table.rows]
        return check_contacts(table.rows, customer_ids_by_key(session, keys))
    owners = owners_by_handle(session)
    default = owners.get(owner.lstrip("@").lower()) if owner else None
    if owner and default is None:
        raise ImportRefused(f"--owner: no active member @{owner.lstrip('@')}")
    return check_customers(table.rows, owners, default)


async def _save(db: Database, table: Table, records: list[Record], size: int) -> Tally:
    """Save the records ``size`` to a transaction, with a progress bar on stderr."""
    tally = Tally()
    now = SystemClock().now()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err()) as progress:
        task = progress.add_task(f"importing {table.kind}", total=len(records))
        for start in range(0, len(records), size):
            batch = records[start : start + size]
            tally.add(await db.run(_saver(table, batch, now)))
            progress.advance(task, len(batch))
    return tally


def _saver(table: Table, batch: list[Record], now: datetime) -> Callable[[Session], Tally]:
    def work(session: Session) -> Tally:
        return save_records(session, table.kind, batch, now)

    return work


def _summarise(
    file: Path,
    table: Table,
    checked: Checked,
    tally: Tally,
    report: Path,
    all_or_nothing: bool,
) -> None:
    """The counts on stdout; how many rows were broken, and where they are listed, on stderr."""
    out().print(
        f"{file}: {tally.created} created, {tally.updated} updated, {tally.unchanged} unchanged"
        f" ({len(table.rows)} {table.kind} rows)",
        markup=False,
    )
    if checked.problems:
        what = "nothing was imported" if all_or_nothing else "the other rows were imported"
        err().print(
            f"{checked.broken_lines} broken row(s), {what}; the problems are in {report}",
            markup=False,
        )
