"""``bizbot report``: a financial statement as JSON, XLSX, PDF or its chart as PNG, for
operators and for other systems (docs/FINANCE.md, "Outputs"). The operator on the server sees
the whole books: there is no member here to limit (chat's /report does that).
``bizbot finance import``: accounts, journal entries and opening balances, and budgets from CSV
(docs/FINANCE.md, "Import")."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from bot.terminal import err, out
from domain.finance.bar_chart import render_png
from domain.finance.import_files import Outcome, finance_file, import_files
from domain.finance.render import render_json, render_pdf, render_xlsx
from domain.finance.statements import Month, Span, Statement, statement
from domain.shared.clock import SystemClock
from domain.shared.csvfile import ImportRefused
from domain.shared.errors import DomainError

Runner = Callable[[Callable[[Session], Any]], Any]
RENDERERS: dict[str, Callable[[Statement, str], bytes]] = {
    "json": render_json,
    "xlsx": render_xlsx,
    "pdf": render_pdf,
    "png": render_png,
}


class Kind(StrEnum):
    """The statements, as the command line names them."""

    PL = "pl"
    BS = "bs"
    CF = "cf"
    TB = "tb"


class Chart(StrEnum):
    """The shipped charts of accounts (``domain.finance.charts.CHARTS``)."""

    PRC_SMALL = "prc_small"
    IFRS_BASIC = "ifrs_basic"


class Format(StrEnum):
    """The files a statement is written as."""

    JSON = "json"
    XLSX = "xlsx"
    PDF = "pdf"
    PNG = "png"


def span_of(period: str | None, first: str | None, last: str | None) -> Span:
    """``--period`` or ``--from``/``--to`` as a span of months (``DomainError`` if unusable)."""
    if period is not None and (first or last):
        raise DomainError("Give --period or --from and --to, not both.")
    if period is not None:
        return Span.month(Month.parse(period))
    if first is None or last is None:
        raise DomainError("Give --period YYYY-MM, or --from YYYY-MM and --to YYYY-MM.")
    return Span(Month.parse(first), Month.parse(last))


def register(cli: typer.Typer, migrated: Runner) -> None:
    """Add ``bizbot report`` to the ``bizbot`` command line."""

    @cli.command("report")
    def report(
        kind: Annotated[Kind, typer.Argument(help="pl, bs, cf or tb.")],
        output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
        file_format: Annotated[
            Format, typer.Option("--format", help="json, xlsx, pdf or png (the chart).")
        ],
        period: Annotated[str | None, typer.Option("--period", help="One month: 2026-11.")] = None,
        first: Annotated[str | None, typer.Option("--from", help="First month.")] = None,
        last: Annotated[str | None, typer.Option("--to", help="Last month.")] = None,
        department: Annotated[
            str | None, typer.Option("--department", help="One department's figures.")
        ] = None,
        locale: Annotated[str, typer.Option("--locale", help="zh_CN or en.")] = "zh_CN",
    ) -> None:
        """Write a statement (pl income statement, bs balance sheet, cf cash flow, tb trial
        balance) for a month or a range of months, with the previous period beside it."""
        try:
            span = span_of(period, first, last)
            shown: Statement = migrated(lambda s: statement(s, kind.value, span, department))
            data = RENDERERS[file_format.value](shown, locale)
        except DomainError as exc:
            err().print(f"bizbot report: {exc}", markup=False)
            raise typer.Exit(2) from exc
        output.write_bytes(data)
        out().print(f"{shown.title(locale)} {shown.span}: {output} ({len(data):,} bytes)")


def register_import(cli: typer.Typer, migrated: Runner) -> None:
    """Add ``bizbot finance import`` to the ``bizbot`` command line."""
    finance_cli = typer.Typer(
        help="The books: import accounts, journal entries and budgets.", no_args_is_help=True
    )
    cli.add_typer(finance_cli, name="finance")

    @finance_cli.command("import")
    def finance_import(
        files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
        chart: Annotated[
            Chart | None,
            typer.Option("--chart", help="Install this shipped chart first (sets up the books)."),
        ] = None,
    ) -> None:
        """Import CSV files, each told by its header: accounts (code,name_zh[,name_en,type,
        parent,side]: sub-accounts added to the chart), journal entries and opening balances
        (entry,date,journal,account,debit,credit[,department,project,memo]) and budgets
        (department,account,month,amount[,owner]). Accounts go first, then entries, then
        budgets, in one transaction: a file with problems lists them and nothing of any file
        is imported; importing the same files again changes nothing."""
        read = []
        for file in files:
            try:
                read.append(finance_file(str(file), file.read_bytes()))
            except ImportRefused as exc:
                err().print(f"{file}: {exc}; nothing was imported", markup=False)
                raise typer.Exit(2) from exc
        now = SystemClock().now()
        key = chart.value if chart is not None else None
        try:
            outcome: Outcome = migrated(lambda s: import_files(s, read, now, key))
        except DomainError as exc:
            err().print(f"bizbot finance import: {exc}; nothing was imported", markup=False)
            raise typer.Exit(2) from exc
        if outcome.problems:
            err().print(
                f"{outcome.stopped_at}: {len(outcome.problems)} problem(s), nothing was imported:",
                markup=False,
            )
            for problem in outcome.problems:
                err().print(f"  {problem}", markup=False)
            raise typer.Exit(1)
        for line in outcome.said:
            out().print(line, markup=False)
