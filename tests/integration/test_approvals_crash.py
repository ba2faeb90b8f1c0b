"""A crash between the decision's commit and the delivery of its messages: after a restart the
notices arrive, once (reliability W-09 / A-06 for approvals)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.pipeline.tables import OutboxRow
from domain.approvals.models import ApprovalEvent, ApprovalRequest
from tests.processes import (
    bot_env,
    describe,
    free_port,
    processes,
    query,
    run_bot,
    start_bot,
    stop_process,
    tail,
)
from tests.support import FIXTURES

KILLED = 137
DELIVERY_WAIT = 60.0  # a generous bound on the restarted server's first delivery, not a timing


@dataclass(frozen=True)
class Notices:
    status: str
    decisions: int
    to_bob: list[tuple[str, str, int]]  # (kind, status, attempts) of bob's web chat messages


def notices(session: Session) -> Notices:
    status = session.scalar(select(ApprovalRequest.status).where(ApprovalRequest.id == 1))
    decisions = len(
        session.scalars(select(ApprovalEvent.id).where(ApprovalEvent.kind == "approved")).all()
    )
    rows = session.execute(
        select(OutboxRow.kind, OutboxRow.status, OutboxRow.attempts)
        .where(OutboxRow.channel == "webchat", OutboxRow.conversation == "bob")
        .order_by(OutboxRow.id)
    )
    return Notices(str(status), decisions, [(k, s, a) for k, s, a in rows])


async def delivered(db_url: str) -> Notices:
    started = time.monotonic()
    while True:
        found = await query(db_url, notices)
        if all(status == "sent" for _kind, status, _attempts in found.to_bob):
            return found
        assert time.monotonic() - started < DELIVERY_WAIT, found
        await asyncio.sleep(0.2)


async def test_a_crash_after_the_decision_commits_still_delivers_the_notices_once(
    db_url: str, tmp_path: Path
) -> None:
    env = bot_env(db_url, poll_interval="0.1")
    imported = run_bot("org", "import", FIXTURES / "approvals_org.yaml", env=env)
    assert imported.returncode == 0, describe(imported)
    submitted = run_bot(
        "console", "--as", "bob", env=env, stdin="/报销 amount=300 category=meals reason=lunch\n"
    )
    assert "#1" in submitted.stdout, describe(submitted)

    crashed = run_bot(
        "console", "--as", "carol", env=env | {"BIZBOT_CRASH_AT": "after_commit_before_send"},
        stdin="/approve 1\n",
    )  # fmt: skip
    assert crashed.returncode == KILLED, describe(crashed)
    assert "You approved #1" not in crashed.stdout
    before = await query(db_url, notices)
    assert before.status == "approved" and before.decisions == 1  # the decision committed
    pending = [row for row in before.to_bob if row[1] == "pending"]
    assert ("send", "pending", 0) in pending  # the outcome notice waits, with the card's edit

    port = free_port()
    with processes() as running:
        log = tmp_path / "serve.log"
        running.append(start_bot("serve", env=env | {"BIZBOT_PORT": str(port)}, log=log))
        after = await delivered(db_url)
        assert stop_process(running[0]) == 0, tail(log)
    assert after.decisions == 1
    assert len(after.to_bob) == len(before.to_bob)  # nothing new was written
    assert all(attempts == 1 for _kind, _status, attempts in after.to_bob)  # each sent once

    restarted = run_bot("console", "--as", "carol", env=env)
    assert restarted.returncode == 0, describe(restarted)
    assert restarted.stdout.count("You approved #1") == 1  # carol's own answer, once
    again = run_bot("console", "--as", "carol", env=env)
    assert again.stdout.strip() == ""
    assert (await query(db_url, notices)) == after
