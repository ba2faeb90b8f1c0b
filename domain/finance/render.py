"""A statement as JSON, XLSX (xlsxwriter) and PDF (reportlab), in the reader's language.

The words are the statement's own (line labels, titles and column names in Chinese and English,
kept with the line mapping like the accounts' names) plus the few below, so a Chinese reader's
file holds Chinese only. In the XLSX every total is a formula over the lines it adds, with its
value cached, so a spreadsheet shows the figures without recalculating and a changed line
changes its totals. The PDF embeds WenQuanYi Micro Hei (Debian package fonts-wqy-microhei):
without it Chinese cannot be drawn, so a missing font is an error, not a PDF of empty boxes.

xlsxwriter and reportlab are imported when a file is made, not with the module: a serving
process that makes none does not carry them (about 18 MB)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from domain.finance.statement_lines import LAYOUTS
from domain.finance.statements import COLUMNS, Row, Statement, money
from domain.shared.errors import DomainError

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_NAME = "WenQuanYiMicroHei"
WORDS = {
    "item": ("项目", "Item"),
    "code": ("科目编码", "Account"),
    "period": ("期间", "Period"),
    "previous": ("上期", "Previous period"),
    "department": ("部门", "Department"),
    "all": ("全部部门", "All departments"),
    "unit": ("单位：元", "Amounts in CNY"),
}
FIRST_ROW = 5  # the sheet row of the first line, under the title, header and column heads
MONEY_FORMAT = "#,##0.00;-#,##0.00"


def word(key: str, locale: str) -> str:
    """One of the renderers' own words in the reader's language."""
    zh, en = WORDS.get(key) or COLUMNS[key]
    return zh if locale.startswith("zh") else en


def render_json(statement: Statement, locale: str) -> bytes:
    """The statement as JSON: its header and each row with its figures as decimal strings."""
    document = {
        "statement": statement.kind,
        "title": statement.title(locale),
        "chart": statement.chart,
        "period": str(statement.span),
        "previous_period": str(statement.previous),
        "department": statement.department,
        "columns": list(statement.columns),
        "rows": [
            {
                "key": row.key,
                "label": row.label(locale),
                "kind": row.kind,
                "values": [str(value) for value in row.values],
            }
            for row in statement.rows
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _header_lines(statement: Statement, locale: str) -> list[str]:
    department = statement.department or word("all", locale)
    colon = "：" if locale.startswith("zh") else ": "
    return [
        f"{word('period', locale)}{colon}{statement.span}    "
        f"{word('previous', locale)}{colon}{statement.previous}",
        f"{word('department', locale)}{colon}{department}    {word('unit', locale)}",
    ]


def _first_columns(statement: Statement, locale: str) -> list[str]:
    if statement.kind == "tb":
        return [word("code", locale), word("item", locale)]
    return [word("item", locale)]


def render_xlsx(statement: Statement, locale: str) -> bytes:
    """The statement as one sheet named after it (资产负债表 …), money formatted, totals as
    formulas with their values cached."""
    import xlsxwriter  # only when a file is made (module docstring)

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(statement.title(locale)[:31])
    formats = _xlsx_formats(book)
    sheet.write(0, 0, statement.title(locale), formats["title"])
    for offset, line in enumerate(_header_lines(statement, locale), start=1):
        sheet.write(offset, 0, line)
    heads = _first_columns(statement, locale) + [word(c, locale) for c in statement.columns]
    for column, head in enumerate(heads):
        sheet.write(4, column, head, formats["head"])
    labels = len(_first_columns(statement, locale))
    sheet.set_column(0, labels - 1, 14 if statement.kind == "tb" else 44)
    if statement.kind == "tb":
        sheet.set_column(1, 1, 30)
    sheet.set_column(labels, labels + len(statement.columns) - 1, 18)
    first_row = FIRST_ROW
    places = {row.key: first_row + index for index, row in enumerate(statement.rows)}
    for index, row in enumerate(statement.rows):
        _xlsx_row(sheet, formats, statement, row, (first_row + index, labels), places, locale)
    sheet.freeze_panes(first_row, labels)
    book.close()
    return buffer.getvalue()


def _xlsx_formats(book: Any) -> dict[str, Any]:
    return {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "head": book.add_format({"bold": True, "bottom": 1, "align": "center"}),
        "heading": book.add_format({"bold": True}),
        "item": book.add_format({"indent": 1}),
        "total": book.add_format({"bold": True}),
        "money": book.add_format({"num_format": MONEY_FORMAT}),
        "money_total": book.add_format({"num_format": MONEY_FORMAT, "bold": True, "top": 1}),
    }


def _xlsx_row(
    sheet: Any,
    formats: dict[str, Any],
    statement: Statement,
    row: Row,
    position: tuple[int, int],
    places: dict[str, int],
    locale: str,
) -> None:
    """One row at ``position`` (its sheet row, and how many label columns come first)."""

    at, labels = position
    style = "total" if row.kind == "total" else ("heading" if row.kind == "heading" else "item")
    if statement.kind == "tb":
        sheet.write_string(at, 0, "" if row.kind == "total" else row.key)
    sheet.write(at, labels - 1, row.label(locale), formats[style])
    for column, value in enumerate(row.values):
        where = labels + column
        if row.kind != "total":
            sheet.write_number(at, where, float(value), formats["money"])
            continue
        if _balance_total(statement, row, column):
            continue  # balances on both sides do not add up to anything
        formula = _formula(statement, row, where, places)
        sheet.write_formula(at, where, formula, formats["money_total"], float(value))


def _formula(
    statement: Statement,
    row: Row,
    where: int,
    places: dict[str, int],
) -> str:
    """The Excel formula of a total in sheet column ``where``: the lines it adds and
    subtracts, or for the trial balance the column's sum."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    if statement.kind == "tb":
        first = xl_rowcol_to_cell(FIRST_ROW, where)
        last = xl_rowcol_to_cell(places[row.key] - 1, where)
        return f"=SUM({first}:{last})"
    line = next(line for line in LAYOUTS[statement.chart][statement.kind] if line.key == row.key)
    terms = []
    for part in line.total_of:
        sign = "-" if part.startswith("-") else "+"
        terms.append(f"{sign}{xl_rowcol_to_cell(places[part.lstrip('-')], where)}")
    return "=" + "".join(terms).lstrip("+")


def cjk_font_file() -> Path:
    """The CJK font the PDF and the chart are drawn with; ``DomainError`` without it."""
    if not CJK_FONT.is_file():
        raise DomainError(
            "The statements' PDF and chart need the font {path} "
            "(Debian package fonts-wqy-microhei).",
            path=str(CJK_FONT),
        )
    return CJK_FONT


def pdf_font() -> str:
    """The CJK font's name in reportlab, registered once; ``DomainError`` without the font."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    cjk_font_file()
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(CJK_FONT), subfontIndex=0))
    return FONT_NAME


def render_pdf(statement: Statement, locale: str) -> bytes:
    """The statement as an A4 PDF with the CJK font embedded; ``DomainError`` without the font."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    pdf_font()
    wide = statement.kind == "tb"
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if wide else A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=statement.title(locale),
    )
    title = ParagraphStyle("title", fontName=FONT_NAME, fontSize=16, leading=22, alignment=1)
    plain = ParagraphStyle("plain", fontName=FONT_NAME, fontSize=9, leading=13)
    story: list[Any] = [Paragraph(statement.title(locale), title)]
    story += [Paragraph(line, plain) for line in _header_lines(statement, locale)]
    story.append(Spacer(1, 4 * mm))
    heads = _first_columns(statement, locale) + [word(c, locale) for c in statement.columns]
    body = [heads] + [_pdf_cells(statement, row, locale) for row in statement.rows]
    widths = [25 * mm, 62 * mm] if wide else [88 * mm]
    table = Table(body, colWidths=widths + [30 * mm] * len(statement.columns), repeatRows=1)
    labels = len(_first_columns(statement, locale))
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
        ("FONTSIZE", (0, 0), (-1, -1), 8 if wide else 9),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("ALIGN", (labels, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for index, row in enumerate(statement.rows, start=1):
        if row.kind == "total":
            style.append(("LINEABOVE", (labels, index), (-1, index), 0.4, colors.grey))
            style.append(("BACKGROUND", (0, index), (-1, index), colors.whitesmoke))
    table.setStyle(style)
    story.append(table)
    document.build(story)
    return buffer.getvalue()


def _pdf_cells(statement: Statement, row: Row, locale: str) -> list[str]:
    label = row.label(locale) if row.kind != "item" else "  " + row.label(locale)
    cells = [row.key if row.kind == "account" else "", label] if statement.kind == "tb" else [label]
    return cells + [
        "" if _balance_total(statement, row, column) else money(value)
        for column, value in enumerate(row.values)
    ]


def _balance_total(statement: Statement, row: Row, column: int) -> bool:
    """The trial balance's total row under an opening or closing balance: left empty."""
    return (
        statement.kind == "tb"
        and row.kind == "total"
        and statement.columns[column] in ("opening", "closing")
    )
