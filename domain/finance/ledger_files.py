"""An account's detail (明细账) as XLSX and PDF, in the reader's language, as the statements are
(``domain.finance.render``: its fonts, money format and lazy imports).

One row per posted line (date, entry number, memo, department, debit, credit, the balance after
it), between the opening balance and the period's totals with the closing balance. Balances are
on the account's normal side. In the XLSX each balance is a formula (the one above plus or minus
the line) and the totals are sums, with their values cached, so a viewer that does not
recalculate shows the figures and a changed line changes the balances under it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from domain.finance.render import FONT_NAME, MONEY_FORMAT, pdf_font
from domain.finance.render import word as statement_word
from domain.finance.statements import AccountLedger, Span, money

WORDS = {
    "title": ("明细账", "Account detail"),
    "date": ("日期", "Date"),
    "entry": ("凭证号", "Entry"),
    "memo": ("摘要", "Memo"),
    "department": ("部门", "Department"),
    "debit": ("借方", "Debit"),
    "credit": ("贷方", "Credit"),
    "balance": ("余额", "Balance"),
    "opening": ("期初余额", "Opening balance"),
    "total": ("本期合计", "Total for the period"),
    "debit_side": ("余额方向：借", "Balances on the debit side"),
    "credit_side": ("余额方向：贷", "Balances on the credit side"),
}
HEADS = ("date", "entry", "memo", "department", "debit", "credit", "balance")
FIRST_LINE = 6  # the sheet row of the opening balance, under the title, header and heads


@dataclass(frozen=True)
class LedgerFile:
    """What the files show: the account's lines over a span, for a department or all."""

    detail: AccountLedger
    span: Span
    department: str | None


def word(key: str, locale: str) -> str:
    """One of the files' words in the reader's language."""
    zh, en = WORDS[key]
    return zh if locale.startswith("zh") else en


def title(shown: LedgerFile, locale: str) -> str:
    """明细账 1002 银行存款 / Account detail 1002 Cash at bank."""
    detail = shown.detail
    name = detail.name_zh if locale.startswith("zh") else detail.name_en
    return f"{word('title', locale)} {detail.code} {name}"


def _header_lines(shown: LedgerFile, locale: str) -> list[str]:
    colon = "：" if locale.startswith("zh") else ": "
    department = shown.department or statement_word("all", locale)
    return [
        f"{statement_word('period', locale)}{colon}{shown.span}    "
        f"{statement_word('department', locale)}{colon}{department}",
        f"{word(shown.detail.side + '_side', locale)}    {statement_word('unit', locale)}",
    ]


def render_ledger_xlsx(shown: LedgerFile, locale: str) -> bytes:
    """The account's lines as one sheet, balances as running formulas, totals as sums."""
    import xlsxwriter  # only when a file is made

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(word("title", locale))
    formats = {
        "bold": book.add_format({"bold": True}),
        "money": book.add_format({"num_format": MONEY_FORMAT}),
        "total": book.add_format({"num_format": MONEY_FORMAT, "bold": True, "top": 1}),
    }
    sheet.write(0, 0, title(shown, locale), book.add_format({"bold": True, "font_size": 14}))
    for offset, text in enumerate(_header_lines(shown, locale), start=1):
        sheet.write(offset, 0, text)
    heads = book.add_format({"bold": True, "bottom": 1, "align": "center"})
    for column, head in enumerate(HEADS):
        sheet.write(FIRST_LINE - 1, column, word(head, locale), heads)
    for first, last, width in ((0, 1, 14), (2, 2, 36), (3, 3, 14), (4, 6, 16)):
        sheet.set_column(first, last, width)
    _xlsx_lines(sheet, formats, shown.detail, locale)
    sheet.freeze_panes(FIRST_LINE, 0)
    book.close()
    return buffer.getvalue()


def _xlsx_lines(sheet: Any, formats: dict[str, Any], detail: AccountLedger, locale: str) -> None:
    """The opening balance, a row per line with its running balance, and the totals."""
    from xlsxwriter.utility import xl_rowcol_to_cell as cell

    sheet.write(FIRST_LINE, 2, word("opening", locale), formats["bold"])
    sheet.write_number(FIRST_LINE, 6, float(detail.opening), formats["money"])
    row = FIRST_LINE
    for line in detail.lines:
        row += 1
        for column, text in enumerate((line.on.isoformat(), line.number, line.memo)):
            sheet.write_string(row, column, text)
        sheet.write_string(row, 3, line.department)
        sheet.write_number(row, 4, float(line.debit), formats["money"])
        sheet.write_number(row, 5, float(line.credit), formats["money"])
        debit, credit = cell(row, 4), cell(row, 5)
        moved = f"{debit}-{credit}" if detail.side == "debit" else f"{credit}-{debit}"
        balance = f"={cell(row - 1, 6)}+{moved}"
        sheet.write_formula(row, 6, balance, formats["money"], float(line.balance))
    last, row = row, row + 1
    sheet.write(row, 2, word("total", locale), formats["bold"])
    for column, value in ((4, detail.debits), (5, detail.credits)):
        if not detail.lines:  # nothing to add up
            sheet.write_number(row, column, 0, formats["total"])
            continue
        sums = f"=SUM({cell(FIRST_LINE + 1, column)}:{cell(last, column)})"
        sheet.write_formula(row, column, sums, formats["total"], float(value))
    sheet.write_formula(row, 6, f"={cell(last, 6)}", formats["total"], float(detail.closing))


def render_ledger_pdf(shown: LedgerFile, locale: str) -> bytes:
    """The account's lines as an A4 landscape PDF with the CJK font embedded; ``DomainError``
    without the font."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    pdf_font()
    buffer = io.BytesIO()
    margin = 15 * mm
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=title(shown, locale),
    )
    heading = ParagraphStyle("title", fontName=FONT_NAME, fontSize=16, leading=22, alignment=1)
    plain = ParagraphStyle("plain", fontName=FONT_NAME, fontSize=9, leading=13)
    story: list[Any] = [Paragraph(title(shown, locale), heading)]
    story += [Paragraph(line, plain) for line in _header_lines(shown, locale)]
    story.append(Spacer(1, 4 * mm))
    detail = shown.detail
    body: list[list[str]] = [[word(head, locale) for head in HEADS]]
    body.append(["", "", word("opening", locale), "", "", "", money(detail.opening)])
    body += [
        [
            line.on.isoformat(),
            line.number,
            line.memo[:40],
            line.department,
            money(line.debit) if line.debit else "",
            money(line.credit) if line.credit else "",
            money(line.balance),
        ]
        for line in detail.lines
    ]
    body.append(
        ["", "", word("total", locale), "", money(detail.debits), money(detail.credits),
         money(detail.closing)]
    )  # fmt: skip
    widths = [24 * mm, 32 * mm, 80 * mm, 30 * mm, 30 * mm, 30 * mm, 32 * mm]
    table = Table(body, colWidths=widths, repeatRows=1)
    table.setStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("ALIGN", (4, 0), (-1, -1), "RIGHT"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LINEABOVE", (4, -1), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, -1), (-1, -1), colors.whitesmoke),
        ]
    )
    story.append(table)
    document.build(story)
    return buffer.getvalue()
