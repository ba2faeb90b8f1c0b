"""``bizbot budgets import``: a month's budgets per department and account from a CSV file,
for operators (docs/FINANCE.md, "Budgets")."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from bot import migrate
from bot.config import Settings
from bot.terminal import err, out
from domain.directory.orgfile import Problem
from domain.finance.budget_import import read_budget_file, save_budget_file
from domain.shared.clock import SystemClock
from domain.shared.csvfile import ImportRefused
from domain.shared.db import open_database

budgets_cli = typer.Typer(
    help="Budgets per department, account and month: import them from CSV.",
    no_args_is_help=True,
)


@budgets_cli.command("import")
def budgets_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import a .csv file with the columns department, account, month (2026-12), amount and
    optionally owner (a handle): every row is checked first, one problem means nothing is
    imported, and importing the same file again changes nothing."""
    try:
        problems, tally = asyncio.run(_import(Settings(), file.read_bytes()))
    except ImportRefused as exc:
        err().print(f"{file}: {exc}; nothing was imported", markup=False)
        raise typer.Exit(2) from exc
    if problems:
        err().print(f"{file}: {len(problems)} problem(s), nothing was imported:", markup=False)
        for problem in problems:
            err().print(f"  {problem}", markup=False)
        raise typer.Exit(1)
    said = ", ".join(f"{n} {outcome}" for outcome, n in sorted(tally.items()))
    out().print(f"{file}: budgets: {said or 'the file is empty'}", markup=False)


async def _import(settings: Settings, data: bytes) -> tuple[list[Problem], Counter[str]]:
    """Check the whole file, then write it in one transaction, or nothing if it has problems."""
    url = settings.database_url.get_secret_value()
    await migrate.upgrade(url)
    db = open_database(url)
    now = SystemClock().now()

    def work(session: Session) -> tuple[list[Problem], Counter[str]]:
        read = read_budget_file(session, data)
        if read.problems:
            return read.problems, Counter()
        return [], save_budget_file(session, read, now)

    try:
        return await db.run(work)
    finally:
        await db.dispose()
