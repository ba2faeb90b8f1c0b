"""The ERP in chat: the product catalog and the stock ledger (stock levels, moves, transfers and
count adjustments), stock takes, price lists, sales (quotations, orders, shipping) and
purchasing (suppliers, requests, quotes, orders, receipts)."""

from __future__ import annotations

from bot.pipeline.flows import FlowConsumer
from bot.router import Router
from commands.erp import (
    counting,
    forecasts,
    planning,
    prices,
    production,
    production_tasks,
    products,
    purchase_orders,
    purchase_requests,
    safety_alerts,
    sales,
    sales_buttons,
    stock,
    suppliers,
    warehouses,
)

FLOW_CONSUMERS: list[FlowConsumer] = [*safety_alerts.FLOW_CONSUMERS]


def register(router: Router) -> None:
    """Register every ERP command."""
    products.register(router)
    stock.register(router)
    warehouses.register(router)
    counting.register(router)
    prices.register(router)
    suppliers.register(router)
    purchase_requests.register(router)
    purchase_orders.register(router)
    sales.register(router)
    sales_buttons.register(router)
    safety_alerts.register(router)
    production.register(router)
    production_tasks.register(router)
    planning.register(router)
    forecasts.register(router)
