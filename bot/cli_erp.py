"""``bizbot erp import`` and ``bizbot erp export``: the ERP's master data and opening stock, for
operators (docs/ERP.md, "Import and export")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from bot import migrate
from bot.config import Settings
from bot.terminal import err, out
from domain.crm.customers import existing_customer_ids
from domain.directory.orgfile import Problem
from domain.erp.import_forecasts import forecasts_csv
from domain.erp.importer import (
    SECTIONS,
    ImportFile,
    Tally,
    export_erp_file,
    problems_in,
    read_erp_file,
    save_erp_file,
)
from domain.shared.clock import SystemClock
from domain.shared.csvfile import ImportRefused
from domain.shared.db import open_database
from domain.shared.yamlfile import DefinitionInvalid

erp_cli = typer.Typer(
    help="The ERP: import and export warehouses, suppliers, products, opening stock, price"
    " lists, work centres, bills of materials, routings and demand forecasts.",
    no_args_is_help=True,
)


@erp_cli.command("import")
def erp_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import a .yaml file (warehouses, suppliers, products, opening_stock, price_lists,
    prices, work_centres, boms, routings, forecasts) or a .csv file of one of them: every line is
    checked first, one problem means nothing is imported, and importing the same file again
    changes nothing."""
    try:
        read = read_erp_file(file.name, file.read_bytes())
        problems, tally = asyncio.run(_import(Settings(), read))
    except ImportRefused as exc:
        err().print(f"{file}: {exc}; nothing was imported", markup=False)
        raise typer.Exit(2) from exc
    except DefinitionInvalid as exc:
        _list_problems(file, exc.problems)
        raise typer.Exit(1) from exc
    if problems:
        _list_problems(file, problems)
        raise typer.Exit(1)
    out().print(f"{file}: {_summary(tally)}", markup=False)


@erp_cli.command("export")
def erp_export(
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of to stdout.")
    ] = None,
    forecasts: Annotated[
        bool, typer.Option("--forecasts", help="Only the demand forecasts, as forecasts.csv.")
    ] = False,
) -> None:
    """Write warehouses, suppliers, products, the stock each warehouse holds, the price
    lists, work centres, the bills of materials in force today, routings and demand forecasts,
    as a file ``bizbot erp import`` reads (the stock as opening stock at its moving-average
    cost); with ``--forecasts``, only the forecasts, as CSV (sku, period, quantity)."""
    text = asyncio.run(_export(Settings(), forecasts_csv if forecasts else None))
    if output is None:
        out().print(text, markup=False, end="", soft_wrap=True)
    else:
        output.write_text(text, encoding="utf-8")
        err().print(f"written to {output}", markup=False)


async def _import(settings: Settings, file: ImportFile) -> tuple[list[Problem], Tally]:
    """Check the whole file, then write it in one transaction, or nothing if it has problems."""
    url = settings.database_url.get_secret_value()
    await migrate.upgrade(url)
    db = open_database(url)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    now = SystemClock().now()
    try:
        with Progress(*columns, console=err()) as progress:
            task = progress.add_task("checking and importing", total=file.size)

            def work(session: Session) -> tuple[list[Problem], Tally]:
                progress.reset(task)  # a retried transaction starts again
                problems = problems_in(session, file, existing_customer_ids, now.date())
                if problems:
                    return problems, Tally()
                return [], save_erp_file(session, file, now, lambda: progress.advance(task))

            return await db.run(work)
    finally:
        await db.dispose()


async def _export(settings: Settings, only: Callable[[Session], str] | None) -> str:
    url = settings.database_url.get_secret_value()
    db = open_database(url)
    try:
        return await db.run(only or partial(export_erp_file, today=SystemClock().now().date()))
    finally:
        await db.dispose()


def _list_problems(file: Path, problems: list[Problem]) -> None:
    err().print(f"{file}: {len(problems)} problem(s), nothing was imported:", markup=False)
    for problem in problems:
        err().print(f"  {problem}", markup=False)


def _summary(tally: Tally) -> str:
    parts = []
    for section in SECTIONS:
        counts = tally.counts.get(section)
        if counts:
            said = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            parts.append(f"{section.replace('_', ' ')}: {said}")
    return "; ".join(parts) or "the file is empty"
