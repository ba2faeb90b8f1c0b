"""Servers under test as subprocesses: start, pin, watch memory and CPU, stop; their databases."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
SERVER_CPU = 0
CLIENT_CPU = 1


# The CPUs this process may use before it pins itself (its children inherit the pinning).
USABLE_CPUS: frozenset[int] = frozenset(
    os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else ()
)


def can_pin() -> bool:
    """Whether there are the two CPUs the benchmark pins server and generator to."""
    return {SERVER_CPU, CLIENT_CPU} <= USABLE_CPUS


def pin_self(nice: int = 0) -> None:
    """Put this (load generator) process on the client CPU and change its niceness by ``nice``.

    The servers it starts inherit the niceness (a negative value favours the measured
    processes on a shared machine, as research/performance.md did with ``nice -5``).
    """
    if can_pin():
        os.sched_setaffinity(0, {CLIENT_CPU})
    if nice:
        os.nice(nice)


def _pin_server() -> None:  # runs in the child between fork and exec
    if can_pin():
        os.sched_setaffinity(0, {SERVER_CPU})


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our loopback URL
            return bool(response.status == 200)
    except OSError:
        return False


class Server:
    """A server subprocess pinned to the server CPU, with its log in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log: IO[bytes] = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_pin_server,  # only sched_setaffinity, before exec
        )

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        """Poll ``path`` until it answers 200 (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}; see {self._log.name}"
                )
            if _answers(f"{self.url}{path}"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout} s; see {self._log.name}")

    def status(self, field: str) -> int:
        """A ``/proc/<pid>/status`` size field (VmRSS, VmHWM) in bytes."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
        return 0

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5); False where not allowed."""
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM, wait (bounded), then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


class Sampler:
    """Samples a server's RSS every ``interval`` seconds while load runs."""

    def __init__(self, read: Callable[[], int], interval: float = 0.1) -> None:
        self._read = read
        self._interval = interval
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin sampling."""
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, self._read())
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        """End sampling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def run_cli(args: list[str], env: dict[str, str]) -> None:
    """``python -m bot ARGS`` in the worktree, failing loudly."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bot {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def pin_pg_backends(url: str) -> int:
    """Move the PostgreSQL backends of ``url``'s database to the client CPU; returns how many."""
    if not can_pin():
        return 0
    conn = await asyncpg.connect(_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    pinned = 0
    for row in rows:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(row["pid"]), {CLIENT_CPU})
            pinned += 1
    return pinned


QUERIES = {
    "inbox": "SELECT status, COUNT(*) FROM inbox GROUP BY status",
    "outbox": "SELECT status, COUNT(*) FROM outbox GROUP BY status",
}


async def pipeline_counts(url: str) -> dict[str, dict[str, int]]:
    """Rows in the inbox and the outbox, by status, read straight from the database."""
    if make_url(url).get_backend_name() == "sqlite":
        with contextlib.closing(sqlite3.connect(make_url(url).database or "")) as conn:
            return {table: dict(conn.execute(sql).fetchall()) for table, sql in QUERIES.items()}
    conn = await asyncpg.connect(_dsn(url))
    try:
        return {
            table: {row[0]: int(row[1]) for row in await conn.fetch(sql)}
            for table, sql in QUERIES.items()
        }
    finally:
        await conn.close()
