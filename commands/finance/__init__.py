"""Finance in chat: the statements (/report, /报表)."""

from __future__ import annotations

from bot.router import Router
from commands.finance import reports


def register(router: Router) -> None:
    """Register every finance command."""
    reports.register(router)
