"""The ``bizbot`` command line for operators."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from bot import app as composition
from bot import migrate
from bot.cli_approvals import register as register_approval_commands
from bot.cli_crm import crm_cli
from bot.cli_erp import erp_cli
from bot.cli_events import register as register_event_commands
from bot.cli_finance import register as register_finance_commands
from bot.cli_finance import register_import as register_finance_import
from bot.cli_mrp import mrp_cli
from bot.cli_timers import register as register_timer_commands
from bot.config import Settings
from bot.logging import configure_logging
from bot.pipeline import admin
from bot.ports import DeliveryError
from bot.terminal import err, out
from domain.directory import services as directory
from domain.directory.importer import export_org, import_org
from domain.directory.orgfile import OrgFileInvalid
from domain.shared.clock import SystemClock
from domain.shared.db import open_database
from domain.shared.errors import DomainError

T = TypeVar("T")
cli = typer.Typer(
    help="Bizbot: CRM, ERP and OA in your chat.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
org_cli = typer.Typer(help="The org directory.", no_args_is_help=True)
outbox_cli = typer.Typer(help="Outgoing messages: inspect, retry, drop.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(org_cli, name="org")
cli.add_typer(outbox_cli, name="outbox")
cli.add_typer(crm_cli, name="crm")
cli.add_typer(erp_cli, name="erp")
cli.add_typer(mrp_cli, name="mrp")
telegram_cli = typer.Typer(help="Telegram: connect the bot.", no_args_is_help=True)
cli.add_typer(telegram_cli, name="telegram")


def _settings() -> Settings:
    return Settings()


def _run(work: Callable[[Session], T]) -> T:
    """Migrate if needed, then run one unit of work on the configured database."""

    async def go() -> T:
        settings = _settings()
        await migrate.upgrade(settings.database_url.get_secret_value())
        db = open_database(settings.database_url.get_secret_value())
        try:
            return await db.run(work)
        finally:
            await db.dispose()

    return asyncio.run(go())


register_approval_commands(cli, _run)
register_timer_commands(cli, _run)
register_event_commands(cli, _run)
register_finance_commands(cli, _run)
register_finance_import(cli, _run)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err().print(f"[red]error:[/red] {escape(message)}", markup=True)
    return typer.Exit(code)


@cli.command()
def serve() -> None:
    """Run Bizbot: migrate the database and serve the web chat (BIZBOT_HOST, BIZBOT_PORT)."""
    try:
        asyncio.run(composition.serve(_settings()))
    except composition.CannotListen as exc:
        raise _fail(str(exc), 2) from exc


@cli.command("console")
def console_command(
    handle: Annotated[str, typer.Option("--as", help="The member to talk as.")],
) -> None:
    """Talk to Bizbot in this terminal as a member; reads one command per line from a pipe."""
    settings = _settings()
    configure_logging(json=settings.log_json, level="WARNING")
    terminal = Console(highlight=False)
    code = asyncio.run(
        composition.console(settings, handle, sys.stdin, sys.stdin.isatty(), terminal)
    )
    raise typer.Exit(code)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = _settings()
    asyncio.run(migrate.upgrade(settings.database_url.get_secret_value()))
    revision = asyncio.run(migrate.current_revision(settings.database_url.get_secret_value()))
    out().print(f"database at revision {revision}")


@db_cli.command("current")
def db_current() -> None:
    """Show the database's revision and the code's."""
    settings = _settings()
    revision = asyncio.run(migrate.current_revision(settings.database_url.get_secret_value()))
    out().print(f"database: {revision or 'empty'}  code: {migrate.head_revision()}")


@org_cli.command("import")
def org_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    prune: Annotated[bool, typer.Option(help="Deactivate members missing from the file.")] = False,
) -> None:
    """Import an org file (docs/ORG-FILE.md). All or nothing; importing twice changes nothing."""
    text = file.read_text(encoding="utf-8-sig")
    now = SystemClock().now()
    try:
        report = _run(lambda s: import_org(s, text, now, prune=prune))
    except OrgFileInvalid as exc:
        err().print(f"{file}: {len(exc.problems)} problem(s), nothing was imported:")
        for problem in exc.problems:
            err().print(f"  {problem}", markup=False)
        raise typer.Exit(1) from exc
    if not report.changed:
        out().print(f"{file}: nothing to change ({report.unchanged} members as in the file)")
        return
    for label, items in (
        ("departments created", report.departments_created),
        ("members created", report.members_created),
        ("members updated", report.members_updated),
        ("members deactivated", report.members_deactivated),
    ):
        if items:
            out().print(f"{label}: {', '.join(items)}", markup=False)


@org_cli.command("export")
def org_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the directory as an org file."""
    text = _run(export_org)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@cli.command()
def invite(handle: str) -> None:
    """Print a one-time bind code for a member to send as /bind CODE on a chat platform."""
    settings = _settings()
    now = SystemClock().now()
    ttl = timedelta(hours=settings.invite_ttl_hours)
    try:
        code = _run(lambda s: directory.create_bind_code(s, handle, now, ttl))
    except DomainError as exc:
        raise _fail(str(exc)) from exc
    out().print(f"/bind {code}")
    err().print(f"valid once, for {settings.invite_ttl_hours} hours", style="dim")


@cli.command("login-link")
def login_link(handle: str) -> None:
    """Print a one-time web chat login link for a member."""
    settings = _settings()
    now = SystemClock().now()
    ttl = timedelta(minutes=settings.login_link_ttl_minutes)
    try:
        secret = _run(lambda s: directory.create_login_link(s, handle, now, ttl))
    except DomainError as exc:
        raise _fail(str(exc)) from exc
    out().print(f"{settings.base_url()}/login/{secret}")
    err().print(f"valid once, for {settings.login_link_ttl_minutes} minutes", style="dim")


@outbox_cli.command("list")
def outbox_list(
    status: Annotated[
        str | None, typer.Option(help="pending, sending, sent, dead or dropped")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Show the newest outgoing messages (with --status dead: the dead letters and their errors)."""
    rows = _run(lambda s: admin.list_outbox(s, status, limit))
    counts = _run(admin.outbox_counts)
    table = Table("id", "channel", "to", "status", "tries", "created", "message", "last error")
    for r in rows:
        cells = (
            str(r.id), r.channel, r.conversation, r.status, str(r.attempts),
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"), r.summary, (r.last_error or "")[:60],
        )  # fmt: skip
        table.add_row(*map(Text, cells))  # text, never markup: it holds what members typed
    out().print(table)
    out().print("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "the outbox is empty")


@outbox_cli.command("retry")
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Row ids to send again.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead letter.")] = False,
) -> None:
    """Send dead letters again (the attempt count starts over)."""
    if not ids and not all_dead:
        raise _fail("give row ids or --all-dead", 2)
    now = SystemClock().now()
    count = _run(lambda s: admin.retry_outbox(s, ids or [], now, all_dead=all_dead))
    out().print(f"{count} message(s) queued again; a running bizbot sends them")


@outbox_cli.command("drop")
def outbox_drop(ids: Annotated[list[int], typer.Argument(help="Row ids to give up on.")]) -> None:
    """Give up on messages that were not sent (they stay listed as dropped)."""
    count = _run(lambda s: admin.drop_outbox(s, ids))
    out().print(f"{count} message(s) dropped")


@telegram_cli.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="https://YOUR-HOST/telegram/webhook")],
    drop_pending: Annotated[
        bool, typer.Option(help="Discard updates Telegram is still holding.")
    ] = False,
) -> None:
    """Tell Telegram to deliver updates to URL, with BIZBOT_TELEGRAM_SECRET_TOKEN."""
    settings = _settings()
    if settings.telegram_bot_token is None:
        raise _fail("set BIZBOT_TELEGRAM_BOT_TOKEN first (from @BotFather)")
    try:
        asyncio.run(composition.set_telegram_webhook(settings, url, drop_pending=drop_pending))
    except (ValueError, DeliveryError) as exc:
        raise _fail(str(exc)) from exc
    out().print(f"Telegram now delivers updates to {url}", markup=False)
    if not url.rstrip("/").endswith("/telegram/webhook"):
        err().print("note: Bizbot serves the webhook at /telegram/webhook", style="yellow")


def main() -> None:
    """Entry point of the ``bizbot`` script."""
    cli()
