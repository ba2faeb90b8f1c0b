"""A bounded closed-loop load generator: many web chat conversations, one command in flight each.

Each conversation signs in (``GET /login``, then ``POST /login`` with the form's CSRF token), opens
the chat WebSocket, sends a ``say`` frame and waits for the reply ``message`` frame before it sends
the next one. Every loop is bounded by a command count and by time; a reply that does not come
within ``reply_timeout`` counts as lost.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

COOKIE = "bizbot_session"
CSRF_COOKIE = "bizbot_csrf"
RECEIVE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Plan:
    """What to drive: who, for how long, how many commands at most, and which commands."""

    base_url: str
    handles: list[str]
    warmup: float
    duration: float
    max_commands: int  # per conversation
    whoami_share: float = 0.0
    reply_timeout: float = 30.0
    quiet: float = 1.0  # after the last reply, how long to listen for stray frames


@dataclass
class Tally:
    """What one conversation sent and received."""

    sent: int = 0
    acks: int = 0
    replies: int = 0
    duplicate_acks: int = 0  # acks saying the event was already stored
    error_frames: int = 0
    lost: int = 0  # commands whose reply never came
    extra: int = 0  # message frames beyond one per command
    wrong: int = 0  # replies whose content does not fit the command
    failed: str = ""  # why the conversation stopped early, if it did


@dataclass
class Window:
    """The measured interval, after the warm-up."""

    start: float = 0.0
    stop: float = 0.0
    go: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class LoadResult:
    """What a run measured."""

    window_s: float
    completed: int  # replies received inside the window
    latencies_ms: list[float]
    tallies: list[Tally]
    client_cpu: float  # the generator's CPU use during the window, 1.0 = one core

    @property
    def throughput(self) -> float:
        """Replies per second inside the window."""
        return self.completed / self.window_s if self.window_s else 0.0

    def totals(self) -> dict[str, int]:
        """Every tally summed over the conversations."""
        keys = ("sent", "acks", "replies", "duplicate_acks", "error_frames", "lost", "extra")
        sums = {key: sum(getattr(t, key) for t in self.tallies) for key in keys}
        sums["wrong"] = sum(t.wrong for t in self.tallies)
        sums["failed_conversations"] = sum(1 for t in self.tallies if t.failed)
        return sums

    def exactly_once(self) -> bool:
        """Whether every command sent got exactly one ack and exactly one fitting reply."""
        t = self.totals()
        return (
            t["sent"] > 0
            and t["sent"] == t["acks"] == t["replies"]
            and t["duplicate_acks"] == t["error_frames"] == t["lost"] == t["extra"] == 0
            and t["wrong"] == 0
            and t["failed_conversations"] == 0
        )


async def sign_in(session: aiohttp.ClientSession, base_url: str, handle: str) -> str:
    """Local sign-in as a browser does it (open the form, post it with its CSRF token); returns
    the session cookie's value."""
    async with session.get(f"{base_url}/login") as page:
        token = page.cookies.get(CSRF_COOKIE)  # the form's hidden field holds the same value
        if page.status != 200 or token is None:
            raise RuntimeError(f"no sign-in form at {base_url}/login: HTTP {page.status}")
    async with session.post(
        f"{base_url}/login",
        data={"handle": handle, "csrf": token.value},
        headers={"Cookie": f"{CSRF_COOKIE}={token.value}"},
        allow_redirects=False,
    ) as response:
        morsel = response.cookies.get(COOKIE)
        if response.status != 302 or morsel is None:
            raise RuntimeError(f"sign-in as {handle} failed: HTTP {response.status}")
        return morsel.value


def fits(command: str, reply: dict[str, Any], handle: str) -> bool:
    """Whether a reply frame answers the command (``/ping`` -> pong, ``/whoami`` -> a card)."""
    message = reply.get("message") or {}
    if command == "/ping":
        return message.get("type") == "text" and message.get("text") == "pong"
    return message.get("type") == "card" and any(
        value == f"@{handle}" for _label, value in message.get("fields", [])
    )


class Conversation:
    """One member's socket, driven closed-loop."""

    def __init__(self, plan: Plan, index: int, run_id: str, window: Window) -> None:
        self.plan = plan
        self.handle = plan.handles[index]
        self.index = index
        self.run_id = run_id
        self.window = window
        self.tally = Tally()
        self.latencies: list[float] = []
        self.random = random.Random(index)

    async def run(self, session: aiohttp.ClientSession, ready: Callable[[], None]) -> None:
        """Sign in, connect, wait for the start, then send until the window closes."""
        cookie = await sign_in(session, self.plan.base_url, self.handle)
        url = f"{self.plan.base_url}/ws"
        async with session.ws_connect(
            url, headers={"Cookie": f"{COOKIE}={cookie}"}, max_msg_size=1024**2
        ) as ws:
            first = await ws.receive_json(timeout=RECEIVE_TIMEOUT)
            if first.get("type") != "history":
                raise RuntimeError(f"expected a history frame, got {first.get('type')}")
            ready()
            await self.window.go.wait()
            await self._drive(ws)
            await self._listen_for_strays(ws)

    async def _drive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        for seq in range(self.plan.max_commands):
            started = time.perf_counter()
            if started >= self.window.stop:
                return
            command = "/whoami" if self.random.random() < self.plan.whoami_share else "/ping"
            frame = {"type": "say", "id": f"{self.run_id}-{self.index}-{seq}", "text": command}
            await ws.send_str(json.dumps(frame))
            self.tally.sent += 1
            reply = await self._reply(ws, started + self.plan.reply_timeout)
            if reply is None:
                self.tally.lost += 1
                return
            done = time.perf_counter()
            self.tally.replies += 1
            if not fits(command, reply, self.handle):
                self.tally.wrong += 1
            if self.window.start <= done <= self.window.stop:
                self.latencies.append(done - started)

    async def _reply(
        self, ws: aiohttp.ClientWebSocketResponse, deadline: float
    ) -> dict[str, Any] | None:
        """Frames until the reply ``message``; None when the deadline passes or the socket ends."""
        while (left := deadline - time.perf_counter()) > 0:
            frame = await self._frame(ws, left)
            if frame is None:
                return None
            if frame.get("type") == "message":
                return frame
        return None

    async def _frame(
        self, ws: aiohttp.ClientWebSocketResponse, wait: float
    ) -> dict[str, Any] | None:
        """The next frame (acks and errors are counted here), or None."""
        try:
            message = await ws.receive(timeout=wait)
        except TimeoutError:
            return None
        if message.type is not aiohttp.WSMsgType.TEXT:
            self.tally.failed = self.tally.failed or f"socket {message.type.name}"
            return None
        frame: dict[str, Any] = json.loads(message.data)
        if frame.get("type") == "ack":
            self.tally.acks += 1
            self.tally.duplicate_acks += bool(frame.get("duplicate"))
        elif frame.get("type") == "error":
            self.tally.error_frames += 1
        return frame

    async def _listen_for_strays(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """After the last reply, any further ``message`` frame is a duplicate delivery."""
        deadline = time.perf_counter() + self.plan.quiet
        while (left := deadline - time.perf_counter()) > 0:
            frame = await self._frame(ws, left)
            if frame is None:
                return
            if frame.get("type") == "message":
                self.tally.extra += 1


async def drive(plan: Plan, on_window: Callable[[str], None] | None = None) -> LoadResult:
    """Run every conversation; ``on_window("start"|"stop")`` marks the measured interval."""
    window = Window()
    run_id = uuid.uuid4().hex[:8]
    conversations = [Conversation(plan, i, run_id, window) for i in range(len(plan.handles))]
    connected = asyncio.Event()
    count = 0

    def ready() -> None:
        nonlocal count
        count += 1
        if count == len(conversations):
            connected.set()

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        tasks = [asyncio.create_task(c.run(session, ready)) for c in conversations]
        waiter = asyncio.create_task(connected.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED, timeout=60)
        if not connected.is_set():
            waiter.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise RuntimeError("not every conversation could connect within 60 s")
        now = time.perf_counter()
        window.start = now + plan.warmup
        window.stop = window.start + plan.duration
        window.go.set()
        cpu_start = await _at(window.start, on_window, "start")
        cpu_stop = await _at(window.stop, on_window, "stop")
        hard_limit = plan.reply_timeout + plan.quiet + 30
        outcomes = await asyncio.wait_for(
            asyncio.gather(*tasks, return_exceptions=True), hard_limit
        )
    for conversation, outcome in zip(conversations, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            conversation.tally.failed = f"{type(outcome).__name__}: {outcome}"
    latencies = [s * 1000 for c in conversations for s in c.latencies]
    return LoadResult(
        window_s=plan.duration,
        completed=len(latencies),
        latencies_ms=latencies,
        tallies=[c.tally for c in conversations],
        client_cpu=(cpu_stop - cpu_start) / plan.duration,
    )


async def _at(moment: float, on_window: Callable[[str], None] | None, mark: str) -> float:
    """Sleep until ``moment``, call the hook, and return this process's CPU time."""
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))
    if on_window is not None:
        on_window(mark)
    return time.process_time()


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]
