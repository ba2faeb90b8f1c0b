"""The operator's command line, ``python -m bot ...``, on a temporary SQLite file."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from adapters.memory.translate import say
from bot import migrate
from bot.app import build_runtime
from bot.config import Settings
from bot.events import Address
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import OutboxRow, OutboxStatus
from bot.replies import Reply
from domain.directory.models import Member
from domain.directory.services import start_web_session
from domain.shared.clock import SystemClock
from tests.processes import (
    ORG_FILE,
    bot_env,
    describe,
    import_test_org,
    query,
    run_bot,
    run_cli,
)

BROKEN = """\
org: {name: Broken Ltd, timezone: Mars/Olympus, locale: en}
members:
  - handle: alice
    name: Alice
    email: alice@
    roles: [admin, wizard]
  - handle: Bad Handle
    name: Bob
"""
# text that rich would take for markup: shown as it is, never a crash
THIRD = "I don't know /[/]x. Usage: /lang [language]"
ERROR = "PermanentDeliveryError: [bold]chat[/bold] not found"
BROKEN_PROBLEMS = (
    "line 1, org.timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as "
    "Asia/Shanghai)",
    "line 5, members[0].email: ",
    "line 6, members[0].roles[1]: ",
    "line 7, members[1].handle: ",
)


@pytest.fixture
def url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def empty_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/empty.db"


@pytest.fixture
def env(url: str) -> dict[str, str]:
    return bot_env(url, poll_interval="0.1")


def ok(*args: str | Path, env: dict[str, str]) -> str:
    result = run_cli(*args, env=env)
    assert result.returncode == 0, describe(result)
    return result.stdout


def test_org_import_reports_what_it_did_and_then_that_nothing_changed(
    env: dict[str, str],
) -> None:
    first = ok("org", "import", ORG_FILE, env=env)
    assert "departments created: Management, Sales" in first
    assert "members created: alice, bob, carol, dave" in first
    again = ok("org", "import", ORG_FILE, env=env)
    assert "nothing to change (4 members as in the file)" in again


async def test_a_broken_org_file_lists_every_problem_and_imports_nothing(
    env: dict[str, str], url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = run_cli("org", "import", broken, env=env)
    assert result.returncode == 1, describe(result)
    assert "4 problem(s), nothing was imported" in result.stderr
    lines = [line.strip() for line in result.stderr.splitlines()]
    for problem in BROKEN_PROBLEMS:  # each whole, on a line of its own (greppable)
        assert any(line.startswith(problem) for line in lines), (problem, result.stderr)
    assert await query(url, lambda s: s.scalar(select(func.count()).select_from(Member))) == 0


def test_org_export_reads_back_unchanged(env: dict[str, str], tmp_path: Path) -> None:
    ok("org", "import", ORG_FILE, env=env)
    exported = tmp_path / "exported.yaml"
    ok("org", "export", "--output", exported, env=env)
    assert "李博 Bob" in exported.read_text(encoding="utf-8")
    assert "nothing to change" in ok("org", "import", exported, env=env)
    assert ok("org", "export", env=env) == exported.read_text(encoding="utf-8")


async def test_an_invite_code_binds_a_chat_account_through_the_pipeline(
    env: dict[str, str], url: str
) -> None:
    import_test_org(url)
    printed = ok("invite", "bob", env=env)
    [code] = re.findall(r"^/bind ([A-Z0-9]{4}-[A-Z0-9]{4})$", printed, re.MULTILINE)

    platform = MemoryClient("chat")
    runtime = build_runtime(Settings(database_url=url, demo=False), [platform])  # type: ignore[arg-type]
    await runtime.start()
    try:
        for sender, text in (("U-BOB", f"/bind {code}"), ("U-BOB", "/whoami")):
            await runtime.ingest(say(sender, text, channel="chat"))
        await runtime.ingest(say("U-EVE", f"/bind {code}", channel="chat"))
        await runtime.settle()
    finally:
        await runtime.stop()
        await runtime.db.dispose()
    welcome, whoami = platform.conversation("U-BOB")
    assert "@bob" in welcome.text
    assert "@bob" in whoami.text and "chat:U-BOB" in whoami.text
    assert "@bob" not in platform.last("U-EVE").text  # a code works once


def test_invite_for_an_unknown_or_deactivated_member_fails(env: dict[str, str], url: str) -> None:
    import_test_org(url)
    for handle, reason in (
        ("nobody", "No member with handle nobody."),
        ("dave", "deactivated"),
        ("[/]x", "No member with handle [/]x."),
    ):
        result = run_cli("invite", handle, env=env)
        assert result.returncode == 1, describe(result)
        assert reason in result.stderr and "/bind" not in result.stdout


async def test_login_link_prints_one_url_with_a_one_time_secret(
    env: dict[str, str], url: str
) -> None:
    import_test_org(url)
    public = "https://bizbot.example-company-with-a-long-name.internal.example.com"
    printed = ok("login-link", "bob", env=env | {"BIZBOT_PUBLIC_URL": public})
    [secret] = re.findall(rf"^{re.escape(public)}/login/([A-Za-z0-9_-]{{32}})$", printed, re.M)
    now = SystemClock().now()
    _, member = await query(
        url, lambda s: start_web_session(s, now, timedelta(days=1), link=secret)
    )
    assert member.handle == "bob"
    assert "http://127.0.0.1:8080/login/" in ok("login-link", "bob", env=env)


def _dead_letters(session: Session) -> list[int]:
    outbox = OutboxWriter(session, SystemClock().now(), None, timedelta(hours=1))
    ids = [
        outbox.send(Address("slack", "C42", "T1"), Reply(text), recipient_id=None)
        for text in ("first lost message", "second lost message", THIRD)
    ]
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids))
        .values(status=OutboxStatus.DEAD, attempts=8, last_error=ERROR)
    )
    return ids


def _statuses(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(select(OutboxRow.status, OutboxRow.attempts).order_by(OutboxRow.id))
    return [(status, attempts) for status, attempts in rows]


async def test_outbox_list_retry_and_drop(env: dict[str, str], url: str) -> None:
    first, second, third = await query(url, _dead_letters)
    wide = env | {"COLUMNS": "200"}
    listed = ok("outbox", "list", "--status", "dead", env=wide)
    shown = {first: "first lost message", second: "second lost message", third: THIRD}
    for row_id, text in shown.items():
        assert any(
            f"│ {row_id} " in line and text in line and "dead" in line and ERROR in line
            for line in listed.splitlines()
        ), listed
    assert "dead: 3" in listed

    assert "1 message(s) queued again" in ok("outbox", "retry", str(first), env=env)
    assert "1 message(s) dropped" in ok("outbox", "drop", str(second), env=env)
    assert await query(url, _statuses) == [("pending", 0), ("dropped", 8), ("dead", 8)]
    assert "0 message(s) dropped" in ok("outbox", "drop", "999", env=env)
    assert "1 message(s) queued again" in ok("outbox", "retry", "--all-dead", env=env)
    assert await query(url, _statuses) == [("pending", 0), ("dropped", 8), ("pending", 0)]
    assert "dead" not in ok("outbox", "list", "--status", "dead", env=wide).split("┩")[-1]

    nothing = run_cli("outbox", "retry", env=env)
    assert nothing.returncode == 2 and "give row ids or --all-dead" in nothing.stderr


def test_db_upgrade_and_current(empty_url: str) -> None:
    """The first two through the entry point itself (``python -m bot``), in processes."""
    env, head = bot_env(empty_url), migrate.head_revision()
    current, upgrade = run_bot("db", "current", env=env), run_bot("db", "upgrade", env=env)
    assert current.returncode == 0 and upgrade.returncode == 0, describe(current) + describe(
        upgrade
    )
    assert current.stdout.split() == ["database:", "empty", "code:", str(head)]
    assert upgrade.stdout.strip() == f"database at revision {head}"
    assert ok("db", "upgrade", env=env).strip() == f"database at revision {head}"  # idempotent
    assert ok("db", "current", env=env).split() == ["database:", str(head), "code:", str(head)]


def test_serve_on_a_busy_port_says_so_and_exits(env: dict[str, str]) -> None:
    """Another program has the port: one clear line, exit 2, and nothing left running."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bot("serve", env=env | {"BIZBOT_PORT": str(port)})
    assert result.returncode == 2, describe(result)
    assert f"cannot listen on 127.0.0.1:{port} (Address already in use)" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
