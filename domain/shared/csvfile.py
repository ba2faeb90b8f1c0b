"""Reading the CSV files operators import (``bizbot crm import``, ``bizbot erp import``): UTF-8
with or without Excel's BOM, a header of column names, and each data row with its line number."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

BOM = b"\xef\xbb\xbf"


class ImportRefused(Exception):
    """The file cannot be read at all (encoding, header); nothing was imported."""


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of the file: its line number and its cells by column name."""

    line: int
    cells: dict[str, str]


def read_csv(data: bytes) -> tuple[list[str], list[Row]]:
    """The header (lower-case names) and the rows that have any content; cells beyond the
    header are kept under the column ''."""
    reader = csv.DictReader(io.StringIO(decoded_text(data), newline=""))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = header
    rows = [Row(reader.line_num, _cells(raw)) for raw in reader if _has_content(raw)]
    return header, rows


def decoded_text(data: bytes) -> str:
    """The file as text: UTF-8 (a BOM is dropped); UTF-16 and GBK are refused with advice."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused("the file is UTF-16; save it as CSV UTF-8 and try again")
    try:
        return data.removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            f"the file is not UTF-8 (byte {exc.start + 1} cannot be read; GBK?); "
            "save it as 'CSV UTF-8' and try again"
        ) from exc


def _cells(raw: dict[str | None, Any]) -> dict[str, str]:
    cells = {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str)}
    extra = raw.get(None)
    if extra and any(str(v).strip() for v in extra):
        cells[""] = ";".join(str(v) for v in extra)
    return cells


def _has_content(raw: dict[str | None, Any]) -> bool:
    return any(str(v).strip() for k, v in raw.items() if k is not None and v)
