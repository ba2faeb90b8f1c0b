"""Signed Slack slash-command load: bare aiohttp vs bare slack-bolt vs Bizbot's durable route.

    python -m bench.slack [--rounds 3] [--duration 5] [--connections 64] [--json out.json]

Each round runs the three servers one after another (bare, bolt, durable), each in its own
process pinned to CPU 0, and drives them from this process pinned to CPU 1 with a closed-loop
HTTP/1.1 keep-alive client (like wrk): ``--connections`` connections, each sending the next
request as soon as the previous answer arrived. Every request is a distinct ``/biz whoami``
slash command (its own ``trigger_id``) signed with the current timestamp, so the servers do the
full signature and 5-minute window check. Loopback only; each run is bounded by ``--duration``
seconds and ``--max-requests``; the first ``--warmup`` seconds are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bench.slack_servers import SECRET

SCENARIOS = ("bare", "bolt", "durable")
SERVER_CPU, CLIENT_CPU = 0, 1
ROOT = Path(__file__).parents[1]


@dataclass
class Run:
    """One measured run of one scenario."""

    scenario: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    client_cpu: float = 0.0  # share of one CPU the load generator used
    server_cpu: float = 0.0  # CPU seconds the server process used while measured

    @property
    def cost_us(self) -> float:
        """Server CPU per answered request, in microseconds (robust to a busy machine)."""
        return 1e6 * self.server_cpu / self.requests if self.requests else 0.0

    @property
    def rate(self) -> float:
        """Answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """A latency percentile in milliseconds."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Requests:
    """Distinct signed slash commands, built on demand (all signed within the 5-minute window)."""

    def __init__(self, port: int) -> None:
        self._verifier = SignatureVerifier(SECRET)
        self._ids = itertools.count(1)
        self._host = f"127.0.0.1:{port}"
        self._ts = str(int(time.time()))

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        body = urlencode(
            {
                "team_id": "T0BENCH",
                "channel_id": "C0BENCH",
                "user_id": "U0ALICE",
                "user_name": "alice",
                "command": "/biz",
                "text": "whoami",
                "response_url": "https://hooks.slack.com/commands/T0BENCH/1/x",
                "trigger_id": f"{next(self._ids)}.{self._ts}.bench",
            }
        ).encode()
        signature = self._verifier.generate_signature(timestamp=self._ts, body=body.decode())
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: {self._host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {self._ts}\r\nX-Slack-Signature: {signature}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body


async def one_connection(
    port: int, requests: Iterator[bytes], start: float, stop: float, run: Run, cap: int
) -> None:
    """Send requests back to back on one keep-alive connection until ``stop`` or the cap."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (now := time.perf_counter()) < stop and run.requests + run.errors < cap:
            writer.write(next(requests))
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            if now >= start:
                done = time.perf_counter()
                run.latencies.append(done - now)
                if status == 200:
                    run.requests += 1
                else:
                    run.errors += 1
    finally:
        writer.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(port: int, pid: int, scenario: str, args: argparse.Namespace) -> Run:
    """Drive one server; count only what was sent after the warm-up."""
    run = Run(scenario)
    requests = Requests(port)
    begin = time.perf_counter()
    start, stop = begin + args.warmup, begin + args.warmup + args.duration
    cpu_before = time.process_time()

    async def server_cpu_at_start() -> float:
        await asyncio.sleep(args.warmup)
        return cpu_seconds(pid)

    at_start = asyncio.create_task(server_cpu_at_start())
    await asyncio.gather(
        *(
            one_connection(port, requests, start, stop, run, args.max_requests)
            for _ in range(args.connections)
        )
    )
    end = time.perf_counter()
    run.server_cpu = cpu_seconds(pid) - await at_start
    run.seconds = min(end, stop) - start
    run.client_cpu = (time.process_time() - cpu_before) / (end - begin)
    return run


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def measure(scenario: str, args: argparse.Namespace, workdir: Path) -> Run:
    """Start one server process, load it, stop it."""
    port = free_port()
    database = f"sqlite:///{workdir}/{scenario}-{port}.db"
    command = [sys.executable, "-m", "bench.slack_servers", scenario, str(port)]
    command += [str(SERVER_CPU if args.pin else -1), args.database or database]
    server = subprocess.Popen(  # noqa: ASYNC220 - one short-lived child per run
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        ready = await asyncio.wait_for(asyncio.to_thread(server.stdout.readline), 120)
        if ready.strip() != b"READY":
            raise RuntimeError(f"{scenario} server did not start")
        return await load(port, server.pid, scenario, args)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            await asyncio.to_thread(server.wait, 30)
        except subprocess.TimeoutExpired:
            server.kill()


def report(rounds: list[dict[str, Run]]) -> str:
    """A markdown table: medians over rounds (min..max), and ratios within each round."""
    lines = [
        "| scenario | req/s median (min..max) | server CPU µs/req | p50 ms | p99 ms | errors"
        " | generator CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in SCENARIOS:
        runs = [r[name] for r in rounds]
        rates = [r.rate for r in runs]
        lines.append(
            f"| {name} | {statistics.median(rates):,.0f} ({min(rates):,.0f}..{max(rates):,.0f})"
            f" | {statistics.median(r.cost_us for r in runs):,.0f}"
            f" | {statistics.median(r.percentile(0.5) for r in runs):.1f}"
            f" | {statistics.median(r.percentile(0.99) for r in runs):.1f}"
            f" | {sum(r.errors for r in runs)}"
            f" | {statistics.median(r.client_cpu for r in runs):.0%} |"
        )
    lines += [
        "",
        "| ratio (same round) | throughput, median (min..max) | CPU capacity, median (min..max) |",
        "|---|---|---|",
    ]
    for top, bottom in (("durable", "bolt"), ("bolt", "bare"), ("durable", "bare")):
        rates = [r[top].rate / r[bottom].rate for r in rounds if r[bottom].rate]
        costs = [r[bottom].cost_us / r[top].cost_us for r in rounds if r[top].cost_us]
        lines.append(f"| {top} / {bottom} | {_spread(rates)} | {_spread(costs)} |")
    return "\n".join(lines)


def _spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.2f} ({min(values):.2f}..{max(values):.2f})"


async def bench(args: argparse.Namespace) -> list[dict[str, Run]]:
    """Every round runs every scenario."""
    rounds = []
    with tempfile.TemporaryDirectory(prefix="bizbot-bench-slack-") as workdir:
        for number in range(args.rounds):
            results = {name: await measure(name, args, Path(workdir)) for name in SCENARIOS}
            rounds.append(results)
            summary = ", ".join(f"{n} {r.rate:,.0f}/s" for n, r in results.items())
            print(f"round {number + 1}: {summary}", file=sys.stderr, flush=True)
    return rounds


def parse(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.slack", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--max-requests", type=int, default=200_000, help="per run")
    parser.add_argument("--database", default="", help="durable: a database URL (default SQLite)")
    parser.add_argument("--no-pin", dest="pin", action="store_false")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    """Run the benchmark and print the table."""
    args = parse(argv)
    args.pin = args.pin and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    if args.pin:
        os.sched_setaffinity(0, {CLIENT_CPU})
    rounds = asyncio.run(bench(args))
    print(report(rounds))
    if args.json:
        raw = [
            {n: {**asdict(r), "latencies": []} | {"rate": r.rate} for n, r in x.items()}
            for x in rounds
        ]
        args.json.write_text(json.dumps(raw, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
