"""The benchmark's own parts work (untimed): the load generator against the bare baseline."""

from __future__ import annotations

from aiohttp import web

from bench.bare import make_app
from bench.loadgen import Plan, drive, percentile
from bench.pipeline import handles, org_yaml, table
from domain.directory.orgfile import parse_org_file


async def test_the_generator_counts_one_ack_and_one_reply_per_command() -> None:
    runner = web.AppRunner(make_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        plan = Plan(f"http://127.0.0.1:{port}", handles(4), 0.05, 0.3, 1000, quiet=0.1)
        result = await drive(plan)
    finally:
        await runner.cleanup()
    totals = result.totals()
    assert result.exactly_once(), totals
    assert totals["sent"] == totals["replies"] > 0
    assert 0 < result.completed <= totals["sent"]
    assert percentile(result.latencies_ms, 0.5) <= percentile(result.latencies_ms, 0.99)


def test_the_generated_org_is_a_valid_org_file() -> None:
    spec, _root = parse_org_file(org_yaml(12))
    assert [m.handle for m in spec.members] == handles(12)


def test_the_table_shows_medians_with_their_range() -> None:
    figures = {
        "commands_per_s": 10.0,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "server_cpu": 1.0,
        "per_server_cpu_s": 10.0,
        "client_cpu": 0.5,
        "idle_rss_mb": 90.0,
        "peak_rss_mb": 99.0,
    }
    rounds = [
        {"bare": figures, "bizbot": figures, "ratio": {"throughput": r, "p50": 1.0, "p99": 1.0}}
        for r in (0.1, 0.3, 0.2)
    ]
    assert "| 0.200 (0.100..0.300) |" in table(rounds, "sqlite")
