"""Telegram webhook load: durable updates/s and end-to-end replies/s, against bare aiohttp.

``python -m bench.telegram [--rounds 3] [--duration 5] [--count 2000] [--database sqlite|postgresql]
[--nice -5]``

Every round measures, each in a fresh server process pinned to CPU 0 (the load generator and
the fake Bot API share CPU 1), with Telegram's default 40 connections:

- ``bare``: an aiohttp POST handler that parses the JSON and answers 200 (the ceiling).
- ``durable``: Bizbot's Telegram webhook as ``bizbot serve`` mounts it (secret-token check, PTB
  ``Update.de_json``, translate, inbox commit before the 200) with the workers paused: how fast
  updates are made durable and acknowledged, e.g. in a burst. Closed loop, fixed window.
- ``durable-busy``: the same with the workers and the relay running, as in production: the
  webhook now shares the core and the SQLite writer with the processing.
- ``end-to-end``: a fixed number of ``/ping`` updates from 1,000 members; timed from the first
  request to the last ``sendMessage`` the fake Bot API receives (processed and replied).
- ``sends-8`` / ``sends-64``: the reply side alone, ``TelegramClient.send`` (PTB's ``Bot`` on
  its tuned httpx request) with 8 (our cap) or 64 calls in flight.

Telegram's send limits (1/s per chat, 30/s per bot) are lifted for the measurement: the fake is
not Telegram, and the pipeline is what is measured. Everything else is the production path.
Loopback only; bounded in count and time. ``--database postgresql`` uses a fresh database per
scenario on ``BIZBOT_TEST_PG_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.telegram_load import Load, closed_loop, fixed_count
from tests.support import create_pg_database, drop_pg_database

SECRET = "bench-Secret_token"  # noqa: S105 - the bench server's webhook secret
MEMBERS = 1000
FIRST_USER = 2_000_000
SERVER_CPU, AUX_CPU = 0, 1
SCENARIOS = ("bare", "durable", "durable-busy", "end-to-end", "sends-8", "sends-64")
BUSY_TIMEOUT = 120.0


def pin(cpu: int) -> None:
    """Run this process on one CPU, where the machine has it."""
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def bench_org() -> str:
    """An org of ``MEMBERS`` people, each bound to a Telegram user id."""
    lines = ["org: {name: Bench Co, timezone: UTC, locale: en}", "members:"]
    for i in range(MEMBERS):
        identity = f'identities: {{telegram: "{FIRST_USER + i}"}}'
        lines.append(f"  - {{handle: m{i:03d}, name: Member {i}, roles: [sales], {identity}}}")
    return "\n".join(lines) + "\n"


class Process:
    """A child process that prints one line (its URL or ``ready``) when it can take load."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> str:
        """Start it and wait for its first line."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, *self.args, stdout=asyncio.subprocess.PIPE, cwd=Path.cwd()
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if not line:
            raise RuntimeError(f"{' '.join(self.args)} exited before it was ready")
        return line.decode().strip()

    async def stop(self) -> None:
        """SIGTERM, and SIGKILL if it has not exited within a minute."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 60)
        except TimeoutError:
            print(f"{' '.join(self.args)} ignored SIGTERM; killed", file=sys.stderr)
            self.proc.kill()
            await self.proc.wait()


async def sent_messages(stats_url: str, http: aiohttp.ClientSession) -> tuple[int, float]:
    """How many ``sendMessage`` calls the fake has had, and when the last one came."""
    async with http.get(stats_url) as response:
        data = await response.json()
    return int(data["counts"].get("sendMessage", 0)), float(data["last_call_at"])


async def run_scenario(
    name: str, api_url: str, database: str, args: argparse.Namespace, port: int
) -> dict[str, Any]:
    """Start one server, load it, stop it."""
    server = Process(
        "-m", "bench.telegram_server", name, "--port", str(port), "--api-url", api_url,
        "--database", database, "--secret", SECRET, "--cpu", str(SERVER_CPU),
        "--count", str(args.count),
    )  # fmt: skip
    first_line = await server.start()
    if name.startswith("sends-"):
        await server.stop()
        return {"scenario": name, **json.loads(first_line)}
    load = Load(port=port, secret=SECRET, users=MEMBERS, first_user=FIRST_USER, conns=args.conns)
    try:
        if name == "end-to-end":
            return await end_to_end(load, api_url, args.count)
        result = await closed_loop(load, warmup=args.warmup, duration=args.duration)
        return {"scenario": name, **result}
    finally:
        await server.stop()


async def end_to_end(load: Load, api_url: str, count: int) -> dict[str, Any]:
    """Send ``count`` updates; time until the fake has received as many replies."""
    stats_url = api_url.rsplit("/", 1)[0] + "/stats"
    async with aiohttp.ClientSession() as http:
        before, _ = await sent_messages(stats_url, http)
        started = time.monotonic()
        acked = await fixed_count(load, count)
        deadline = time.monotonic() + BUSY_TIMEOUT
        sent, last = before, started
        while sent - before < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            sent, last = await sent_messages(stats_url, http)
    replied = sent - before
    return {
        "scenario": "end-to-end",
        "count": count,
        "acked_per_s": acked["ok"] / acked["seconds"],
        "replied": replied,
        "per_s": replied / (last - started) if replied else 0.0,
        "errors": acked["errors"],
    }


async def fresh_database(kind: str, workdir: Path, label: str) -> str:
    """A new, empty database for one scenario: a SQLite file, or a PostgreSQL database."""
    if kind == "sqlite":
        return f"sqlite:///{workdir}/{label}.db"
    return await create_pg_database()


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    pin(AUX_CPU)
    fake = Process("-m", "tests.fake_telegram", "--port", "0")
    api_url = await fake.start()
    results: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bizbot-bench-") as tmp:
            workdir = Path(tmp)
            (workdir / "org.yaml").write_text(bench_org(), encoding="utf-8")
            os.environ["BIZBOT_BENCH_ORG"] = str(workdir / "org.yaml")
            for round_no in range(args.rounds):
                for name in SCENARIOS:
                    database = await fresh_database(args.database, workdir, f"{name}{round_no}")
                    try:
                        result = await run_scenario(name, api_url, database, args, args.port)
                    finally:
                        if args.database == "postgresql":
                            await drop_pg_database(database)
                    result["round"] = round_no
                    results.append(result)
                    print(json.dumps(result), file=sys.stderr, flush=True)
    finally:
        await fake.stop()
    return results


def summary(results: list[dict[str, Any]]) -> str:
    """A markdown table: median (min..max) over rounds, and the ratio to bare in the same round."""
    bare = {r["round"]: r["per_s"] for r in results if r["scenario"] == "bare"}
    rows = ["| scenario | per second, median (min..max) | p50 / p99 ms | ratio to bare |"]
    rows.append("|---|---|---|---|")
    for name in SCENARIOS:
        runs = [r for r in results if r["scenario"] == name]
        rates = [r["per_s"] for r in runs]
        ratios = [r["per_s"] / bare[r["round"]] for r in runs if bare.get(r["round"])]
        ratio = "-" if name.startswith("sends-") else f"{statistics.median(ratios):.3f}"
        p50 = statistics.median(r.get("p50_ms", float("nan")) for r in runs)
        p99 = statistics.median(r.get("p99_ms", float("nan")) for r in runs)
        timed = name in ("bare", "durable", "durable-busy")
        latency = f"{p50:.1f} / {p99:.1f}" if timed else "-"
        rows.append(
            f"| {name} | {statistics.median(rates):,.0f} ({min(rates):,.0f}..{max(rates):,.0f}) "
            f"| {latency} | {ratio} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a markdown table (raw results go to stderr as JSON lines)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--count", type=int, default=2000, help="updates in the end-to-end run")
    parser.add_argument("--conns", type=int, default=40, help="Telegram's max_connections")
    parser.add_argument("--port", type=int, default=18620)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--nice", type=int, default=0, help="niceness for every process (root)")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 20 or not 0 < args.duration <= 60 or not 0 < args.count <= 50_000:
        parser.error("keep the run bounded: 1-20 rounds, up to 60 s, up to 50,000 updates")
    if args.nice:
        os.nice(args.nice)  # inherited by the server, the fake Bot API and the generator
    results = asyncio.run(run(args))
    print(summary(results))


if __name__ == "__main__":
    main()
