"""A receipt sent with an expense claim travels with the request: on every approval card."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.memory.translate import say
from bot.config import Settings
from bot.events import Address
from bot.filestore import DatabaseFiles
from bot.pipeline.tables import FileRow
from bot.replies import Card
from tests.integration.approvals_rig import Office, running_office

RECEIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 20


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings) as running:
        yield running


async def send_with_file(office: Office, handle: str, text: str, name: str, data: bytes) -> None:
    """What an adapter does: keep the file, then hand in the event that carries it."""
    files = DatabaseFiles(office.runtime.db, office.runtime.clock)
    kept = await files.keep(Address("memory", handle), handle, name, data)
    event = say(handle, text, event_id=uuid.uuid4().hex, files=(kept,))
    await office.send(event)


async def test_the_receipt_is_on_the_claimants_and_the_approvers_cards(office: Office) -> None:
    await send_with_file(
        office, "dan", "/expense amount=86 category=travel reason=taxi", "taxi.jpg", RECEIPT
    )
    mine = office.card("dan")
    n = int(mine.title.split("#", 1)[1].split()[0])
    approver = office.card("carol", n)
    for card in (mine, approver):
        assert any(f.label == "Attachments" and "taxi.jpg" in f.value for f in card.fields)
        (file,) = card.attachments
        assert (file.name, file.content_type, file.data) == ("taxi.jpg", "image/jpeg", RECEIPT)
    # each conversation holds its own copy: the web chat serves it to that member only
    rows = await office.run(
        lambda s: s.execute(select(FileRow.conversation_key, FileRow.size)).all()
    )
    assert sorted(rows) == [("memory::carol", len(RECEIPT)), ("memory::dan", len(RECEIPT))]
    state = await office.request(n)
    assert state.fields["_files"][0]["name"] == "taxi.jpg"


async def test_an_executable_receipt_is_refused_and_no_claim_starts(office: Office) -> None:
    await send_with_file(
        office,
        "dan",
        "/expense amount=86 category=travel reason=taxi",
        "bill.pdf",
        b"MZ" + b"0" * 90,
    )
    texts = office.texts("dan")
    assert any(
        "bill.pdf was not kept: programs and scripts are never accepted." in t for t in texts
    )
    assert await office.run(lambda s: s.scalars(select(FileRow)).all()) == []
    assert not [p for p in office.posted("dan") if isinstance(p.message, Card)]  # no claim
