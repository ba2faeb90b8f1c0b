"""End-to-end pipeline benchmark: web chat commands in, durable replies out, vs a bare baseline.

``python -m bench.pipeline [--db sqlite|postgresql] [--conversations N] [--commands M]
[--duration S] [--warmup W] [--rounds R] [--whoami FRACTION]``

Each round first drives a bare aiohttp WebSocket handler, then the real ``bizbot serve`` on a fresh
database with a generated org of N members, with the same closed-loop generator (N conversations,
one command in flight each). See docs/PERFORMANCE.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import procs
from bench.loadgen import LoadResult, Plan, drive, percentile
from tests.support import create_pg_database, drop_pg_database

RESULTS = Path(__file__).parent / "results"
MB = 1024 * 1024


def org_yaml(members: int) -> str:
    """A generated org: ``members`` members in five departments, a few roles each."""
    lines = [
        "org: {name: Bench Trading, timezone: Asia/Shanghai, locale: en, currency: CNY}",
        "departments:",
        *(f"  - {{name: Dept {d}}}" for d in range(5)),
        "members:",
    ]
    roles = ("[sales]", "[manager, sales]", "[finance]", "[hr]", "[]", "[warehouse]")
    for i in range(members):
        lines += [
            f"  - handle: m{i:05d}",
            f"    name: Member {i}",
            f"    email: m{i:05d}@example.com",
            f"    department: Dept {i % 5}",
            f"    roles: {roles[i % len(roles)]}",
        ]
        if i >= 5:
            lines.append(f"    manager: m{i % 5:05d}")
    return "\n".join(lines) + "\n"


def handles(members: int) -> list[str]:
    """The generated members' handles."""
    return [f"m{i:05d}" for i in range(members)]


@dataclass
class Measured:
    """One run of the generator against one server."""

    target: str
    load: LoadResult
    server_cpu: float  # server CPU use during the window, 1.0 = one core
    idle_rss: int = 0
    peak_rss: int = 0
    db_rows: dict[str, dict[str, int]] | None = None

    def summary(self) -> dict[str, Any]:
        """The figures, JSON-ready."""
        lat = self.load.latencies_ms
        return {
            "target": self.target,
            "commands_per_s": round(self.load.throughput, 1),
            "p50_ms": round(percentile(lat, 0.50), 2),
            "p99_ms": round(percentile(lat, 0.99), 2),
            "server_cpu": round(self.server_cpu, 3),
            "per_server_cpu_s": round(self.load.throughput / self.server_cpu, 1)
            if self.server_cpu
            else 0.0,
            "client_cpu": round(self.load.client_cpu, 3),
            "idle_rss_mb": round(self.idle_rss / MB, 1),
            "peak_rss_mb": round(self.peak_rss / MB, 1),
            "totals": self.load.totals(),
            "exactly_once": self.load.exactly_once(),
            "db_rows": self.db_rows,
        }


async def measure(server: procs.Server, plan: Plan, target: str) -> Measured:
    """Drive ``server``, sampling its CPU across the window and its RSS throughout."""
    sampler = procs.Sampler(lambda: server.status("VmRSS"))
    marks: dict[str, float] = {}
    sampler.start()
    try:
        load = await drive(plan, lambda mark: marks.__setitem__(mark, server.cpu_seconds()))
    finally:
        await sampler.stop()
    cpu = (marks["stop"] - marks["start"]) / plan.duration
    peak = max(sampler.peak, server.status("VmHWM"))
    return Measured(target, load, cpu, peak_rss=peak)


async def run_bare(plan: Plan, workdir: Path) -> Measured:
    """The bare aiohttp WebSocket baseline."""
    port = procs.free_port()
    server = procs.Server(["-m", "bench.bare", "--port", str(port)], {}, workdir / "bare.log", port)
    try:
        server.wait_ready("/healthz")
        idle = server.status("VmRSS")
        server.reset_peak()
        measured = await measure(server, replace(plan, base_url=server.url), "bare")
    finally:
        server.stop()
    measured.idle_rss = idle
    return measured


async def run_bizbot(plan: Plan, db: str, workdir: Path, members: int) -> Measured:
    """The real server on a fresh database with a generated org."""
    url = f"sqlite:///{workdir}/bench.db" if db == "sqlite" else await create_pg_database()
    try:
        env = {"BIZBOT_DATABASE_URL": url, "BIZBOT_DEMO": "0"}
        org = workdir / "org.yaml"
        org.write_text(org_yaml(members), encoding="utf-8")
        procs.run_cli(["org", "import", str(org)], env)
        port = procs.free_port()
        env |= {"BIZBOT_HOST": "127.0.0.1", "BIZBOT_PORT": str(port), "BIZBOT_LOCAL_LOGIN": "1"}
        server = procs.Server(["-m", "bot", "serve"], env, workdir / "bizbot.log", port)
        try:
            server.wait_ready("/readyz")
            idle = server.status("VmRSS")
            server.reset_peak()
            if db == "postgresql":
                await procs.pin_pg_backends(url)
            measured = await measure(server, replace(plan, base_url=server.url), f"bizbot-{db}")
        finally:
            server.stop()
        measured.idle_rss = idle
        measured.db_rows = await procs.pipeline_counts(url)
        return measured
    finally:
        if db == "postgresql":
            await drop_pg_database(url)


def durable(measured: Measured) -> bool:
    """Whether the database agrees with the client: every command done, every reply sent."""
    rows = measured.db_rows or {}
    sent = measured.load.totals()["sent"]
    return rows.get("inbox", {}) == {"done": sent} and rows.get("outbox", {}) == {"sent": sent}


def ratios(ours: Measured, bare: Measured) -> dict[str, float]:
    """Throughput ours/bare and latency ours/bare, from one round."""
    o, b = ours.summary(), bare.summary()
    return {
        "throughput": round(o["commands_per_s"] / b["commands_per_s"], 4),
        "p50": round(o["p50_ms"] / b["p50_ms"], 2) if b["p50_ms"] else 0.0,
        "p99": round(o["p99_ms"] / b["p99_ms"], 2) if b["p99_ms"] else 0.0,
    }


def spread(values: list[float], digits: int = 1) -> str:
    """``median (min..max)``."""
    med = statistics.median(values)
    return f"{med:.{digits}f} ({min(values):.{digits}f}..{max(values):.{digits}f})"


def table(rounds: list[dict[str, Any]], db: str) -> str:
    """The medians over rounds, with min..max, as a markdown table."""
    rows = [
        "| what | bare aiohttp WS | bizbot (" + db + ") | ratio ours/bare |",
        "|---|---|---|---|",
    ]
    for key, label, digits in (
        ("commands_per_s", "commands/s", 0),
        ("p50_ms", "p50 ms", 1),
        ("p99_ms", "p99 ms", 1),
        ("server_cpu", "server CPU (cores)", 2),
        ("per_server_cpu_s", "commands per server CPU-second", 0),
        ("client_cpu", "generator CPU (cores)", 2),
        ("idle_rss_mb", "idle RSS MB", 1),
        ("peak_rss_mb", "peak RSS MB", 1),
    ):
        bare = [r["bare"][key] for r in rounds]
        ours = [r["bizbot"][key] for r in rounds]
        ratio_key = {"commands_per_s": "throughput", "p50_ms": "p50", "p99_ms": "p99"}.get(key)
        ratio = spread([r["ratio"][ratio_key] for r in rounds], 3) if ratio_key else ""
        rows.append(f"| {label} | {spread(bare, digits)} | {spread(ours, digits)} | {ratio} |")
    return "\n".join(rows)


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Every round: bare, then Bizbot; returns the report."""
    procs.pin_self(args.nice)
    plan = Plan(
        base_url="",
        handles=handles(args.conversations),
        warmup=args.warmup,
        duration=args.duration,
        max_commands=args.commands,
        whoami_share=args.whoami,
    )
    rounds: list[dict[str, Any]] = []
    for number in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory(prefix="bizbot-bench-") as tmp:
            bare = await run_bare(plan, Path(tmp))
            ours = await run_bizbot(plan, args.db, Path(tmp), args.conversations)
        result = {
            "round": number,
            "bare": bare.summary(),
            "bizbot": ours.summary() | {"durable": durable(ours)},
            "ratio": ratios(ours, bare),
        }
        rounds.append(result)
        _print_round(result)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "db": args.db,
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "machine": _machine(),
        "rounds": rounds,
        "table": table(rounds, args.db),
    }


def _print_round(r: dict[str, Any]) -> None:
    o, b, ratio = r["bizbot"], r["bare"], r["ratio"]
    print(
        f"round {r['round']}: bare {b['commands_per_s']:.0f}/s p50 {b['p50_ms']} p99 {b['p99_ms']}"
        f" | bizbot {o['commands_per_s']:.0f}/s p50 {o['p50_ms']} p99 {o['p99_ms']}"
        f" cpu {o['server_cpu']:.2f} rss {o['idle_rss_mb']}->{o['peak_rss_mb']} MB"
        f" | ratio {ratio['throughput']:.3f} | exactly once {o['exactly_once']}"
        f" durable {o['durable']} {o['totals']}",
        file=sys.stderr,
        flush=True,
    )


def _machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "pinned": procs.can_pin(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--conversations", type=int, default=200, help="members, one socket each")
    parser.add_argument("--commands", type=int, default=1000, help="at most, per conversation")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--nice", type=int, default=0, help="niceness change (root: -5)")
    parser.add_argument("--whoami", type=float, default=0.0, help="share of /whoami (else /ping)")
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON file (default: bench/results/)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, write the JSON; exit 1 if a reply was lost or doubled."""
    args = parse_args(argv)
    report = asyncio.run(bench(args))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out: Path = args.out or RESULTS / f"pipeline-{args.db}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(report["table"])
    print(f"results: {out}")
    ok = all(r["bizbot"]["exactly_once"] and r["bizbot"]["durable"] for r in report["rounds"])
    print("every command got exactly one reply" if ok else "LOST OR DUPLICATED REPLIES")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
