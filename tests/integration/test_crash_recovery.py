"""Kill the process at a crash point and start it again: replies arrive (W-09, W-10).

The console runs the whole pipeline in one process, so it stands in for ``bizbot serve`` here:
what it prints is what the platform received.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.pipeline.tables import InboxRow, OutboxRow
from tests.processes import bot_env, describe, import_test_org, query, run_bot

ALICE = "Alice Admin"  # the title of alice's /whoami card
KILLED = 137


@dataclass(frozen=True)
class Rows:
    inbox: list[str]
    outbox: list[tuple[str, int]]


def rows(session: Session) -> Rows:
    inbox = list(session.scalars(select(InboxRow.status).order_by(InboxRow.id)))
    outbox = session.execute(select(OutboxRow.status, OutboxRow.attempts).order_by(OutboxRow.id))
    return Rows(inbox, [(status, attempts) for status, attempts in outbox])


async def test_crash_after_commit_before_send_delivers_exactly_once_after_restart(
    db_url: str,
) -> None:
    import_test_org(db_url)
    env = bot_env(db_url, poll_interval="0.1")

    crashed = run_bot(
        "console", "--as", "alice", env=env | {"BIZBOT_CRASH_AT": "after_commit_before_send"},
        stdin="/whoami\n",
    )  # fmt: skip
    assert crashed.returncode == KILLED, describe(crashed)
    assert ALICE not in crashed.stdout
    assert "crash point after_commit_before_send" in crashed.stderr
    assert await query(db_url, rows) == Rows(["done"], [("pending", 0)])

    restarted = run_bot("console", "--as", "alice", env=env)
    assert restarted.returncode == 0, describe(restarted)
    assert restarted.stdout.count(ALICE) == 1
    assert await query(db_url, rows) == Rows(["done"], [("sent", 1)])

    again = run_bot("console", "--as", "alice", env=env)
    assert again.returncode == 0, describe(again)
    assert again.stdout.strip() == ""
    assert await query(db_url, rows) == Rows(["done"], [("sent", 1)])


async def test_crash_after_send_before_mark_sends_at_most_once_more(db_url: str) -> None:
    import_test_org(db_url)
    env = bot_env(db_url, poll_interval="0.1", outbox_lease_seconds="1")

    crashed = run_bot(
        "console", "--as", "alice", env=env | {"BIZBOT_CRASH_AT": "after_send_before_mark"},
        stdin="/whoami\n",
    )  # fmt: skip
    assert crashed.returncode == KILLED, describe(crashed)
    assert crashed.stdout.count(ALICE) == 1  # the platform got it; the row does not know
    assert await query(db_url, rows) == Rows(["done"], [("sending", 0)])

    restarted = run_bot("console", "--as", "alice", env=env)  # after the lease: sent again
    assert restarted.returncode == 0, describe(restarted)
    assert restarted.stdout.count(ALICE) <= 1  # the documented duplicate window, once at most
    assert await query(db_url, rows) == Rows(["done"], [("sent", 1)])

    again = run_bot("console", "--as", "alice", env=env)
    assert again.returncode == 0, describe(again)
    assert again.stdout.strip() == ""
    assert await query(db_url, rows) == Rows(["done"], [("sent", 1)])


async def test_a_reply_left_by_a_crash_comes_before_new_ones(db_url: str) -> None:
    """Restarted, the console first delivers what the crash left behind, then reads on."""
    import_test_org(db_url)
    env = bot_env(db_url, poll_interval="0.1")
    first = run_bot(
        "console", "--as", "alice", env=env | {"BIZBOT_CRASH_AT": "after_commit_before_send"},
        stdin="/ping\n/whoami\n",
    )  # fmt: skip
    assert first.returncode == KILLED, describe(first)
    # the first event committed its reply and died; the second line was never read
    assert await query(db_url, rows) == Rows(["done"], [("pending", 0)])
    second = run_bot("console", "--as", "alice", env=env, stdin="/whoami\n")
    assert second.returncode == 0, describe(second)
    assert second.stdout.count("pong") == 1 and second.stdout.count(ALICE) == 1
    assert second.stdout.index("pong") < second.stdout.index(ALICE)  # the old reply first
    assert await query(db_url, rows) == Rows(["done", "done"], [("sent", 1), ("sent", 1)])
