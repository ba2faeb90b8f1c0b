"""``bizbot crm import``: customers and contacts from CSV files, for operators."""

from __future__ import annotations

import asyncio
from functools import partial
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
from domain.shared.csvfile import ImportRefused
from domain.shared.db import Database, open_database

BATCH = 1000
crm_cli = typer.Typer(help="The CRM: import customers and contacts.", no_args_is_help=True)


@crm_cli.command("import")
def crm_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    skip_broken: Annotated[
        bool,
        typer.Option("--skip-broken", help="Import the good rows even if some are broken."),
    ] = False,
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Where to write the problems (default NAME.errors.csv)."),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Handle of the owner for rows without one.")
    ] = None,
) -> None:
    """Import customers.csv or contacts.csv (docs/CRM.md): every row is checked first, and one
    broken row means nothing is imported (unless --skip-broken); importing twice changes nothing."""
    try:
        table = read_table(file.read_bytes())
        checked, tally = asyncio.run(_import(Settings(), table, not skip_broken, owner))
    except ImportRefused as exc:
        err().print(f"{file}: {exc}; nothing was imported", markup=False)
        raise typer.Exit(2) from exc
    report = errors or file.with_name(f"{file.stem}.errors.csv")
    _summarise(file, table, checked, tally, report, not skip_broken)
    if checked.problems:
        report.write_text(problems_csv(checked.problems), encoding="utf-8-sig", newline="")
        raise typer.Exit(1)


async def _import(
    settings: Settings, table: Table, all_or_nothing: bool, owner: str | None
) -> tuple[Checked, Tally]:
    """Check every row, then save them all in one transaction, or none if any is broken
    (``all_or_nothing``); or else save the good ones batch by batch."""
    url = settings.database_url.get_secret_value()
    await migrate.upgrade(url)
    db = open_database(url)
    try:
        checked = await db.run(lambda s: _check(s, table, owner))
        if all_or_nothing and checked.problems:
            return checked, Tally()
        return checked, await _save(db, table, checked.records, in_one=all_or_nothing)
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


async def _save(db: Database, table: Table, records: list[Record], *, in_one: bool) -> Tally:
    """Save the records a batch at a time, all in one transaction (``in_one``) or each batch in
    its own, with a progress bar on stderr."""
    now = SystemClock().now()
    batches = [records[start : start + BATCH] for start in range(0, len(records), BATCH)]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err()) as progress:
        task = progress.add_task(f"importing {table.kind}", total=len(records))

        def saved(session: Session, batch: list[Record]) -> Tally:
            tally = save_records(session, table.kind, batch, now)
            progress.advance(task, len(batch))
            return tally

        def all_in_one(session: Session) -> Tally:
            progress.reset(task)  # a retried transaction starts again
            tally = Tally()
            for batch in batches:
                tally.add(saved(session, batch))
            return tally

        if in_one:
            return await db.run(all_in_one)
        tally = Tally()
        for batch in batches:
            tally.add(await db.run(partial(saved, batch=batch)))
        return tally


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
            f"{checked.broken_lines} broken row(s), {len(checked.problems)} problem(s), {what};"
            f" they are also in {report}:",
            markup=False,
        )
        for problem in sorted(checked.problems, key=lambda p: p.line):
            where = f", {problem.column}" if problem.column else ""
            err().print(f"  line {problem.line}{where}: {problem.problem}", markup=False)
