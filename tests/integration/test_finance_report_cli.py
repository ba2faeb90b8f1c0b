"""``bizbot report`` on the hand-checked month: JSON, XLSX, PDF and PNG files with the statement's
figures; a range with --from/--to; a month that is none and books not set up are refused with a
clear message and exit code 2, and no file is written."""

from __future__ import annotations

import io
import json
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy.orm import Session

from domain.finance.bar_chart import HEIGHT, WIDTH
from domain.finance.charts import install_chart
from domain.finance.posting import post_entry
from domain.shared.db import open_database
from tests.integration.erp_rig import NOW
from tests.integration.test_finance_statements import entries
from tests.processes import bot_env, run_cli


async def month_posted(url: str) -> None:
    database = open_database(url)

    def posting(session: Session) -> None:
        install_chart(session, "prc_small")
        for entry in entries("prc_small"):
            post_entry(session, entry, NOW)

    try:
        await database.run(posting)
    finally:
        await database.dispose()


async def test_report_files(sqlite_url: str, tmp_path: Path) -> None:
    await month_posted(sqlite_url)
    env = bot_env(sqlite_url)
    out = tmp_path / "bs.json"
    done = run_cli("report", "bs", "--period", "2026-11", "--format", "json", "-o", out, env=env)
    assert done.returncode == 0, done.stderr
    rows = {row["key"]: row for row in json.loads(out.read_text(encoding="utf-8"))["rows"]}
    assert rows["total_assets"]["values"] == ["607000.00", "0.00"]
    sheet = tmp_path / "pl.xlsx"
    done = run_cli(
        "report", "pl", "--from", "2026-10", "--to", "2026-11", "--department", "sales",
        "--format", "xlsx", "-o", sheet, "--locale", "en", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    book = load_workbook(io.BytesIO(sheet.read_bytes()), data_only=True)
    figures = {row[0]: row[1] for row in book.active.iter_rows(min_row=6, values_only=True)}
    assert figures["Net profit"] == 30000
    pdf = tmp_path / "cf.pdf"
    done = run_cli("report", "cf", "--period", "2026-11", "--format", "pdf", "-o", pdf, env=env)
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    chart = tmp_path / "tb.png"
    done = run_cli("report", "tb", "--period", "2026-11", "--format", "png", "-o", chart, env=env)
    assert done.returncode == 0, done.stderr
    assert Image.open(chart).size == (WIDTH, HEIGHT)


async def test_bad_periods_and_empty_books_are_refused(sqlite_url: str, tmp_path: Path) -> None:
    env = bot_env(sqlite_url)
    out = tmp_path / "none.json"
    done = run_cli("report", "pl", "--period", "2026-11", "--format", "json", "-o", out, env=env)
    assert done.returncode == 2 and "not set up" in done.stderr
    await month_posted(sqlite_url)
    done = run_cli("report", "pl", "--period", "2026-13", "--format", "json", "-o", out, env=env)
    assert done.returncode == 2 and "2026-13 is not a month" in done.stderr
    done = run_cli("report", "pl", "--format", "json", "-o", out, env=env)
    assert done.returncode == 2 and "--period" in done.stderr
    assert not out.exists()
