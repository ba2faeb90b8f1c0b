"""The load generator of bench.telegram: Telegram-shaped webhook posts over keep-alive sockets.

A small asyncio protocol instead of an HTTP client library, so that one Python core can drive
the server harder than it can answer (aiohttp's client would be the bottleneck for ``bare``).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Load:
    """Where to send and as whom: ``users`` members with consecutive Telegram ids."""

    port: int
    secret: str
    users: int
    first_user: int
    conns: int
    host: str = "127.0.0.1"
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_request(self) -> bytes:
        """A POST of the next update (a new update_id, the next member's ``/ping``)."""
        update_id = next(self.ids)
        body = update_body(update_id, self.first_user + update_id % self.users)
        head = (
            f"POST /telegram/webhook HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nX-Telegram-Bot-Api-Secret-Token: {self.secret}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body


def update_body(update_id: int, user_id: int) -> bytes:
    """A private-chat ``/ping`` as Telegram sends it (about 400 bytes)."""
    user = (
        f'{{"id":{user_id},"is_bot":false,"first_name":"Member","last_name":"{user_id}",'
        f'"username":"m{user_id}","language_code":"en"}}'
    )
    chat = (
        f'{{"id":{user_id},"first_name":"Member","last_name":"{user_id}",'
        f'"username":"m{user_id}","type":"private"}}'
    )
    message = (
        f'{{"message_id":{update_id},"from":{user},"chat":{chat},"date":1764400000,'
        f'"text":"/ping","entities":[{{"offset":0,"length":5,"type":"bot_command"}}]}}'
    )
    return f'{{"update_id":{update_id},"message":{message}}}'.encode()


class Connection(asyncio.Protocol):
    """One keep-alive connection with one request in flight at a time."""

    def __init__(self) -> None:
        self._buffer = b""
        self._need: int | None = None
        self._status = 0
        self._waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._waiter and not self._waiter.done():
            self._waiter.set_exception(exc or ConnectionError("closed by the server"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._need is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            match = CONTENT_LENGTH.search(self._buffer, 0, end + 2)
            self._need = end + 4 + (int(match.group(1)) if match else 0)
            self._status = int(self._buffer[9:12])
        if len(self._buffer) >= self._need:
            self._buffer, self._need = self._buffer[self._need :], None
            if self._waiter and not self._waiter.done():
                self._waiter.set_result(self._status)

    async def request(self, payload: bytes) -> int:
        """Send one request, return its status once the whole response has arrived."""
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return await self._waiter


async def connect(load: Load) -> list[Connection]:
    """Open ``load.conns`` connections."""
    loop = asyncio.get_running_loop()
    made = [
        await loop.create_connection(Connection, load.host, load.port) for _ in range(load.conns)
    ]
    return [protocol for _, protocol in made]


def close(connections: list[Connection]) -> None:
    """Close the connections."""
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()


async def closed_loop(load: Load, *, warmup: float, duration: float) -> dict[str, Any]:
    """Each connection posts as fast as it is answered; count what completes in the window."""
    connections = await connect(load)
    start = time.monotonic() + warmup
    stop = start + duration
    latencies: list[float] = []
    errors = [0]

    async def drive(connection: Connection) -> None:
        while (now := time.monotonic()) < stop:
            status = await connection.request(load.next_request())
            done = time.monotonic()
            if status != 200:
                errors[0] += 1
            elif start <= done < stop:
                latencies.append(done - now)

    try:
        await asyncio.gather(*(drive(c) for c in connections))
    finally:
        close(connections)
    return {
        "per_s": len(latencies) / duration,
        "ok": len(latencies),
        "errors": errors[0],
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
    }


async def fixed_count(load: Load, count: int) -> dict[str, Any]:
    """Post ``count`` updates over the connections; returns when every one was answered."""
    connections = await connect(load)
    remaining = iter(range(count))
    statuses: list[int] = []

    async def drive(connection: Connection) -> None:
        for _ in remaining:
            statuses.append(await connection.request(load.next_request()))

    started = time.monotonic()
    try:
        await asyncio.gather(*(drive(c) for c in connections))
    finally:
        close(connections)
    ok = statuses.count(200)
    return {"ok": ok, "errors": len(statuses) - ok, "seconds": time.monotonic() - started}


def _percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
