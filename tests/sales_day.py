"""The scripted sales day the CRM must run on every channel: add a customer and a contact, log a
call, open a deal, move it through the stages, check the pipeline and the forecast, win it, and
see the forecast move. Each channel's test types these lines and checks the answers with
``check_sales_day`` (English answers: the members who run it read English)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

ORG_TZ = ZoneInfo("Asia/Shanghai")


def close_date() -> date:
    """An expected close date 40 days from today in the org's zone (the console's real clock)."""
    return datetime.now(ORG_TZ).date() + timedelta(days=40)


def sales_day(close: date, n: int = 1) -> list[str]:
    """The lines a rep types, in order, each answered once; ``n`` is the number the customer, its
    contact and its deal get (1 on an empty database)."""
    return [
        '/customer add "Acme Trading" industry=retail phone=021-5555-0000',
        f'/contact add {n} "Ann Buyer" title=Purchasing phone=138-0000-1111',
        f'/log {n} call "Talked about the 2027 renewal" contact={n}',
        f"/deal add {n} Renewal amount=10000 close={close.isoformat()}",
        f"/deal move {n} qualified",
        f"/deal move {n} proposal",
        f"/deal move {n} negotiation",
        "/pipeline",
        "/forecast",
        f"/deal won {n}",
        "/forecast",
        f"/customer show {n}",
    ]


def check_sales_day(
    answers: list[str], close: date, today: date, n: int = 1, month_won: str = "CN¥10,000.00"
) -> None:
    """Each answer says what its line should have done (``answers`` in the order typed;
    ``month_won``: what this month has won once the deal is)."""
    added, contact, logged, opened, *moved, pipeline, before, won, after, shown = map(
        _flat, answers
    )
    assert "Acme Trading" in added, added
    assert "Ann Buyer" in contact, contact
    assert f"Logged for customer #{n} (Acme Trading)" in logged, logged
    assert "Deal opened" in opened and "CN¥10,000.00" in opened, opened
    assert all("Deal moved" in m for m in moved), moved
    assert "Negotiation (70%): 1 · CN¥10,000.00 · weighted CN¥7,000.00" in pipeline, pipeline
    assert f"{close:%b %Y}: won — · weighted CN¥7,000.00" in before, before
    assert "Deal won" in won, won
    assert f"{today:%b %Y}: won {month_won}" in after, after  # the full amount, this month
    assert f"{close:%b %Y}: won — · weighted CN¥7,000.00" not in after, after
    assert "Talked about the 2027 renewal" in shown and "Ann Buyer" in shown, shown
    assert "Renewal · CN¥10,000.00 · won" in shown, shown  # purchase history: the won deal


def _flat(answer: str) -> str:
    """An answer with its layout (a terminal's box and wrapped lines) reduced to single spaces."""
    return " ".join(answer.replace("│", " ").split())
