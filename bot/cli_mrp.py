"""``bizbot mrp run``: material requirements planning from the command line, as a table or as
JSON for other systems (docs/ERP.md, "Material requirements planning (MRP)")."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from bot import migrate
from bot.config import Settings
from bot.terminal import out
from domain.erp.mrp_records import Bucket, bucket_label, bucket_start
from domain.erp.planning import plan_as_json, run_mrp
from domain.shared.clock import SystemClock
from domain.shared.db import open_database
from domain.shared.recurrence import zone
from domain.worktime.services import work_calendar

mrp_cli = typer.Typer(help="Material requirements planning.", no_args_is_help=True)


@mrp_cli.command("run")
def mrp_run(
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    horizon: Annotated[
        int, typer.Option("--horizon", min=1, max=520, help="Plan this many weeks ahead.")
    ] = 12,
    bucket: Annotated[
        Bucket, typer.Option("--bucket", help="Group the planned orders by day or ISO week.")
    ] = Bucket.DAY,
) -> None:
    """Plan every product: the planned production and purchase orders with their release and
    due dates, and the exceptions (expedite, short, postpone, cancel). Nothing is written."""
    planned = asyncio.run(_plan(Settings(), horizon))
    for order in planned["orders"]:
        order["bucket"] = bucket_label(
            bucket_start(date.fromisoformat(order["release"]), bucket), bucket
        )
    if as_json:
        out().print(json.dumps(planned, ensure_ascii=False, indent=2), markup=False, soft_wrap=True)
        return
    out().print(_orders_table(planned))
    if planned["exceptions"]:
        out().print(_exceptions_table(planned))


async def _plan(settings: Settings, weeks: int) -> dict[str, Any]:
    url = settings.database_url.get_secret_value()
    await migrate.upgrade(url)
    db = open_database(url)

    def work(session: Session) -> dict[str, Any]:
        calendar = work_calendar(session)
        today = SystemClock().now().astimezone(zone(calendar.timezone)).date()
        plan = run_mrp(session, today, calendar, horizon=today + timedelta(weeks=weeks))
        return plan_as_json(plan, today)

    try:
        return await db.run(work)
    finally:
        await db.dispose()


def _orders_table(planned: dict[str, Any]) -> Table:
    table = Table("released in", "SKU", "kind", "quantity", "release", "due", "for",
                  title="Planned orders")  # fmt: skip
    for order in planned["orders"]:
        table.add_row(
            order["bucket"], order["sku"], order["kind"], order["quantity"], order["release"],
            order["due"], ", ".join(order["for"]),
        )  # fmt: skip
    return table


def _exceptions_table(planned: dict[str, Any]) -> Table:
    table = Table("kind", "SKU", "day", "quantity", "source", "to", title="Exceptions")
    for item in planned["exceptions"]:
        table.add_row(
            item["kind"], item["sku"], item["day"], item["quantity"], item["source"],
            item["to"] or "",
        )  # fmt: skip
    return table
