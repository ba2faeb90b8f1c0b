"""The ERP in chat: the product catalog and the stock ledger (stock levels, moves, transfers and
count adjustments)."""

from __future__ import annotations

from bot.router import Router
from commands.erp import products, sales, sales_buttons, stock, warehouses


def register(router: Router) -> None:
    """Register every ERP command."""
    products.register(router)
    stock.register(router)
    warehouses.register(router)
    sales.register(router)
    sales_buttons.register(router)
