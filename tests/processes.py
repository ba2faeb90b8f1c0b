"""Running ``python -m bot`` from this checkout in a subprocess, always with a time limit."""

from __future__ import annotations

import asyncio
import io
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from rich.console import Console
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from bot import app as composition
from bot.cli import cli
from bot.config import Settings
from domain.shared.db import open_database

ROOT = Path(__file__).resolve().parent.parent
ORG_FILE = ROOT / "tests" / "fixtures" / "org.yaml"
RUN_TIMEOUT = 120.0
T = TypeVar("T")


def bot_env(db_url: str, **settings: str) -> dict[str, str]:
    """This environment without any BIZBOT_ setting, plus the database and ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIZBOT_")}
    env |= {
        "BIZBOT_DATABASE_URL": db_url,
        "BIZBOT_DEMO": "0",
        "BIZBOT_LOG_LEVEL": "WARNING",
        "PYTHONIOENCODING": "utf-8",
    }
    env |= {f"BIZBOT_{name.upper()}": value for name, value in settings.items()}
    return env


def run_bot(
    *args: str | Path, env: dict[str, str], stdin: str = "", timeout: float = RUN_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` in the checkout; killed and raised on if it outlives ``timeout``."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def run_cli(
    *args: str | Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``bizbot ARGS`` run in this process by typer's test runner, with ``env``'s settings.

    The same commands as ``run_bot`` without a Python start-up per call; keep ``run_bot`` for
    tests about the process itself (exit on signals, the entry point, a busy port).
    """
    changes: dict[str, str | None] = {k: v for k, v in env.items() if os.environ.get(k) != v}
    changes |= {k: None for k in os.environ if k.startswith("BIZBOT_") and k not in env}
    argv = [str(arg) for arg in args]

    def invoke() -> Result:
        return CliRunner().invoke(cli, argv, input=stdin, env=changes, catch_exceptions=False)

    # a thread of its own: the commands call asyncio.run, which a running test loop refuses
    with ThreadPoolExecutor(1) as thread:
        result = thread.submit(invoke).result()
    return subprocess.CompletedProcess(
        ["bizbot", *argv], result.exit_code, result.stdout, result.stderr
    )


def settings_of(env: dict[str, str]) -> Settings:
    """The settings a process started with ``env`` reads (only its ``BIZBOT_`` variables)."""
    prefix = "BIZBOT_"
    values = {k.removeprefix(prefix).lower(): v for k, v in env.items() if k.startswith(prefix)}
    return Settings.model_validate(values)


def console_session(env: dict[str, str], handle: str, lines: str) -> str:
    """What ``bizbot console --as HANDLE`` prints for ``lines`` piped in, run in this process
    (exit code 0 asserted); ``run_bot("console", …)`` is the same through a process."""
    printed = io.StringIO()
    terminal = Console(file=printed, highlight=False, width=80)  # what a pipe gets
    session = composition.console(settings_of(env), handle, io.StringIO(lines), False, terminal)
    with ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever the caller runs
        code = thread.submit(asyncio.run, session).result()
    assert code == 0, printed.getvalue()
    return printed.getvalue()


def start_bot(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m bot ARGS`` in the background, its output going to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return process.returncode


@contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """A list to put started processes in; whatever still runs at the end is killed."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait(30)


def _ports_below_the_ephemeral_range() -> range:
    """Ports the kernel never picks by itself: not for ``bind(0)``, not for outgoing connections.

    A port from ``bind(0)`` is free only until some connection (a server's database pool)
    takes it as its local end, which made a server started on it fail now and then.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return range(max(1024, low - 12000), low)


def _this_workers_share(ports: range) -> range:
    """This test process's slice of ``ports``: parallel workers (pytest-xdist) never share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    share = len(ports) // max(1, count)
    start = ports.start + int(worker or 0) * share
    return range(start, start + share)


PORTS = _this_workers_share(_ports_below_the_ephemeral_range())
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on now, which no other caller in this run was given."""
    for _ in range(500):
        port = random.choice(PORTS)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free loopback port in {PORTS}")


def import_test_org(db_url: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot org import tests/fixtures/org.yaml``, which must succeed."""
    result = run_cli("org", "import", ORG_FILE, env=bot_env(db_url))
    assert result.returncode == 0, result.stderr
    return result


async def query(db_url: str, work: Callable[[Session], T]) -> T:
    """Run one read on the database with a connection of its own."""
    db = open_database(db_url)
    try:
        return await db.run(work)
    finally:
        await db.dispose()


def tail(log: Path, chars: int = 4000) -> str:
    """The end of a log file."""
    return log.read_text(encoding="utf-8", errors="replace")[-chars:]


def tails(logs: Iterable[Path]) -> str:
    """The ends of several logs as one text, each under its name (shown whole when a test fails)."""
    return "\n".join(f"--- {log.name}\n{tail(log)}" for log in logs)


def describe(result: subprocess.CompletedProcess[Any]) -> str:
    """A failed run's exit code and output, for assertion messages."""
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


READY_SECONDS = 60.0


async def wait_ready(
    http: aiohttp.ClientSession, base: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Wait until a started server answers ``/readyz``; fail with its log if it exits or hangs."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server at {base} exited:\n{tail(log)}"
        try:
            async with http.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"server at {base} not ready:\n{tail(log)}")
