"""Record numbers typed with characters ``str.isdigit()`` accepts but ``int()`` refuses (``①``,
``²``), other numerals, or too many digits: every command that takes a number answers with what
it expected, and nothing crashes."""

from __future__ import annotations

from sqlalchemy import select

from bot.pipeline.tables import InboxRow
from tests.support import Chat

ODD = ("①", "²", "9" * 25)  # isdigit() but not int(); isdigit() and int(), but out of range
LINES = (
    "/approval {n}", "/审批详情 {n}", "/approve {n}", "/同意 {n}", "/reject {n} no",
    "/transfer {n} @bob why", "/addsign {n} before @bob", "/return {n} why", "/withdraw {n}",
    "/urge {n}", "/resubmit {n}", "/delegate cancel {n}", "/leave balance {n}{n}{n}{n}",
    "/meeting cancel {n}", "/meeting move {n} tomorrow 3pm", "/meeting accept {n}",
    "/ding status {n}", "/ding ack {n}", "/reminders cancel {n}",
    "/customer {n}", "/customer show {n}", "/customer invite {n}", "/contact edit {n} name=x",
    "/deal show {n}", "/deal move {n} won", "/ticket close {n}", "/ticket assign {n} @bob",
    "/campaign {n}", "/lead {n}", "/lead drop {n}", "/note {n} hi", "/log {n} call hi",
    "/guest-invite {n}", "/reply {n} hi", "/leads campaign={n}",
)  # fmt: skip
CRASHED = ("Reference:", "问题编号")  # the answer to a crash


async def test_odd_numerals_get_an_answer_not_a_crash(chat: Chat) -> None:
    lines = [line.format(n=odd) for line in LINES for odd in ODD]
    answers = await chat.say_many("alice", lines)  # the admin: no command is refused
    assert len(answers) >= len(lines)  # an answer to each (a few send two)
    assert [a.text for a in answers if any(mark in a.text for mark in CRASHED)] == []
    failed = await chat.runtime.db.run(
        lambda s: s.execute(
            select(InboxRow.payload, InboxRow.error).where(InboxRow.status == "failed")
        ).all()
    )
    assert [(payload["text"], error) for payload, error in failed] == []
