"""Files in the web chat: downloads for the conversation's member only, uploads checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import FormData
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.events import Address
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import FileRow, InboxRow
from bot.replies import Reply
from tests.webchat import Site, frame_id, frames_until, local_login, of_type, serving

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100
EXE = b"MZ\x90\x00" + b"\x00" * 100


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    async with serving(local_login(settings)) as running:
        yield running


async def send_file_to(site: Site, handle: str, message: Reply) -> None:
    """Queue a message with a file for a member's web chat, as a command would."""
    now = site.runtime.clock.now()

    def write(session: Session) -> None:
        OutboxWriter(session, now, None, timedelta(hours=1)).send(
            Address("webchat", handle), message, recipient_id=None
        )

    await site.runtime.db.run(write)
    site.runtime.relay.wake()
    await site.runtime.settle()


def upload(data: bytes, name: str, text: str = "") -> FormData:
    form = FormData()
    form.add_field("id", frame_id())
    form.add_field("text", text)
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return form


async def test_a_file_reaches_the_page_and_only_its_member_can_download_it(site: Site) -> None:
    await site.login("alice")
    ws = await site.socket()
    await frames_until(ws, of_type("history"))
    await send_file_to(
        site, "alice", Reply("Statement").with_file("月结单.pdf", "application/pdf", PDF)
    )
    (frame,) = [f for f in await frames_until(ws, of_type("message"))][-1:]
    (file,) = frame["message"]["files"]
    assert (file["name"], file["type"], file["size"]) == ("月结单.pdf", "application/pdf", len(PDF))
    await ws.close()

    url = f"/files/{file['id']}/x.pdf"
    got = await site.client.get(url)
    assert got.status == 200
    assert await got.read() == PDF
    assert got.headers["Content-Type"] == "application/octet-stream"  # never rendered here
    assert got.headers["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert got.headers["X-Content-Type-Options"] == "nosniff"

    history = await (await site.client.get("/api/history")).json()
    assert history["lines"][-1]["message"]["files"][0]["id"] == file["id"]

    site.sign_out_locally()
    assert (await site.client.get(url)).status == 401
    await site.login("bob")  # another member: as if the file did not exist
    assert (await site.client.get(url)).status == 404


async def test_a_picture_is_served_inline_with_its_type(site: Site) -> None:
    await site.login("alice")
    await send_file_to(site, "alice", Reply("Chart").with_file("chart.png", "image/png", PNG))
    file_id = await site.runtime.db.run(lambda s: s.scalars(select(FileRow.id)).one())
    got = await site.client.get(f"/files/{file_id}/chart.png")
    assert (got.status, got.headers["Content-Type"]) == (200, "image/png")
    assert got.headers["Content-Disposition"].startswith("inline")


async def test_an_uploaded_receipt_is_checked_by_its_bytes_and_kept(site: Site) -> None:
    await site.login("alice")
    headers = {"X-Bizbot-Upload": "1", "Origin": site.origin}
    got = await site.client.post("/api/files", data=upload(PNG, "receipt.pdf"), headers=headers)
    assert got.status == 200, await got.text()
    await site.runtime.settle()
    row = await site.runtime.db.run(lambda s: s.scalars(select(FileRow)).one())
    # the bytes say PNG, whatever the name says
    assert (row.direction, row.content_type, row.conversation_key) == (
        "in",
        "image/png",
        "webchat::alice",
    )
    payload = await site.runtime.db.run(lambda s: s.scalars(select(InboxRow.payload)).one())
    assert payload["files"][0] == {
        "name": "receipt.pdf",
        "type": "image/png",
        "size": len(PNG),
        "id": row.id,
        "refused": "",
    }
    # the member's own line shows it, and they may download it
    history = await (await site.client.get("/api/history")).json()
    member_line = next(line for line in history["lines"] if line["author"] == "member")
    assert member_line["message"]["files"][0]["id"] == row.id
    assert await (await site.client.get(f"/files/{row.id}/r.png")).read() == PNG


async def test_a_program_is_refused_with_a_message_in_the_members_language(site: Site) -> None:
    await site.login("bob")  # bob reads Chinese
    ws = await site.socket()
    await frames_until(ws, of_type("history"))
    headers = {"X-Bizbot-Upload": "1"}
    got = await site.client.post("/api/files", data=upload(EXE, "发票.pdf"), headers=headers)
    assert got.status == 200
    frames = await frames_until(ws, of_type("message"))
    text = frames[-1]["message"]["text"]
    assert "发票.pdf" in text and "程序" in text
    await ws.close()
    assert await site.runtime.db.run(lambda s: s.scalars(select(FileRow)).all()) == []


async def test_an_upload_from_another_site_is_refused(site: Site) -> None:
    await site.login("alice")
    forged = await site.client.post(
        "/api/files", data=upload(PNG, "x.png"), headers={"Origin": site.origin}
    )
    assert forged.status == 403  # no upload header: a plain cross-site form could do that
    other = await site.client.post(
        "/api/files",
        data=upload(PNG, "x.png"),
        headers={"X-Bizbot-Upload": "1", "Origin": "https://evil.example"},
    )
    assert other.status == 403
    assert await site.inbox_rows() == 0
