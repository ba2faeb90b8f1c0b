"""The line items of the statements for each shipped chart, mapped from account codes.

A line either sums accounts (``codes``: code prefixes, so ``2221`` takes 222101 and its
children; ``types``: every account of those types) or adds up other lines (``total_of``; a
leading ``-`` subtracts); the tables below give both as space-separated words. ``sign``
presents the sum of debit − credit: +1 for assets and expenses, −1 for liabilities, equity and
revenue (and for a cash flow, whose money comes in when a balance other than cash goes down).
``basis`` says which balance a line reads: ``balance`` at the end of the span, ``opening`` at
its start, ``movement`` within it.

prc_small follows 小企业会计准则: 资产负债表 (会小企01表), 利润表 (会小企02表); the cash-flow
statement uses the indirect method (net profit adjusted for depreciation and working capital),
because the books hold no cash-flow classification of each payment. ifrs_basic follows the
IAS 1 and IAS 7 line items. Each account of a chart lands on exactly one item line of each
statement (a test checks it), and the balance sheet takes the profit not yet closed into equity
(the income and expense accounts are read into 未分配利润 / retained earnings), so it balances
at any day of the year."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Basis = Literal["balance", "opening", "movement"]
Kind = Literal["item", "total", "heading"]
PROFIT_TYPES = ("revenue", "expense")


@dataclass(frozen=True)
class LineDef:
    """One line of a statement: what it sums and how it is shown."""

    key: str
    zh: str
    en: str
    codes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    total_of: tuple[str, ...] = ()
    sign: int = 1
    basis: Basis = "balance"
    heading: bool = False

    @property
    def kind(self) -> Kind:
        """A heading (no figure), a total of other lines, or an item summing accounts."""
        if self.heading:
            return "heading"
        return "total" if self.total_of else "item"


def _h(key: str, zh: str, en: str) -> LineDef:
    """A heading: no figure."""
    return LineDef(key, zh, en, heading=True)


def _a(key: str, zh: str, en: str, codes: str) -> LineDef:
    """An asset line: the balance of ``codes`` (space-separated prefixes), debit − credit."""
    return LineDef(key, zh, en, codes=tuple(codes.split()))


def _l(key: str, zh: str, en: str, codes: str, profit: bool = False) -> LineDef:
    """A liability or equity line: credit − debit (``profit``: with the income and expense
    accounts, the profit not yet closed)."""
    types = PROFIT_TYPES if profit else ()
    return LineDef(key, zh, en, codes=tuple(codes.split()), types=types, sign=-1)


def _t(key: str, zh: str, en: str, lines: str, basis: Basis = "balance") -> LineDef:
    """A total of other lines (space-separated keys; ``-key`` subtracts)."""
    return LineDef(key, zh, en, total_of=tuple(lines.split()), basis=basis)


def _inc(key: str, zh: str, en: str, codes: str) -> LineDef:
    """Income over the span (credit − debit)."""
    return LineDef(key, zh, en, codes=tuple(codes.split()), sign=-1, basis="movement")


def _exp(key: str, zh: str, en: str, codes: str) -> LineDef:
    """Expense over the span (debit − credit)."""
    return LineDef(key, zh, en, codes=tuple(codes.split()), basis="movement")


def _flow(key: str, zh: str, en: str, codes: str, profit: bool = False) -> LineDef:
    """Cash from the change of these balances over the span (a decrease brings cash in)."""
    types = PROFIT_TYPES if profit else ()
    return LineDef(key, zh, en, codes=tuple(codes.split()), types=types, sign=-1, basis="movement")


def _cash_at_start(key: str, zh: str, en: str, codes: str) -> LineDef:
    """The cash balance at the start of the span."""
    return LineDef(key, zh, en, codes=tuple(codes.split()), basis="opening")


PRC_CASH = "1001 1002 1012"
IFRS_CASH = "1000 1010"

PRC_BALANCE_SHEET = (
    _h("current_assets", "流动资产：", "Current assets"),
    _a("cash", "货币资金", "Cash and cash equivalents", PRC_CASH),
    _a("short_investments", "短期投资", "Short-term investments", "1101"),
    _a("notes_receivable", "应收票据", "Notes receivable", "1121"),
    _a("receivables", "应收账款", "Accounts receivable", "1122"),
    _a("prepayments", "预付账款", "Prepayments", "1123"),
    _a("dividends_receivable", "应收股利", "Dividends receivable", "1131"),
    _a("interest_receivable", "应收利息", "Interest receivable", "1132"),
    _a("other_receivables", "其他应收款", "Other receivables", "1221"),
    _a(
        "inventories",
        "存货",
        "Inventories",
        "1401 1402 1403 1404 1405 1407 1408 1411 1421 4001 4101 4401 4403",
    ),
    _a("other_current_assets", "其他流动资产", "Other current assets", "1901"),
    _t(
        "total_current_assets",
        "流动资产合计",
        "Total current assets",
        (
            "cash short_investments notes_receivable receivables prepayments dividends_receivable "
            "interest_receivable other_receivables inventories other_current_assets"
        ),
    ),
    _h("non_current_assets", "非流动资产：", "Non-current assets"),
    _a("bond_investments", "长期债券投资", "Long-term bond investments", "1501"),
    _a("equity_investments", "长期股权投资", "Long-term equity investments", "1511"),
    _a("fixed_assets", "固定资产账面价值", "Fixed assets (carrying amount)", "1601 1602"),
    _a("construction", "在建工程", "Construction in progress", "1604"),
    _a("construction_materials", "工程物资", "Construction materials", "1605"),
    _a("disposals", "固定资产清理", "Fixed assets in disposal", "1606"),
    _a("biological_assets", "生产性生物资产", "Productive biological assets", "1621 1622"),
    _a("intangibles", "无形资产", "Intangible assets", "1701 1702"),
    _a("development", "开发支出", "Development expenditure", "4301"),
    _a("deferred_expenses", "长期待摊费用", "Long-term deferred expenses", "1801"),
    _t(
        "total_non_current_assets",
        "非流动资产合计",
        "Total non-current assets",
        (
            "bond_investments equity_investments fixed_assets construction construction_materials "
            "disposals biological_assets intangibles development deferred_expenses"
        ),
    ),
    _t("total_assets", "资产总计", "Total assets", "total_current_assets total_non_current_assets"),
    _h("current_liabilities", "流动负债：", "Current liabilities"),
    _l("short_borrowings", "短期借款", "Short-term borrowings", "2001"),
    _l("notes_payable", "应付票据", "Notes payable", "2201"),
    _l("payables", "应付账款", "Accounts payable", "2202"),
    _l("advances", "预收账款", "Advances from customers", "2203"),
    _l("pay_payable", "应付职工薪酬", "Employee pay payable", "2211"),
    _l("taxes_payable", "应交税费", "Taxes payable", "2221"),
    _l("interest_payable", "应付利息", "Interest payable", "2231"),
    _l("profit_payable", "应付利润", "Profit payable", "2232"),
    _l("other_payables", "其他应付款", "Other payables", "2241"),
    _t(
        "total_current_liabilities",
        "流动负债合计",
        "Total current liabilities",
        (
            "short_borrowings notes_payable payables advances pay_payable taxes_payable "
            "interest_payable profit_payable other_payables"
        ),
    ),
    _h("non_current_liabilities", "非流动负债：", "Non-current liabilities"),
    _l("long_borrowings", "长期借款", "Long-term borrowings", "2501"),
    _l("long_payables", "长期应付款", "Long-term payables", "2701"),
    _l("deferred_income", "递延收益", "Deferred income", "2401"),
    _t(
        "total_non_current_liabilities",
        "非流动负债合计",
        "Total non-current liabilities",
        "long_borrowings long_payables deferred_income",
    ),
    _t(
        "total_liabilities",
        "负债合计",
        "Total liabilities",
        "total_current_liabilities total_non_current_liabilities",
    ),
    _h("equity", "所有者权益：", "Owners' equity"),
    _l("paid_in_capital", "实收资本", "Paid-in capital", "3001"),
    _l("capital_reserve", "资本公积", "Capital reserve", "3002"),
    _l("surplus_reserve", "盈余公积", "Surplus reserve", "3101"),
    _l("retained_earnings", "未分配利润", "Undistributed profit", "3103 3104", profit=True),
    _t(
        "total_equity",
        "所有者权益合计",
        "Total owners' equity",
        "paid_in_capital capital_reserve surplus_reserve retained_earnings",
    ),
    _t(
        "total_liabilities_and_equity",
        "负债和所有者权益总计",
        "Total liabilities and owners' equity",
        "total_liabilities total_equity",
    ),
)

PRC_INCOME_STATEMENT = (
    _inc("revenue", "一、营业收入", "Operating revenue", "5001 5051"),
    _exp("cost_of_sales", "减：营业成本", "Less: operating costs", "5401 5402"),
    _exp("taxes_and_surcharges", "税金及附加", "Taxes and surcharges", "5403"),
    _exp("selling_expenses", "销售费用", "Selling expenses", "5601"),
    _exp("admin_expenses", "管理费用", "Administrative expenses", "5602"),
    _exp("finance_costs", "财务费用", "Finance costs", "5603"),
    _inc("investment_income", "加：投资收益", "Add: investment income", "5111"),
    _t(
        "operating_profit",
        "二、营业利润",
        "Operating profit",
        (
            "revenue -cost_of_sales -taxes_and_surcharges -selling_expenses -admin_expenses "
            "-finance_costs investment_income"
        ),
        basis="movement",
    ),
    _inc("non_operating_income", "加：营业外收入", "Add: non-operating income", "5301"),
    _exp("non_operating_expenses", "减：营业外支出", "Less: non-operating expenses", "5711"),
    _t(
        "profit_before_tax",
        "三、利润总额",
        "Profit before tax",
        "operating_profit non_operating_income -non_operating_expenses",
        basis="movement",
    ),
    _exp("income_tax", "减：所得税费用", "Less: income tax expense", "5801"),
    _t("net_profit", "四、净利润", "Net profit", "profit_before_tax -income_tax", basis="movement"),
)

PRC_CASH_FLOW = (
    _h("operating", "一、经营活动产生的现金流量：", "Cash flows from operating activities"),
    _flow("net_profit", "净利润", "Net profit", "3103", profit=True),
    _flow(
        "depreciation",
        "加：固定资产折旧、摊销",
        "Add: depreciation and amortisation",
        "1602 1622 1702",
    ),
    _flow(
        "inventories",
        "存货的减少（增加以“-”号填列）",
        "Decrease in inventories",
        "1401 1402 1403 1404 1405 1407 1408 1411 1421 4001 4101 4401 4403",
    ),
    _flow(
        "operating_receivables",
        "经营性应收项目的减少（增加以“-”号填列）",
        "Decrease in operating receivables",
        "1121 1122 1123 1131 1132 1221 1901",
    ),
    _flow(
        "operating_payables",
        "经营性应付项目的增加（减少以“-”号填列）",
        "Increase in operating payables",
        "2201 2202 2203 2211 2221 2231 2241 2401",
    ),
    _t(
        "net_operating",
        "经营活动产生的现金流量净额",
        "Net cash from operating activities",
        "net_profit depreciation inventories operating_receivables operating_payables",
        basis="movement",
    ),
    _h("investing", "二、投资活动产生的现金流量：", "Cash flows from investing activities"),
    _flow(
        "investments", "投资的减少（增加以“-”号填列）", "Decrease in investments", "1101 1501 1511"
    ),
    _flow(
        "long_term_assets",
        "固定资产、无形资产和其他非流动资产的减少（增加以“-”号填列）",
        "Decrease in fixed, intangible and other non-current assets",
        "1601 1604 1605 1606 1621 1701 1801 4301",
    ),
    _t(
        "net_investing",
        "投资活动产生的现金流量净额",
        "Net cash from investing activities",
        "investments long_term_assets",
        basis="movement",
    ),
    _h("financing", "三、筹资活动产生的现金流量：", "Cash flows from financing activities"),
    _flow(
        "borrowings", "借款的增加（减少以“-”号填列）", "Increase in borrowings", "2001 2501 2701"
    ),
    _flow("capital", "吸收投资收到的现金", "Capital contributed", "3001 3002"),
    _flow("distributions", "分配利润（以“-”号填列）", "Profit distributed", "2232 3101 3104"),
    _t(
        "net_financing",
        "筹资活动产生的现金流量净额",
        "Net cash from financing activities",
        "borrowings capital distributions",
        basis="movement",
    ),
    _t(
        "net_change",
        "四、现金净增加额",
        "Net increase in cash",
        "net_operating net_investing net_financing",
        basis="movement",
    ),
    _cash_at_start(
        "cash_opening", "加：期初现金余额", "Cash at the beginning of the period", PRC_CASH
    ),
    _t(
        "cash_closing",
        "五、期末现金余额",
        "Cash at the end of the period",
        "net_change cash_opening",
        basis="movement",
    ),
)

IFRS_BALANCE_SHEET = (
    _h("non_current_assets", "非流动资产：", "Non-current assets"),
    _a("ppe", "不动产、厂房及设备", "Property, plant and equipment", "1500 1510"),
    _a("intangibles", "无形资产", "Intangible assets", "1600 1610"),
    _t("total_non_current_assets", "非流动资产合计", "Total non-current assets", "ppe intangibles"),
    _h("current_assets", "流动资产：", "Current assets"),
    _a("inventories", "存货", "Inventories", "1200 1210 1220 1230"),
    _a("receivables", "应收账款", "Trade receivables", "1100"),
    _a("other_receivables", "其他应收款", "Other receivables", "1150"),
    _a("prepayments", "预付款项", "Prepayments", "1160"),
    _a("vat_receivable", "进项增值税", "VAT receivable", "1170"),
    _a("cash", "现金及现金等价物", "Cash and cash equivalents", IFRS_CASH),
    _t(
        "total_current_assets",
        "流动资产合计",
        "Total current assets",
        "inventories receivables other_receivables prepayments vat_receivable cash",
    ),
    _t("total_assets", "资产总计", "Total assets", "total_non_current_assets total_current_assets"),
    _h("equity", "权益：", "Equity"),
    _l("share_capital", "股本", "Share capital", "3000"),
    _l("retained_earnings", "留存收益", "Retained earnings", "3100", profit=True),
    _t("total_equity", "权益合计", "Total equity", "share_capital retained_earnings"),
    _h("non_current_liabilities", "非流动负债：", "Non-current liabilities"),
    _l("borrowings", "借款", "Borrowings", "2500"),
    _t(
        "total_non_current_liabilities",
        "非流动负债合计",
        "Total non-current liabilities",
        "borrowings",
    ),
    _h("current_liabilities", "流动负债：", "Current liabilities"),
    _l("payables", "应付账款", "Trade payables", "2000"),
    _l("vat_payable", "销项增值税", "VAT payable", "2100"),
    _l("other_taxes", "其他应交税费", "Other taxes payable", "2150"),
    _l("employee_benefits", "应付职工薪酬", "Employee benefits payable", "2200"),
    _l("other_payables", "其他应付款", "Other payables", "2300"),
    _l("contract_liabilities", "合同负债", "Contract liabilities", "2400"),
    _t(
        "total_current_liabilities",
        "流动负债合计",
        "Total current liabilities",
        "payables vat_payable other_taxes employee_benefits other_payables contract_liabilities",
    ),
    _t(
        "total_liabilities",
        "负债合计",
        "Total liabilities",
        "total_non_current_liabilities total_current_liabilities",
    ),
    _t(
        "total_liabilities_and_equity",
        "权益和负债总计",
        "Total equity and liabilities",
        "total_equity total_liabilities",
    ),
)

IFRS_INCOME_STATEMENT = (
    _inc("revenue", "营业收入", "Revenue", "4000"),
    _exp("cost_of_sales", "营业成本", "Cost of sales", "5000"),
    _t("gross_profit", "毛利", "Gross profit", "revenue -cost_of_sales", basis="movement"),
    _inc("other_income", "其他收益", "Other income", "4100"),
    _exp("distribution_costs", "销售费用", "Distribution costs", "6000"),
    _exp("admin_expenses", "管理费用", "Administrative expenses", "6100"),
    _exp("other_expenses", "其他费用", "Other expenses", "6200"),
    _t(
        "operating_profit",
        "营业利润",
        "Operating profit",
        "gross_profit other_income -distribution_costs -admin_expenses -other_expenses",
        basis="movement",
    ),
    _exp("finance_costs", "财务费用", "Finance costs", "7000"),
    _t(
        "profit_before_tax",
        "利润总额",
        "Profit before tax",
        "operating_profit -finance_costs",
        basis="movement",
    ),
    _exp("income_tax", "所得税费用", "Income tax expense", "7100"),
    _t(
        "net_profit",
        "净利润",
        "Profit for the period",
        "profit_before_tax -income_tax",
        basis="movement",
    ),
)

IFRS_CASH_FLOW = (
    _h("operating", "经营活动产生的现金流量：", "Cash flows from operating activities"),
    _flow("net_profit", "净利润", "Profit for the period", "", profit=True),
    _flow("depreciation", "加：折旧和摊销", "Add: depreciation and amortisation", "1510 1610"),
    _flow("inventories", "存货的减少", "Decrease in inventories", "1200 1210 1220 1230"),
    _flow(
        "operating_receivables",
        "经营性应收项目的减少",
        "Decrease in trade and other receivables",
        "1100 1150 1160 1170",
    ),
    _flow(
        "operating_payables",
        "经营性应付项目的增加",
        "Increase in trade and other payables",
        "2000 2100 2150 2200 2300 2400",
    ),
    _t(
        "net_operating",
        "经营活动产生的现金流量净额",
        "Net cash from operating activities",
        "net_profit depreciation inventories operating_receivables operating_payables",
        basis="movement",
    ),
    _h("investing", "投资活动产生的现金流量：", "Cash flows from investing activities"),
    _flow(
        "long_term_assets",
        "长期资产的减少",
        "Decrease in property, plant, equipment and intangibles",
        "1500 1600",
    ),
    _t(
        "net_investing",
        "投资活动产生的现金流量净额",
        "Net cash from investing activities",
        "long_term_assets",
        basis="movement",
    ),
    _h("financing", "筹资活动产生的现金流量：", "Cash flows from financing activities"),
    _flow("borrowings", "借款的增加", "Increase in borrowings", "2500"),
    _flow("capital", "发行股本", "Shares issued", "3000"),
    _flow("distributions", "分配的股利", "Dividends paid", "3100"),
    _t(
        "net_financing",
        "筹资活动产生的现金流量净额",
        "Net cash from financing activities",
        "borrowings capital distributions",
        basis="movement",
    ),
    _t(
        "net_change",
        "现金净增加额",
        "Net increase in cash",
        "net_operating net_investing net_financing",
        basis="movement",
    ),
    _cash_at_start(
        "cash_opening", "期初现金余额", "Cash at the beginning of the period", IFRS_CASH
    ),
    _t(
        "cash_closing",
        "期末现金余额",
        "Cash at the end of the period",
        "net_change cash_opening",
        basis="movement",
    ),
)

LAYOUTS: dict[str, dict[str, tuple[LineDef, ...]]] = {
    "prc_small": {"bs": PRC_BALANCE_SHEET, "pl": PRC_INCOME_STATEMENT, "cf": PRC_CASH_FLOW},
    "ifrs_basic": {"bs": IFRS_BALANCE_SHEET, "pl": IFRS_INCOME_STATEMENT, "cf": IFRS_CASH_FLOW},
}


def matches(line: LineDef, code: str, account_type: str) -> bool:
    """Whether an account is summed on an item line."""
    return account_type in line.types or any(code.startswith(prefix) for prefix in line.codes)
