"""End to end on Slack: signed ``/biz whoami`` from 3,000 members -> ``bizbot serve`` -> replies.

``python -m bench.e2e [--quick] [--platform slack] [--database URL] [--json FILE]``

Every round measures, each server in its own process pinned to CPU 0 (this process, the load
generator and the fake Slack Web API it hosts, on CPU 1):

- ``bare``: ``bench.slack_servers bare`` (aiohttp reads the form and answers 200), driven by the
  same closed loop: the ceiling the ratios are taken against, as issue 17 defines them.
- ``bizbot``: ``python -m bot serve`` in the production configuration (workers, relay and flows
  running, the real ``SlackChannel`` on ``POST /slack/events``, delivery through slack_sdk to the
  fake Slack) after ``python -m bot org import`` of an org of ``--members`` members, each bound
  to a Slack user id. Three phases on the same server:

  - **steady**: ``--connections`` keep-alive connections, each sending the next signed request
    as soon as the previous one was acknowledged (a closed loop, like ``bench.slack``); every
    request is a distinct slash command (its own ``trigger_id``) from the next member in turn,
    in that member's direct-message channel. Measured: acks/s and ack latency (time to the
    HTTP 200) inside the window, and replies/s the fake Slack received from the first request
    to the last reply.
  - **open loop**: ``--offered`` requests a second for ``--duration`` seconds, whatever the
    answers (on up to 256 connections), each ack timed from when its request was due: the ack
    latency at a fixed offered rate while the server processes at full rate.
  - **burst**: ``--burst`` requests written at once, each on its own connection as Slack sends
    them (opened beforehand; fewer ``--burst-connections`` pipeline several requests each):
    how many were acknowledged within Slack's 3 seconds of the burst, late, lost.

Correctness is checked in every run, as ``bench.pipeline`` does: every acknowledged request got
exactly one reply in its member's channel, carrying that member's handle, nothing more arrived
in a quiet second after, and the database agrees (every inbox row done, every outbox row sent).
The exit status is 1 otherwise. Loopback only; every loop is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bench import procs
from bench.loadgen import percentile
from bench.slack import cpu_seconds
from bench.slack_servers import SECRET, TOKEN
from tests.support import create_pg_database, drop_pg_database

TEAM = "T0BENCH"
SLACK_DEADLINE = 3.0  # seconds Slack waits for the 200 before it shows the member an error
REPLY_TIMEOUT = 120.0  # after the last request, how long replies may take before they are lost
QUIET = 1.0  # after the last reply, how long to listen for duplicates
ACK_TIMEOUT = 10.0  # an acknowledgement slower than this is lost
OFFERED_CONNECTIONS = 256  # keep-alive connections the open loop sends on
# No answer, a broken one, or a broken connection: the request counts as lost.
ANSWER_FAILED = (TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError, OSError)


def user_id(index: int) -> str:
    """Member ``index``'s Slack user id."""
    return f"U{index:08d}"


def dm_channel(index: int) -> str:
    """The direct-message channel member ``index`` types the slash command in."""
    return f"D{index:08d}"


def handle(index: int) -> str:
    """Member ``index``'s handle."""
    return f"m{index:05d}"


def org_yaml(members: int) -> str:
    """An org of ``members`` members, each bound to a Slack user id."""
    lines = ["org: {name: Bench Co, timezone: UTC, locale: en, currency: USD}", "members:"]
    for i in range(members):
        lines.append(
            f"  - {{handle: {handle(i)}, name: Member {i}, roles: [sales],"
            f" identities: {{slack: {user_id(i)}}}}}"
        )
    return "\n".join(lines) + "\n"


class Requests:
    """Distinct signed ``/biz whoami`` slash commands, one member after another, built ahead.

    Signed with slack_sdk's ``SignatureVerifier`` when built (Slack's window is 5 minutes), so
    that the load generator spends its time sending, not signing.
    """

    def __init__(self, port: int, members: int) -> None:
        self._verifier = SignatureVerifier(SECRET)
        self._ids = itertools.count(1)
        self._members = itertools.cycle(range(members))
        self._host = f"127.0.0.1:{port}"
        self._run = f"{time.time_ns():x}"

    def build(self, count: int) -> list[tuple[str, bytes]]:
        """The next ``count`` requests: (the member's channel, the HTTP request)."""
        return [self._one(next(self._members)) for _ in range(count)]

    def _one(self, member: int) -> tuple[str, bytes]:
        channel = dm_channel(member)
        body = urlencode(
            {
                "token": "deprecated",
                "team_id": TEAM,
                "channel_id": channel,
                "user_id": user_id(member),
                "user_name": handle(member),
                "command": "/biz",
                "text": "whoami",
                "api_app_id": "A0BENCH",
                "response_url": f"http://{self._host}/no-response-url",
                "trigger_id": f"{next(self._ids)}.{self._run}.bench",
            }
        )
        ts = str(int(time.time()))
        signature = self._verifier.generate_signature(timestamp=ts, body=body)
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: {self._host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {signature}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return channel, head.encode() + body.encode()


@dataclass
class Acks:
    """What the platform side saw: acknowledged requests per channel, latencies, failures."""

    sent: Counter[str] = field(default_factory=Counter)
    errors: int = 0  # answered, but not with 200
    lost: int = 0  # no answer within ACK_TIMEOUT (or the connection broke)
    in_window: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, inside the window
    first_at: float = 0.0  # perf_counter of the first request

    @property
    def total(self) -> int:
        """Requests acknowledged with a 200."""
        return sum(self.sent.values())


async def read_status(reader: asyncio.StreamReader) -> int:
    """One HTTP/1.1 response: its status (the body is read and dropped)."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


async def closed_loop_connection(
    port: int, requests: Iterator[tuple[str, bytes]], window: tuple[float, float], acks: Acks
) -> None:
    """Send one request after another on a keep-alive connection until the window closes."""
    start, stop = window
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (now := time.perf_counter()) < stop:
            channel, request = next(requests, ("", b""))
            if not request:
                return
            acks.first_at = acks.first_at or now
            writer.write(request)
            try:
                status = await asyncio.wait_for(read_status(reader), ACK_TIMEOUT)
            except ANSWER_FAILED:
                acks.lost += 1
                return
            done = time.perf_counter()
            if status == 200:
                acks.sent[channel] += 1
            else:
                acks.errors += 1
            if now >= start and done <= stop:
                acks.in_window += 1
                acks.latencies.append(done - now)
    finally:
        writer.close()


async def closed_loop(
    port: int, requests: Iterator[tuple[str, bytes]], args: argparse.Namespace, pid: int
) -> tuple[Acks, float]:
    """Drive a server for warm-up + duration; the acks, and its CPU seconds in the window."""
    acks = Acks()
    begin = time.perf_counter()
    window = (begin + args.warmup, begin + args.warmup + args.duration)

    async def cpu_at(moment: float) -> float:
        await asyncio.sleep(max(0.0, moment - time.perf_counter()))
        return cpu_seconds(pid)

    marks = [asyncio.create_task(cpu_at(moment)) for moment in window]
    await asyncio.gather(
        *(closed_loop_connection(port, requests, window, acks) for _ in range(args.connections))
    )
    start, stop = await asyncio.gather(*marks)
    return acks, stop - start


async def burst(port: int, members: int, count: int, connections: int) -> tuple[Acks, list[float]]:
    """``count`` requests written at once; returns the acks and each one's seconds from t0."""
    requests = Requests(port, members).build(count)
    shares = [requests[n::connections] for n in range(connections)]
    opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
    acks = Acks()
    waits: list[float] = []
    t0 = time.perf_counter()
    acks.first_at = t0

    async def one(
        share: list[tuple[str, bytes]], conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    ) -> None:
        reader, writer = conn
        writer.write(b"".join(request for _, request in share))  # pipelined: all sent at t0
        try:
            for channel, _ in share:
                status = await asyncio.wait_for(read_status(reader), ACK_TIMEOUT)
                waits.append(time.perf_counter() - t0)
                if status == 200:
                    acks.sent[channel] += 1
                else:
                    acks.errors += 1
        except ANSWER_FAILED:
            pass  # the rest of this connection's share is lost: counted below
        finally:
            writer.close()

    await asyncio.gather(*(one(share, conn) for share, conn in zip(shares, opened, strict=True)))
    acks.lost = count - acks.total - acks.errors
    return acks, waits


async def offered(port: int, members: int, rate: float, seconds: float) -> tuple[Acks, list[float]]:
    """``rate`` requests a second for ``seconds``, whatever the answers (an open loop).

    Each ack is timed from when its request was due, so a request that waited for a free
    connection counts its wait too.
    """
    count = int(rate * seconds)
    requests = Requests(port, members).build(count)
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(OFFERED_CONNECTIONS):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    acks = Acks()
    waits: list[float] = []
    t0 = acks.first_at = time.perf_counter()

    async def one(number: int, channel: str, request: bytes) -> None:
        due = t0 + number / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        reader, writer = await idle.get()
        try:
            writer.write(request)
            status = await asyncio.wait_for(read_status(reader), ACK_TIMEOUT)
        except ANSWER_FAILED:
            writer.close()  # counted as lost below; the connection is not reused
            return
        waits.append(time.perf_counter() - due)
        if status == 200:
            acks.sent[channel] += 1
        else:
            acks.errors += 1
        idle.put_nowait((reader, writer))

    await asyncio.gather(*(one(n, ch, r) for n, (ch, r) in enumerate(requests)))
    while not idle.empty():
        idle.get_nowait()[1].close()
    acks.lost = count - acks.total - acks.errors
    return acks, waits


class FakeSlack:
    """Slack's Web API as the reply path calls it, counting the replies each channel received.

    ``chat.postMessage`` and ``chat.update`` answer ``{"ok": true, "channel", "ts"}`` as Slack
    does; ``conversations.open`` answers a user's DM channel; anything else ``unknown_method``.
    The requests' ``response_url`` leads nowhere (a path the server under test does not serve),
    so a reply sent that way fails and shows up as a missing reply.
    """

    def __init__(self) -> None:
        self.replies: Counter[str] = Counter()
        self.wrong = 0  # replies whose text does not name the member of the channel
        self.other: Counter[str] = Counter()  # every other method called
        self.last_at = 0.0
        self._expected = 0
        self._arrived = asyncio.Event()  # set once ``_expected`` replies are in
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def total(self) -> int:
        """Replies received so far."""
        return sum(self.replies.values())

    async def start(self) -> FakeSlack:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/api/"
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        if method == "chat.postMessage":
            channel = str(body.get("channel", ""))
            self.replies[channel] += 1
            self.last_at = time.perf_counter()
            if self.total >= self._expected:
                self._arrived.set()
            if not channel.startswith("D") or f"@{handle(int(channel[1:]))}" not in str(body):
                self.wrong += 1
            ts = f"{1700000000 + next(self._ts)}.000100"
            return web.json_response({"ok": True, "channel": channel, "ts": ts})
        self.other[method] += 1
        if method == "chat.update":
            return web.json_response({"ok": True, "channel": body.get("channel"), "ts": "1.0"})
        if method == "conversations.open":
            channel = "D" + str(body.get("users", ""))[1:]
            return web.json_response({"ok": True, "channel": {"id": channel}})
        return web.json_response({"ok": False, "error": "unknown_method"})

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        """The call's arguments: JSON, a form, or (slack_sdk's ``params``) the query string."""
        arguments: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            data = await request.json()
            return arguments | (data if isinstance(data, dict) else {})
        return arguments | dict(await request.post())

    async def settle(self, expected: int, since: float, quiet: float = QUIET) -> float:
        """Wait (bounded) for ``expected`` replies in all, then ``quiet`` seconds.

        Returns the seconds from ``since`` to the last reply (0 if some never came).
        """
        self._expected = expected
        self._arrived.clear()
        if self.total < expected:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), REPLY_TIMEOUT)
        elapsed = self.last_at - since if self.total >= expected else 0.0
        await asyncio.sleep(quiet)
        return elapsed


def exactly_once(acks: Acks, replies: Counter[str], wrong: int) -> bool:
    """Every acknowledged request got exactly one fitting reply in its channel, nothing else."""
    return acks.total > 0 and acks.errors == acks.lost == wrong == 0 and acks.sent == replies


@dataclass
class Round:
    """One round's figures."""

    bare_per_s: float = 0.0
    bare_p50_ms: float = 0.0
    bare_p99_ms: float = 0.0
    bare_cpu_us: float = 0.0  # bare server CPU per request
    acks_per_s: float = 0.0
    ack_p50_ms: float = 0.0
    ack_p99_ms: float = 0.0
    requests: int = 0
    replies_per_s: float = 0.0
    reply_cpu_us: float = 0.0  # bizbot server CPU per request, from first request to last reply
    offered: float = 0.0  # requests a second offered in the open-loop phase
    offered_p50_ms: float = 0.0
    offered_p99_ms: float = 0.0
    offered_lost: int = 0
    burst: int = 0
    burst_on_time: int = 0
    burst_late: int = 0
    burst_lost: int = 0
    burst_max_s: float = 0.0
    burst_replies_per_s: float = 0.0
    exactly_once: bool = False
    durable: bool = False
    other_calls: dict[str, int] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Replies/s end to end over bare aiohttp's req/s in the same round."""
        return self.replies_per_s / self.bare_per_s if self.bare_per_s else 0.0

    @property
    def cpu_ratio(self) -> float:
        """The same by CPU cost (robust on a busy machine): bare's CPU per request over ours."""
        return self.bare_cpu_us / self.reply_cpu_us if self.reply_cpu_us else 0.0


class ServerProcess:
    """A ``bench.slack_servers`` child: prints READY, stops when its stdin closes."""

    def __init__(self, scenario: str, port: int) -> None:
        cpu = str(procs.SERVER_CPU if procs.can_pin() else -1)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.slack_servers", scenario, str(port), cpu, ""],
            cwd=procs.ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    async def ready(self) -> None:
        """Wait (bounded) for READY."""
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 60)
        if line.strip() != b"READY":
            raise RuntimeError("the bare server did not start")

    async def stop(self) -> None:
        """Close its stdin and wait (bounded)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.to_thread(self.proc.wait, 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def run_bare(args: argparse.Namespace, figures: Round) -> None:
    """The ceiling: bare aiohttp under the same closed loop."""
    port = procs.free_port()
    server = ServerProcess("bare", port)
    try:
        await server.ready()
        pool = Requests(port, args.members).build(args.pool)
        acks, cpu = await closed_loop(port, itertools.cycle(pool), args, server.proc.pid)
    finally:
        await server.stop()
    figures.bare_per_s = acks.in_window / args.duration
    figures.bare_cpu_us = 1e6 * cpu / acks.in_window if acks.in_window else 0.0
    figures.bare_p50_ms = 1000 * percentile(acks.latencies, 0.5)
    figures.bare_p99_ms = 1000 * percentile(acks.latencies, 0.99)


async def run_bizbot(
    args: argparse.Namespace, figures: Round, url: str, workdir: Path, fake: FakeSlack
) -> None:
    """``bizbot serve`` with Slack on the bench org: the steady phase, then the burst."""
    env = {"BIZBOT_DATABASE_URL": url, "BIZBOT_DEMO": "0"}
    org = workdir / "org.yaml"
    org.write_text(org_yaml(args.members), encoding="utf-8")
    procs.run_cli(["org", "import", str(org)], env)
    port = procs.free_port()
    env |= {
        "BIZBOT_HOST": "127.0.0.1",
        "BIZBOT_PORT": str(port),
        "BIZBOT_SLACK_BOT_TOKEN": TOKEN,
        "BIZBOT_SLACK_SIGNING_SECRET": SECRET,
        "BIZBOT_SLACK_API_URL": fake.url,
    }
    server = procs.Server(["-m", "bot", "serve"], env, workdir / "bizbot.log", port)
    try:
        await asyncio.to_thread(server.wait_ready, "/readyz")
        if not url.startswith("sqlite"):
            await procs.pin_pg_backends(url)
        pool = Requests(port, args.members).build(args.pool)  # distinct: bizbot drops repeats
        cpu_before = server.cpu_seconds()
        steady, _ = await closed_loop(port, iter(pool), args, server.proc.pid)
        if steady.total + steady.errors + steady.lost >= len(pool):
            print("the request pool ran out: raise --pool", file=sys.stderr)
        seconds = await fake.settle(steady.total, steady.first_at)
        cpu = server.cpu_seconds() - cpu_before  # to the last reply, and the quiet second
        figures.replies_per_s = steady.total / seconds if seconds else 0.0
        figures.reply_cpu_us = 1e6 * cpu / steady.total if steady.total else 0.0
        figures.acks_per_s = steady.in_window / args.duration
        figures.ack_p50_ms = 1000 * percentile(steady.latencies, 0.5)
        figures.ack_p99_ms = 1000 * percentile(steady.latencies, 0.99)
        figures.requests = steady.total
        steady_ok = exactly_once(steady, fake.replies, fake.wrong)
        before = Counter(fake.replies)
        loop, delays = await offered(port, args.members, args.offered, args.duration)
        await fake.settle(steady.total + loop.total, loop.first_at)
        figures.offered = args.offered
        figures.offered_p50_ms = 1000 * percentile(delays, 0.5)
        figures.offered_p99_ms = 1000 * percentile(delays, 0.99)
        figures.offered_lost = loop.lost + loop.errors
        offered_ok = exactly_once(loop, fake.replies - before, fake.wrong)
        before = Counter(fake.replies)
        sudden, waits = await burst(port, args.members, args.burst, args.burst_connections)
        expected = steady.total + loop.total + sudden.total
        seconds = await fake.settle(expected, sudden.first_at)
        figures.burst_replies_per_s = sudden.total / seconds if seconds else 0.0
        figures.burst = args.burst
        figures.burst_on_time = sum(1 for w in waits if w <= SLACK_DEADLINE)
        figures.burst_late = len(waits) - figures.burst_on_time
        figures.burst_lost = sudden.lost + sudden.errors
        figures.burst_max_s = max(waits, default=0.0)
        burst_ok = exactly_once(sudden, fake.replies - before, fake.wrong)
        figures.exactly_once = steady_ok and offered_ok and burst_ok
        figures.other_calls = dict(fake.other)
    finally:
        await asyncio.to_thread(server.stop)
    rows = await procs.pipeline_counts(url)
    total = steady.total + loop.total + sudden.total
    figures.durable = rows == {"inbox": {"done": total}, "outbox": {"sent": total}}
    if not figures.durable:
        print(f"database: {rows}, expected {total} done and sent", file=sys.stderr)


async def one_round(args: argparse.Namespace) -> Round:
    """Bare, then Bizbot on a fresh database, with a fresh fake Slack."""
    figures = Round()
    await run_bare(args, figures)
    fake = await FakeSlack().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bizbot-bench-e2e-") as tmp:
            if args.database:
                os.environ["BIZBOT_TEST_PG_URL"] = args.database
                url = await create_pg_database()
            else:
                url = f"sqlite:///{tmp}/bench.db"
            try:
                await run_bizbot(args, figures, url, Path(tmp), fake)
            finally:
                if args.database:
                    await drop_pg_database(url)
    finally:
        await fake.stop()
    return figures


def spread(values: list[float], digits: int = 0) -> str:
    """``median (min..max)``; a single value alone."""
    if len(values) == 1:
        return f"{values[0]:,.{digits}f}"
    med = statistics.median(values)
    return f"{med:,.{digits}f} ({min(values):,.{digits}f}..{max(values):,.{digits}f})"


def table(rounds: list[Round], database: str, connections: int) -> str:
    """One markdown table of medians (min..max) over the rounds."""

    def col(name: str, digits: int = 0) -> str:
        return spread([float(getattr(r, name)) for r in rounds], digits)

    ratio = spread([r.ratio for r in rounds], 3)
    burst = rounds[0].burst
    rows = [
        f"| Slack, {database} | bare aiohttp | bizbot serve | ratio |",
        "|---|---|---|---|",
        f"| acks/s, closed loop of {connections} | {col('bare_per_s')} | {col('acks_per_s')}"
        f" | {spread([r.acks_per_s / r.bare_per_s for r in rounds if r.bare_per_s], 3)} |",
        f"| ack p50 ms | {col('bare_p50_ms', 1)} | {col('ack_p50_ms', 1)} | |",
        f"| ack p99 ms | {col('bare_p99_ms', 1)} | {col('ack_p99_ms', 1)} | |",
        f"| replies/s end to end (first request to last reply) | | {col('replies_per_s')}"
        f" | {ratio} |",
        f"| server CPU µs per request (bizbot: per reply) | {col('bare_cpu_us')}"
        f" | {col('reply_cpu_us')} | {spread([r.cpu_ratio for r in rounds], 3)} |",
        f"| acks at {rounds[0].offered:,.0f}/s offered (open loop): p50 / p99 ms"
        f" | | {col('offered_p50_ms', 1)} / {col('offered_p99_ms', 1)} | |",
        f"| open loop: lost | | {col('offered_lost')} | |",
        f"| burst of {burst:,}: acked within 3 s | | {col('burst_on_time')} | |",
        f"| burst: acked late / lost | | {col('burst_late')} / {col('burst_lost')} | |",
        f"| burst: slowest ack s | | {col('burst_max_s', 2)} | |",
        f"| burst: replies/s | | {col('burst_replies_per_s')} | |",
        f"| exactly once, durable | | {all(r.exactly_once for r in rounds)},"
        f" {all(r.durable for r in rounds)} | |",
    ]
    return "\n".join(rows)


def parse(argv: list[str]) -> argparse.Namespace:
    """Command-line options; ``--quick`` shortens every round."""
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s, a 1,000 burst")
    parser.add_argument("--platform", choices=("slack",), default="slack")
    parser.add_argument("--database", default="", help="a PostgreSQL server URL (default SQLite)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--pool", type=int, default=20_000, help="requests built per steady phase")
    parser.add_argument("--offered", type=float, default=1000.0, help="requests/s, open loop")
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument(
        "--burst-connections", type=int, default=0, help="default: one per request, as Slack"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup, args.burst = 1, 2.0, 0.5, 1000
    args.burst_connections = args.burst_connections or args.burst
    if not (1 <= args.rounds <= 20 and 0 < args.duration <= 60 and 1 <= args.members <= 100_000):
        parser.error("keep the run bounded: 1-20 rounds, up to 60 s, up to 100,000 members")
    if not 1 <= args.offered * args.duration <= 50_000:
        parser.error("the open loop: 1 to 50,000 requests (--offered times --duration)")
    if not 1 <= args.burst_connections <= args.burst <= 50_000:
        parser.error("the burst: 1 <= --burst-connections <= --burst <= 50,000")
    return args


def allow_files(count: int) -> None:
    """Raise this process's open-file limit (the servers inherit it) to hold the burst's sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


async def bench(args: argparse.Namespace) -> list[Round]:
    """Every round, printed as it ends."""
    procs.pin_self()
    allow_files(args.burst_connections)
    rounds = []
    for number in range(1, args.rounds + 1):
        figures = await one_round(args)
        rounds.append(figures)
        print(f"round {number}: {json.dumps(asdict(figures))}", file=sys.stderr, flush=True)
    return rounds


def main(argv: list[str] | None = None) -> int:
    """Run, print the table; exit 1 if a reply was lost, doubled or misdirected."""
    args = parse(sys.argv[1:] if argv is None else argv)
    rounds = asyncio.run(bench(args))
    print(table(rounds, "PostgreSQL" if args.database else "SQLite", args.connections))
    if args.json:
        raw = [asdict(r) | {"ratio": r.ratio} for r in rounds]
        args.json.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    ok = all(r.exactly_once and r.durable for r in rounds)
    print("every request got exactly one reply" if ok else "LOST, DUPLICATED OR WRONG REPLIES")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
