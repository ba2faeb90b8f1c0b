"""Finance in chat: the statements (/report, /报表), an account's lines (/ledger, /明细账),
setting up the books (/books, /账簿) and closing months (/period, /期间)."""

from __future__ import annotations

from bot.router import Router
from commands.finance import books, ledger, reports


def register(router: Router) -> None:
    """Register every finance command."""
    reports.register(router)
    books.register(router)
    ledger.register(router)
