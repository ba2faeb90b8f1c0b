"""``bizbot approvals``, ``bizbot leave`` and ``bizbot holidays``: approval templates, leave
allocations and the work calendar, for operators."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from bot.terminal import err, out
from domain.approvals.catalog import (
    current_templates,
    ensure_bundled,
    import_templates,
    template_version,
)
from domain.approvals.leave import allocate, balances, import_allocations
from domain.approvals.people import member_id_by_handle
from domain.shared.clock import SystemClock
from domain.shared.errors import DomainError
from domain.shared.yamlfile import DefinitionInvalid
from domain.worktime.services import import_work_calendar

T = TypeVar("T")
Runner = Callable[[Callable[[Session], Any]], Any]


def register(cli: typer.Typer, migrated: Runner) -> None:
    """Add the approval, leave and holiday commands to the ``bizbot`` command line."""

    def run(work: Callable[[Session], Any]) -> Any:
        """One unit of work, with the bundled templates stored first (as ``serve`` does)."""
        now = SystemClock().now()
        return migrated(lambda s: (ensure_bundled(s, now), work(s))[1])

    approvals_cli = typer.Typer(help="Approval templates.", no_args_is_help=True)
    leave_cli = typer.Typer(help="Leave allocations and balances.", no_args_is_help=True)
    holidays_cli = typer.Typer(
        help="The work calendar: holidays, make-up days, hours.", no_args_is_help=True
    )
    cli.add_typer(approvals_cli, name="approvals")
    cli.add_typer(leave_cli, name="leave")
    cli.add_typer(holidays_cli, name="holidays")

    @approvals_cli.command("import")
    def approvals_import(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    ) -> None:
        """Add or update templates (docs/APPROVALS.md); a changed one gets a new version."""
        text = file.read_text(encoding="utf-8-sig")
        now = SystemClock().now()
        report = _checked(file, lambda: run(lambda s: import_templates(s, text, now)))
        for key, version in report.created:
            out().print(
                f"{key}: version {version} (new requests use it; requests in flight keep theirs)",
                markup=False,
            )
        for key in report.unchanged:
            out().print(f"{key}: unchanged", markup=False)

    @approvals_cli.command("list")
    def approvals_list() -> None:
        """Show every template's newest version."""
        table = Table("key", "version", "name", "zh_CN", "origin")
        for v in run(current_templates):
            cells = (
                v.spec.key,
                str(v.version),
                v.spec.name["en"],
                v.spec.name.get("zh_CN", ""),
                "bundled" if v.bundled else "imported",
            )
            table.add_row(*map(Text, cells))
        out().print(table)

    @approvals_cli.command("export")
    def approvals_export(
        key: str, version: Annotated[int | None, typer.Option(help="A stored version.")] = None
    ) -> None:
        """Print a template's YAML (to edit and import again)."""
        found = next((v for v in run(current_templates) if v.spec.key == key), None)
        if found is None:
            err().print(f"error: no template {key!r}", markup=False)
            raise typer.Exit(1)
        chosen = run(lambda s: _source(s, key, version or found.version))
        out().print(chosen, markup=False, end="")

    @leave_cli.command("allocate")
    def leave_allocate(
        target: Annotated[
            str, typer.Argument(help="A YAML file of allocations, or a member's handle.")
        ],
        leave_type: Annotated[
            str | None, typer.Argument(help="The leave type (with a handle).")
        ] = None,
        days: Annotated[
            str | None, typer.Argument(help="Days for the year (with a handle).")
        ] = None,
        year: Annotated[
            int | None, typer.Option(help="The year (with a handle); default this year.")
        ] = None,
    ) -> None:
        """Set yearly leave allocations, from a file or for one member (idempotent)."""
        now = SystemClock().now()
        path = Path(target)
        if path.is_file():
            text = path.read_text(encoding="utf-8-sig")
            found = _checked(path, lambda: run(lambda s: import_allocations(s, text, now)))
            out().print(f"{len(found)} allocation(s) set", markup=False)
            return
        if leave_type is None or days is None:
            err().print("error: give HANDLE TYPE DAYS, or a YAML file", markup=False)
            raise typer.Exit(2)
        amount = _days(days)
        member = run(lambda s: member_id_by_handle(s, target))
        if member is None:
            err().print(f"error: no active member {target!r}", markup=False)
            raise typer.Exit(1)
        when = year or now.year
        result = run(lambda s: allocate(s, member, leave_type, when, amount, now))
        out().print(
            f"{target} {leave_type} {when}: {_plain(result.allocated)} allocated, "
            f"{_plain(result.available)} available",
            markup=False,
        )

    @leave_cli.command("balance")
    def leave_balance(
        handle: str, year: Annotated[int | None, typer.Option(help="Default: this year.")] = None
    ) -> None:
        """Show a member's leave balances."""
        member = run(lambda s: member_id_by_handle(s, handle))
        if member is None:
            err().print(f"error: no active member {handle!r}", markup=False)
            raise typer.Exit(1)
        when = year or SystemClock().now().year
        table = Table("type", "allocated", "pending", "used", "available")
        for b in run(lambda s: balances(s, member, when)):
            cells = (b.allocated, b.held, b.used, b.available)
            table.add_row(Text(b.leave_type), *(Text(_plain(c)) for c in cells))
        out().print(table)

    @holidays_cli.command("import")
    def holidays_import(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    ) -> None:
        """Add holidays, make-up working days and the working hours (docs/APPROVALS.md)."""
        text = file.read_text(encoding="utf-8-sig")
        result = _checked(file, lambda: run(lambda s: import_work_calendar(s, text)))
        start, end = result.hours
        out().print(
            f"{result.holidays} holiday(s), {result.workdays} make-up day(s); "
            f"hours {start:%H:%M}-{end:%H:%M}",
            markup=False,
        )


def _checked(file: Path, work: Callable[[], T]) -> T:
    try:
        return work()
    except DefinitionInvalid as exc:
        err().print(f"{file}: {len(exc.problems)} problem(s), nothing was imported:", markup=False)
        for problem in exc.problems:
            err().print(f"  {problem}", markup=False)
        raise typer.Exit(1) from exc
    except DomainError as exc:
        err().print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from exc


def _days(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise typer.BadParameter(f"not a number of days: {text}") from exc
    if not value.is_finite() or value < 0:
        raise typer.BadParameter(f"not a number of days: {text}")
    return value


def _plain(days: Decimal) -> str:
    return format(days.normalize(), "f")


def _source(session: Session, key: str, version: int) -> str:
    from domain.approvals.models import ApprovalTemplate

    template_version(session, key, version)
    row = session.get(ApprovalTemplate, (key, version))
    assert row is not None
    return row.source
