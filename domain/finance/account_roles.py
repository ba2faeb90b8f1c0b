"""What each business posting debits and credits, by role, for both shipped charts.

The postings from business events (deliveries, receipts, expense claims, production, stock
counts) and payments name accounts by their *role* ("receivable", "output_vat" …), never by a
code: the code depends on the chart the books were set up with. One table maps every role to a
leaf account of each chart, so adding a chart means adding one column here (a test checks that
every role names a postable account of both charts)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.finance.models import Account
from domain.shared.errors import DomainError, msgid

# role -> (prc_small code, ifrs_basic code)
ROLES: dict[str, tuple[str, str]] = {
    "bank": ("1002", "1010"),  # 银行存款 / cash at bank: where payments and receipts go
    "receivable": ("1122", "1100"),  # 应收账款 / trade receivables
    "supplier_credit": ("1123", "1160"),  # 预付账款 / prepayments: a supplier over-paid
    "employee_credit": ("1221", "1150"),  # 其他应收款 / other receivables: an employee over-paid
    "input_vat": ("22210101", "1170"),  # 进项税额 / input VAT
    "materials": ("1403", "1210"),  # 原材料 / raw materials (raw and consumable products)
    "goods": ("1405", "1230"),  # 库存商品 / finished goods (finished, semi, bought-in goods)
    "count_difference": ("1901", "6200"),  # 待处理财产损溢 / other expenses
    "payable": ("2202", "2000"),  # 应付账款 / trade payables
    "customer_credit": ("2203", "2400"),  # 预收账款 / contract liabilities: a customer over-paid
    "labour": ("2211", "2200"),  # 应付职工薪酬 / employee benefits: labour put into production
    "output_vat": ("22210102", "2100"),  # 销项税额 / output VAT
    "employee_payable": ("2241", "2300"),  # 其他应付款 / other payables: expense claims
    "work_in_progress": ("4001", "1220"),  # 生产成本 / work in progress
    "revenue": ("5001", "4000"),  # 主营业务收入 / revenue
    "cost_of_sales": ("5401", "5000"),  # 主营业务成本 / cost of sales
    "expense": ("5602", "6100"),  # 管理费用 / administrative expenses: expense claims
    "scrap_loss": ("5711", "6200"),  # 营业外支出 / other expenses: production scrap
    "profit_for_year": ("3103", "3100"),  # 本年利润 / retained earnings: year-end closing
    "retained_earnings": ("3104", "3100"),  # 利润分配 (未分配利润) / retained earnings
}
CHART_COLUMN = {"prc_small": 0, "ifrs_basic": 1}
MATERIAL_TYPES = frozenset({"raw", "consumable"})  # the ERP's product types kept as materials


class BooksNotSetUp(DomainError):
    """No chart of accounts is installed: business events wait (retried, then parked) until
    the books are set up, rather than being dropped."""

    def __init__(self) -> None:
        super().__init__(msgid("The books are not set up: install a chart of accounts first."))


def installed_chart(session: Session) -> str:
    """The key of the chart the books use; ``BooksNotSetUp`` when there is none."""
    chart = session.scalar(select(Account.chart).limit(1))
    if chart is None or chart not in CHART_COLUMN:
        raise BooksNotSetUp()
    return chart


def code_for(chart: str, role: str) -> str:
    """The account code of a role in a chart."""
    return ROLES[role][CHART_COLUMN[chart]]


def inventory_role(product_type: str) -> str:
    """Which inventory account a product's stock is kept on."""
    return "materials" if product_type in MATERIAL_TYPES else "goods"
