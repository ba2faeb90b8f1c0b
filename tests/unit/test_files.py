"""Files: what their bytes say they are, how messages keep them, how the console saves them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console.client import ConsoleClient
from bot.events import Address, EventKind, InboundEvent, InboundFile
from bot.pipeline.files import Refusal, check_inbound, sniff
from bot.ports import MAX_INBOUND_BYTES
from bot.replies import Card, Reply, from_wire, to_wire

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
PDF = b"%PDF-1.7\n%\xe2\xe3"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (PDF, "application/pdf"),
        (b"PK\x03\x04", None),  # a zip (or a .docx, a .jar): not kept
        (b"<html><script>", None),
        (b"", None),
    ],
)
def test_the_bytes_decide_the_type(data: bytes, expected: str | None) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("receipt.pdf", b"MZ\x90\x00"),  # a Windows program named like a PDF
        ("receipt.jpg", b"\x7fELF\x02\x01"),
        ("run.png", b"#!/bin/sh\nrm -rf /"),
        ("setup.exe", PNG),  # a picture named like a program is refused too
        ("x.sh", PDF),
    ],
)
def test_programs_are_refused_whatever_their_name_says(name: str, data: bytes) -> None:
    assert check_inbound(name, data) == ("", Refusal.EXECUTABLE)


def test_size_and_unknown_kinds_are_refused() -> None:
    assert check_inbound("big.png", PNG + b"0" * MAX_INBOUND_BYTES) == ("", Refusal.TOO_BIG)
    assert check_inbound("notes.txt", b"hello") == ("", Refusal.TYPE)
    assert check_inbound("scan.jpeg", JPEG) == ("image/jpeg", None)


def test_files_survive_the_wire_without_their_bytes() -> None:
    card = Card("Statement").with_file("s.pdf", "application/pdf", PDF)
    stored = Card(card.title, attachments=(card.attachments[0].stored(7),))
    wire = to_wire(stored)
    assert wire["files"] == [
        {"id": 7, "name": "s.pdf", "type": "application/pdf", "size": len(PDF)}
    ]
    back = from_wire(wire)
    assert back.attachments[0].file_id == 7 and back.attachments[0].data == b""
    assert "files" not in to_wire(Reply("plain"))  # nothing added to a text-only message


def test_an_inbound_event_keeps_its_files_description() -> None:
    event = InboundEvent(
        EventKind.COMMAND,
        Address("memory", "dan"),
        "e1",
        "dan",
        text="/expense",
        files=(InboundFile("taxi.jpg", "image/jpeg", 10, file_id=3),),
    )
    assert InboundEvent.from_wire(event.to_wire()) == event
    plain = InboundEvent(EventKind.MESSAGE, Address("memory", "dan"), "e2", "dan", text="hi")
    assert "files" not in plain.to_wire()


async def test_the_console_writes_files_and_prints_their_path(tmp_path: Path) -> None:
    out = io.StringIO()
    client = ConsoleClient(Console(file=out, width=200), tmp_path / "files")
    message = Reply("Your statement").with_file("月结单.pdf", "application/pdf", PDF)
    stored = Reply(message.text, attachments=(message.attachments[0].stored(5),))
    await client.send(Address("console", "alice"), stored, {})
    saved = tmp_path / "files" / "5" / "月结单.pdf"
    assert saved.read_bytes() == PDF
    assert str(saved) in out.getvalue().replace("\n", "")
