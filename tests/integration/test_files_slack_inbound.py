"""A file a member shares with the bot on Slack: downloaded with the bot token, checked, kept."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.pipeline.tables import FileRow, InboxRow
from tests.fakes import slack_requests as slack
from tests.fakes.slack import FakeSlack
from tests.integration.slack_rig import SlackRig, rig_fixture

PDF = b"%PDF-1.5\n" + bytes(range(256)) * 8


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def rig(
    sqlite_settings: Settings, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SlackRig]:
    async for running in rig_fixture(sqlite_settings, fake, monkeypatch):
        yield running


def file_share(fake: FakeSlack, text: str, files: list[dict[str, object]]) -> str:
    message = slack.direct_message(text) | {"subtype": "file_share", "files": files}
    return slack.event(message)


async def test_a_shared_pdf_is_downloaded_and_kept(rig: SlackRig, fake: FakeSlack) -> None:
    entry = fake.member_file("F1", "invoice.pdf", PDF)
    assert await rig.signed(file_share(fake, "", [entry]), json_body=True) == 200
    await rig.runtime.settle()
    assert fake.downloads == [f"Bearer {slack.BOT_TOKEN}"]
    row = await rig.runtime.db.run(lambda s: s.scalars(select(FileRow)).one())
    assert (row.name, row.content_type, bytes(row.data)) == ("invoice.pdf", "application/pdf", PDF)
    payload = await rig.runtime.db.run(lambda s: s.scalars(select(InboxRow.payload)).one())
    assert payload["files"][0]["id"] == row.id
    # a file alone: the member is told it is kept and how to use it
    assert "/expense" in rig.last_in("D0ALICE").body["text"]


async def test_a_file_url_on_another_host_never_gets_the_token(
    rig: SlackRig, fake: FakeSlack
) -> None:
    forged = {"id": "F9", "name": "x.pdf", "size": 10, "url_private_download": "http://10.0.0.1/x"}
    await rig.signed(file_share(fake, "", [forged]), json_body=True)
    await rig.runtime.settle()
    assert fake.downloads == []
    assert await rig.runtime.db.run(lambda s: s.scalars(select(FileRow)).all()) == []
    assert "x.pdf" in rig.last_in("D0ALICE").body["text"]  # "could not be fetched"
