"""A customer invoice as a PDF (reportlab, the CJK font embedded), in the reader's language: what
a payment reminder carries. It shows what the customer owes and nothing of the books behind it:
the invoice's number, dates, the order it is for, the amount before tax, the tax, the total, what
is paid and what is still open. The figures come from the invoice's own entry (its revenue and
output VAT lines) and its open item, so the PDF says what the books say."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.finance.account_roles import code_for, installed_chart
from domain.finance.items_models import OpenItem
from domain.finance.models import Account, EntryLine
from domain.finance.render import pdf_font
from domain.finance.statements import money

WORDS = {
    "title": ("发票", "Invoice"),
    "number": ("发票号", "Invoice number"),
    "issued": ("开票日期", "Issued"),
    "due": ("到期日", "Due"),
    "customer": ("客户", "Customer"),
    "reference": ("订单", "Order"),
    "net": ("不含税金额", "Amount before tax"),
    "tax": ("税额", "Tax"),
    "total": ("价税合计", "Total"),
    "paid": ("已付", "Paid"),
    "open": ("未付金额", "Still open"),
    "currency": ("币种", "Currency"),
}


def _word(key: str, locale: str) -> str:
    zh, en = WORDS[key]
    return zh if locale.startswith("zh") else en


@dataclass(frozen=True, slots=True)
class InvoiceFigures:
    """What an invoice's entry says: the amount before tax and the tax."""

    net: Decimal
    tax: Decimal


def invoice_figures(session: Session, item: OpenItem) -> InvoiceFigures:
    """The revenue and output VAT the invoice's entry credited."""
    chart = installed_chart(session)
    codes = {"net": code_for(chart, "revenue"), "tax": code_for(chart, "output_vat")}
    query = (
        select(Account.code, EntryLine.credit, EntryLine.debit)
        .join(Account, Account.id == EntryLine.account_id)
        .where(EntryLine.entry_id == item.entry_id, Account.code.in_(codes.values()))
    )
    sums = {code: Decimal(0) for code in codes.values()}
    for code, credit, debit in session.execute(query):  # the lines' Money, summed as Decimal
        sums[code] += credit - debit
    return InvoiceFigures(net=sums[codes["net"]], tax=sums[codes["tax"]])


def render_invoice(session: Session, item: OpenItem, company: str, locale: str) -> bytes:
    """The invoice of an open customer item as an A4 PDF (reportlab is imported here, when an
    invoice is made: a serving process that makes none does not carry it)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    font = pdf_font()
    figures = invoice_figures(session, item)
    buffer = io.BytesIO()
    title = f"{company} · {_word('title', locale)} {item.document}"
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
        bottomMargin=20 * mm, title=title,
    )  # fmt: skip
    heading = ParagraphStyle("heading", fontName=font, fontSize=16, leading=22, alignment=1)
    rows = [
        ("number", item.document),
        ("issued", item.issued_on.isoformat()),
        ("due", item.due_on.isoformat()),
        ("customer", item.party_name),
        ("reference", item.reference),
        ("currency", item.currency),
        ("net", money(figures.net)),
        ("tax", money(figures.tax)),
        ("total", money(item.amount)),
        ("paid", money(item.amount - item.open_amount)),
        ("open", money(item.open_amount)),
    ]
    shown = [[_word(key, locale), value] for key, value in rows if value]
    table = Table(shown, colWidths=[50 * mm, 90 * mm])
    table.setStyle(_style(font, len(shown)))
    story: list[Any] = [Paragraph(title, heading), Spacer(1, 8 * mm), table]
    document.build(story)
    return buffer.getvalue()


def _style(font: str, rows: int) -> list[Any]:
    from reportlab.lib import colors

    return [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 11),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEABOVE", (0, rows - 3), (-1, rows - 3), 0.6, colors.black),
        ("BACKGROUND", (0, rows - 1), (-1, rows - 1), colors.whitesmoke),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
