"""Whoever decides is named on every card and in the audit log, with on whose behalf they
acted: after a transfer, under a delegation, and for an added approver. The requester (李博 Bob)
reads Chinese, the approvers English."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.replies import Card
from domain.approvals.models import ApprovalEvent
from tests.integration.approvals_rig import Office, member_id, running_office

EXPENSE = "/expense amount=300 category=meals reason=client lunch"  # the manager's step only


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings) as opened:
        yield opened


def request_card(office: Office, handle: str, n: int) -> str:
    """The steps and history of the newest full card of request #N a member sees."""
    for posted in reversed(office.posted(handle)):
        card = posted.message
        if isinstance(card, Card) and f"#{n}" in card.title and len(card.fields) > 1:
            return "\n".join(f.value for f in card.fields)
    raise AssertionError(f"no card of #{n} for {handle}: {office.texts(handle)}")


async def decisions(office: Office, n: int) -> list[tuple[str, int | None, int | None]]:
    """The audit log's decisions of request #N: (kind, actor, on whose behalf)."""
    query = (
        select(ApprovalEvent.kind, ApprovalEvent.actor_id, ApprovalEvent.on_behalf_of_id)
        .where(ApprovalEvent.request_id == n, ApprovalEvent.kind.in_(("approved", "rejected")))
        .order_by(ApprovalEvent.seq)
    )
    rows = await office.run(lambda s: s.execute(query).all())
    return [(kind, actor, whom) for kind, actor, whom in rows]


async def test_after_a_transfer_the_cards_and_the_log_name_who_approved_for_whom(
    office: Office,
) -> None:
    n = await office.submit("bob", EXPENSE)
    await office.say("carol", f"/transfer {n} @hana")
    assert "⏳ Manager: Hana HR (for Carol Chen, transferred)" in request_card(office, "hana", n)
    await office.say("hana", f"/approve {n}")

    for approver in ("carol", "hana"):
        card = request_card(office, approver, n)
        assert "✓ Manager: Hana HR (for Carol Chen, transferred)" in card
        assert "Carol Chen transferred it to Hana HR" in card
        assert "Hana HR (for Carol Chen, transferred) approved" in card
        assert "Carol Chen approved" not in card and "Manager: Carol Chen" not in card
    requester = request_card(office, "bob", n)
    assert "✓ 直属主管: Hana HR（代 Carol Chen，转交）" in requester
    assert "Hana HR（代 Carol Chen，转交） 同意" in requester
    late = await office.say("carol", f"/approve {n}")
    assert f"#{n} is already approved (Hana HR (for Carol Chen, transferred)," in late.text
    full = await office.say("bob", f"/approval {n}")
    assert "Hana HR（代 Carol Chen，转交） 同意" in full.text
    hana, carol = await member_id(office, "hana"), await member_id(office, "carol")
    assert await decisions(office, n) == [("approved", hana, carol)]
    assert await office.replayed(n) == await office.request(n)


async def test_a_transfer_back_to_the_approver_is_theirs_again(office: Office) -> None:
    n = await office.submit("bob", EXPENSE)
    await office.say("carol", f"/transfer {n} @hana")
    await office.say("hana", f"/transfer {n} @carol")
    await office.say("carol", f"/approve {n}")
    card = request_card(office, "carol", n)
    assert "✓ Manager: Carol Chen\n" in card and "Carol Chen approved" in card
    carol = await member_id(office, "carol")
    assert await decisions(office, n) == [("approved", carol, None)]


async def test_under_a_delegation_the_deputy_is_named_for_the_approver(office: Office) -> None:
    await office.say("carol", "/delegate @erin from 2026-11-30 to 2026-12-04")
    n = await office.submit("bob", EXPENSE)
    assert "⏳ Manager: Erin Easton (for Carol Chen, delegated)" in request_card(office, "erin", n)
    await office.say("erin", f"/approve {n}")

    card = request_card(office, "erin", n)  # carol, away, gets no card
    assert "✓ Manager: Erin Easton (for Carol Chen, delegated)" in card
    assert "Erin Easton (for Carol Chen, delegated) approved" in card
    assert "Erin Easton（代 Carol Chen，委托） 同意" in request_card(office, "bob", n)
    erin, carol = await member_id(office, "erin"), await member_id(office, "carol")
    assert await decisions(office, n) == [("approved", erin, carol)]


async def test_an_added_approver_is_named_with_who_added_them(office: Office) -> None:
    n = await office.submit("bob", EXPENSE)
    await office.say("carol", f"/addsign {n} before @fiona")
    await office.say("fiona", f"/approve {n}")
    await office.say("carol", f"/approve {n}")

    for approver in ("carol", "fiona"):
        card = request_card(office, approver, n)
        assert "✓ Added approver: Fiona Finance (added by Carol Chen)" in card
        assert "✓ Manager: Carol Chen" in card
        assert "Carol Chen added Fiona Finance before themselves" in card
        assert "Fiona Finance (added by Carol Chen) approved" in card
        assert "Carol Chen approved" in card
    requester = request_card(office, "bob", n)
    assert "Fiona Finance（Carol Chen 加签） 同意" in requester
    fiona, carol = await member_id(office, "fiona"), await member_id(office, "carol")
    assert await decisions(office, n) == [("approved", fiona, None), ("approved", carol, None)]


async def test_an_approver_added_after_decides_next_and_is_named(office: Office) -> None:
    n = await office.submit("bob", EXPENSE)
    await office.say("carol", f"/addsign {n} after @fiona")
    assert "· Added approver: Fiona Finance (added by Carol Chen)" not in request_card(
        office, "fiona", n
    )
    assert "⏳ Added approver: Fiona Finance (added by Carol Chen)" in request_card(
        office, "fiona", n
    )
    await office.say("fiona", f"/reject {n} over budget")
    card = request_card(office, "carol", n)
    assert "✓ Manager: Carol Chen" in card
    assert "✗ Added approver: Fiona Finance (added by Carol Chen)" in card
    assert "Fiona Finance (added by Carol Chen) rejected: over budget" in card
    fiona, carol = await member_id(office, "fiona"), await member_id(office, "carol")
    assert await decisions(office, n) == [("approved", carol, None), ("rejected", fiona, None)]
