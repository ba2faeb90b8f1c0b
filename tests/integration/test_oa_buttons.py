"""Buttons where a tap beats typing, in the office: the /apply menu, the list of approvals
waiting for me, editing a returned request, confirming the withdrawal of an approved one, and
cancelling a reminder from the list. Every button re-checks who taps it and works once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.memory.client import Posted
from adapters.memory.translate import tap
from adapters.webchat.routes import HISTORY_LIMIT
from bot.config import Settings
from bot.replies import Card
from domain.approvals.state import Status
from tests.integration.approvals_rig import Office, button, running_office
from tests.webchat import Site, local_login, say, serving


@pytest.fixture
async def office(sqlite_settings: Settings) -> AsyncIterator[Office]:
    async with running_office(sqlite_settings) as opened:
        yield opened


def card_of(posted: Posted) -> Card:
    """A posted message that must be a card."""
    assert isinstance(posted.message, Card), posted.text
    return posted.message


def labels(card: Card) -> list[str]:
    """What a card's buttons say."""
    return [b.label for b in card.buttons]


# /apply: a button per template


async def test_the_apply_menu_is_a_button_per_template_and_a_tap_starts_its_form(
    office: Office,
) -> None:
    menu = card_of(await office.say("dan", "/apply"))
    assert "Leave" in " ".join(labels(menu))
    assert len(menu.buttons) == len(menu.body.splitlines())
    question = card_of(await office.tap("dan", button(menu, "Leave").token))
    assert question.title.startswith("Leave")  # the form asks its first missing field
    assert "Cancel" in labels(question)


async def test_the_apply_menu_in_chinese_says_chinese(office: Office) -> None:
    menu = card_of(await office.say("bob", "/申请"))
    assert "请假" in labels(menu)
    assert all(b.command.startswith("/申请 ") for b in menu.buttons)


async def test_a_second_tap_on_the_menu_starts_nothing_more(office: Office) -> None:
    menu = card_of(await office.say("dan", "/apply"))
    token = button(menu, "Leave").token
    await office.tap("dan", token)
    before = len(office.posted("dan"))
    again = await office.tap("dan", token)
    assert "already done" in again.text
    assert len(office.posted("dan")) == before + 1


async def test_someone_elses_tap_on_the_menu_is_refused(office: Office) -> None:
    menu = card_of(await office.say("dan", "/apply"))
    answer = await office.tap("erin", button(menu, "Leave").token, conversation="erin")
    assert answer.text == "This button is not for you."
    assert office.memory.cards("erin") == []


# the list of approvals waiting for me


async def waiting(office: Office, handle: str = "carol") -> Card:
    return card_of(await office.say(handle, "/approvals"))


async def test_the_pending_list_has_approve_reject_and_open_per_request(office: Office) -> None:
    n = await office.submit("dan", '/expense amount=300 category=meals reason="lunch"')
    m = await office.submit("erin", '/expense amount=200 category=meals reason="taxi"')
    listed = await waiting(office)
    assert labels(listed) == [
        f"Approve #{n}",
        f"Reject #{n}",
        f"Open #{n}",
        f"Approve #{m}",
        f"Reject #{m}",
        f"Open #{m}",
    ]
    after = card_of(await office.tap("carol", button(listed, f"Approve #{n}").token))
    assert (await office.request(n)).status == Status.APPROVED
    assert f"You approved #{n}." in after.body
    assert labels(after) == [f"Approve #{m}", f"Reject #{m}", f"Open #{m}"]  # edited in place
    assert "approved" in office.card("dan", n).body.lower()  # the request's own cards changed


async def test_a_double_tap_on_approve_in_the_list_approves_once(office: Office) -> None:
    n = await office.submit("dan", '/expense amount=300 category=meals reason="lunch"')
    token = button(await waiting(office), f"Approve #{n}").token
    await office.tap("carol", token)
    again = await office.tap("carol", token)
    assert "already approved" in again.text
    assert await office.events(n, "approved") == 1


async def test_reject_in_the_list_asks_why(office: Office) -> None:
    n = await office.submit("dan", '/expense amount=300 category=meals reason="lunch"')
    await office.tap("carol", button(await waiting(office), f"Reject #{n}").token)
    assert f"Why do you reject #{n}" in office.texts("carol")[-1]
    assert (await office.request(n)).status == Status.PENDING
    await office.say("carol", "over budget")
    state = await office.request(n)
    assert state.status == Status.REJECTED
    assert "over budget" in office.card("dan", n).fields[-1].value


async def test_open_in_the_list_shows_the_request_with_its_buttons(office: Office) -> None:
    n = await office.submit("dan", '/expense amount=300 category=meals reason="lunch"')
    await office.tap("carol", button(await waiting(office), f"Open #{n}").token)
    opened = office.card("carol", n)
    assert any(f.label == "Timeline" for f in opened.fields)
    assert "Approve" in labels(opened)


async def test_someone_elses_tap_on_the_list_changes_nothing(office: Office) -> None:
    n = await office.submit("dan", '/expense amount=300 category=meals reason="lunch"')
    listed = await waiting(office)
    for label in ("Approve", "Reject", "Open"):
        answer = await office.tap("dan", button(listed, f"{label} #{n}").token, conversation="tab")
        assert answer.text == "This button is not for you."
    state = await office.request(n)
    assert state.status == Status.PENDING
    assert await office.events(n) == 2  # submitted, the step started
    assert office.memory.cards("tab") == []


async def test_a_request_decided_elsewhere_is_answered_from_the_list(office: Office) -> None:
    n = await office.submit("dan", '/expense amount=300 category=meals reason="lunch"')
    listed = await waiting(office)
    await office.say("carol", f"/approve {n}")
    answer = await office.tap("carol", button(listed, f"Reject #{n}").token)
    assert "already approved" in answer.text
    assert (await office.request(n)).status == Status.APPROVED


async def test_the_pending_list_in_chinese(office: Office) -> None:
    n = await office.submit("dan", '/expense amount=300 category=meals reason="lunch"')
    await office.say("carol", f"/transfer {n} @bob")
    listed = card_of(await office.say("bob", "/审批"))
    assert labels(listed) == [f"同意 #{n}", f"驳回 #{n}", f"打开 #{n}"]


# withdrawing an approved request


async def approved_leave(office: Office) -> int:
    n = await office.submit("dan", "/leave type=annual from=2026-12-07 to=2026-12-09 reason=x")
    await office.say("carol", f"/approve {n}")
    assert (await office.request(n)).status == Status.APPROVED
    return n


async def test_withdrawing_an_approved_request_asks_first(office: Office) -> None:
    n = await approved_leave(office)
    question = card_of(await office.say("dan", f"/withdraw {n}"))
    assert question.title == f"Withdraw approved request #{n}?"
    assert labels(question) == ["Withdraw", "Keep"]
    assert (await office.request(n)).status == Status.APPROVED
    token = button(question, "Withdraw").token
    done = card_of(await office.tap("dan", token))
    assert done.title == f"You withdrew #{n}."
    assert (await office.request(n)).status == Status.WITHDRAWN
    again = await office.tap("dan", token)
    assert "withdrawn" in again.text
    assert await office.events(n, "withdrawn") == 1


async def test_keep_leaves_the_approved_request(office: Office) -> None:
    n = await approved_leave(office)
    question = card_of(await office.say("dan", f"/withdraw {n}"))
    kept = card_of(await office.tap("dan", button(question, "Keep").token))
    assert kept.title == f"#{n} stays approved."
    assert (await office.request(n)).status == Status.APPROVED
    await office.tap("dan", button(question, "Withdraw").token)  # its sibling went with Keep
    assert (await office.request(n)).status == Status.APPROVED


async def test_someone_elses_tap_on_withdraw_changes_nothing(office: Office) -> None:
    n = await approved_leave(office)
    question = card_of(await office.say("dan", f"/withdraw {n}"))
    answer = await office.tap("carol", button(question, "Withdraw").token, conversation="tab")
    assert answer.text == "This button is not for you."
    assert (await office.request(n)).status == Status.APPROVED


async def test_withdrawing_a_pending_request_needs_no_question(office: Office) -> None:
    n = await office.submit("dan", '/expense amount=300 category=meals reason="lunch"')
    assert f"You withdrew #{n}." in (await office.say("dan", f"/withdraw {n}")).text
    assert (await office.request(n)).status == Status.WITHDRAWN


async def test_the_withdraw_question_in_chinese(office: Office) -> None:
    n = await office.submit("bob", "/请假 假期类型=年假 日期=2026-12-07..2026-12-09 事由=回家")
    await office.say("carol", f"/approve {n}")
    question = card_of(await office.say("bob", f"/撤回 {n}"))
    assert question.title == f"撤回已批准的申请 #{n}？"
    assert labels(question) == ["撤回", "保留"]


# cancelling a reminder from the list


async def test_cancelling_from_the_reminder_list_edits_that_list(office: Office) -> None:
    for what in ("call Bob", "send the report", "book the room"):
        await office.say("dan", f"/remind me tomorrow 9am {what}")
    listed = await office.say("dan", "/reminders")
    first = card_of(listed)
    assert first.title == "Your reminders (3)"
    cancel = first.buttons[1]
    number = cancel.label.removeprefix("Cancel #")
    after = await office.tap("dan", cancel.token)
    assert after.message_id == listed.message_id  # the same card, edited in place
    edited = card_of(after)
    assert edited.title == "Your reminders (2)"
    assert f"Reminder #{number} cancelled" in edited.body
    assert "send the report" not in edited.body
    assert "call Bob" in edited.body and "book the room" in edited.body
    assert len(edited.buttons) == 2
    again = await office.tap("dan", cancel.token)
    assert again.text == "That was already done."
    assert card_of(await office.say("dan", "/reminders")).title == "Your reminders (2)"


async def test_someone_elses_tap_on_the_reminder_list_cancels_nothing(office: Office) -> None:
    await office.say("dan", "/remind me tomorrow 9am call Bob")
    listed = card_of(await office.say("dan", "/reminders"))
    answer = await office.tap("erin", listed.buttons[0].token, conversation="tab")
    assert answer.text == "This button is not for you."
    assert card_of(await office.say("dan", "/reminders")).title == "Your reminders (1)"


async def test_cancelling_the_last_reminder_leaves_an_empty_list(office: Office) -> None:
    await office.say("bob", "/提醒 我 明天上午9点 给张总回电话")
    listed = card_of(await office.say("bob", "/我的提醒"))
    edited = card_of(await office.tap("bob", listed.buttons[0].token))
    assert edited.title == "没有提醒"
    assert "已取消" in edited.body


# a returned request, edited and resubmitted


async def returned_expense(office: Office) -> int:
    n = await office.submit("dan", '/expense amount=8000 category=travel reason="Shanghai trip"')
    await office.say("carol", f"/return {n} to=initiator too much for one trip")
    assert (await office.request(n)).status == Status.RETURNED
    return n


async def test_edit_and_resubmit_asks_only_what_changes(office: Office) -> None:
    n = await returned_expense(office)
    mine = office.card("dan", n)
    assert labels(mine)[:2] == ["Edit and resubmit", "Resubmit"]
    form = card_of(await office.tap("dan", button(mine, "Edit and resubmit").token))
    assert form.title == f"Edit #{n} before resubmitting"
    assert "8,000" in " ".join(f.value for f in form.fields)
    assert "Shanghai trip" in " ".join(f.value for f in form.fields)
    question = card_of(await office.tap("dan", button(form, "Change: Amount").token))
    assert "Amount" in question.title
    edited = card_of(await office.say("dan", "3000"))
    assert "3,000" in " ".join(f.value for f in edited.fields)
    assert (await office.request(n)).status == Status.RETURNED  # nothing changes until resubmit
    done = card_of(await office.tap("dan", button(edited, "Resubmit").token))
    assert f"#{n} is submitted again." in done.body
    assert done.buttons == ()
    state = await office.request(n)
    assert state.status == Status.PENDING
    assert state.fields["amount"] == "3000.00"
    assert state.fields["reason"] == "Shanghai trip"
    assert state.fields["lines"][0]["category"] == "travel"
    assert await office.events(n, "resubmitted") == 1


async def test_a_choice_is_changed_with_its_buttons(office: Office) -> None:
    n = await returned_expense(office)
    form = card_of(await office.tap("dan", button(office.card("dan", n), "Edit and").token))
    question = card_of(await office.tap("dan", button(form, "Change: Category").token))
    edited = card_of(await office.tap("dan", button(question, "Meals").token))
    await office.tap("dan", button(edited, "Resubmit").token)
    state = await office.request(n)
    assert state.fields["lines"][0]["category"] == "meals"
    assert state.fields["amount"] == "8000.00"


async def test_a_wrong_answer_is_asked_again(office: Office) -> None:
    n = await returned_expense(office)
    form = card_of(await office.tap("dan", button(office.card("dan", n), "Edit and").token))
    await office.tap("dan", button(form, "Change: Amount").token)
    again = card_of(await office.say("dan", "lots"))
    assert "Amount" in again.title
    edited = card_of(await office.say("dan", "2500"))
    assert "2,500" in " ".join(f.value for f in edited.fields)


async def test_resubmit_on_the_form_works_once(office: Office) -> None:
    n = await returned_expense(office)
    form = card_of(await office.tap("dan", button(office.card("dan", n), "Edit and").token))
    token = button(form, "Resubmit").token
    await office.tap("dan", token)
    again = await office.tap("dan", token)
    assert "now at step" in again.text
    assert await office.events(n, "resubmitted") == 1


async def test_someone_elses_tap_on_the_form_changes_nothing(office: Office) -> None:
    n = await returned_expense(office)
    edit = button(office.card("dan", n), "Edit and")
    form = card_of(await office.tap("dan", edit.token))
    for tapped in (edit, button(form, "Resubmit"), button(form, "Change: Amount")):
        answer = await office.tap("erin", tapped.token, conversation="t")
        assert answer.text == "This button is not for you."
    assert (await office.request(n)).status == Status.RETURNED


async def test_a_leave_range_is_changed_whole(office: Office) -> None:
    n = await office.submit("bob", "/请假 假期类型=年假 日期=2026-12-07..2026-12-09 事由=回家")
    await office.say("carol", f"/退回 {n} to=发起人 换一周")
    form = card_of(await office.tap("bob", button(office.card("bob", n), "修改后重新提交").token))
    assert form.title == f"修改 #{n} 后重新提交"
    await office.tap("bob", button(form, "修改：日期").token)
    edited = card_of(await office.say("bob", "2026-12-14到2026-12-16"))
    await office.tap("bob", button(edited, "重新提交").token)
    state = await office.request(n)
    assert state.status == Status.PENDING
    assert state.fields["dates"] == {"from": "2026-12-14", "to": "2026-12-16"}
    assert state.fields["type"] == "annual"


# the web chat's history, a page at a time


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    """The web chat with local sign-in, on SQLite and PostgreSQL (whose rows written in one
    transaction share a timestamp: the pages must keep their order all the same)."""
    async with serving(local_login(settings)) as running:
        yield running


async def history_page(site: Site, before: str = "") -> list[dict[str, Any]]:
    query = f"?before={before}" if before else ""
    answer = await site.client.get("/api/history" + query)
    assert answer.status == 200, await answer.text()
    lines: list[dict[str, Any]] = (await answer.json())["lines"]
    return lines


async def test_older_history_comes_a_page_at_a_time(site: Site) -> None:
    await site.login("alice")
    pings = HISTORY_LIMIT // 2 + 10  # each a member's line and the bot's: more than a page
    for i in range(pings):
        assert (await site.client.post("/api/messages", json=say(f"/ping {i}"))).status == 200
    await site.runtime.settle()

    newest = await history_page(site)
    assert len(newest) == HISTORY_LIMIT
    older = await history_page(site, newest[0]["cursor"])
    assert len(older) == 2 * pings - HISTORY_LIMIT
    assert await history_page(site, older[0]["cursor"]) == []
    everything = older + newest
    assert [line["at"] for line in everything] == sorted(line["at"] for line in everything)
    assert sum(line["author"] == "bot" for line in everything) == pings
    said = [line["message"]["text"] for line in everything if line["author"] == "member"]
    assert said == [f"/ping {i}" for i in range(pings)]
    assert len({line["cursor"] for line in everything}) == len(everything)


async def test_a_page_in_the_middle_of_a_moment_keeps_the_order(site: Site) -> None:
    await site.login("alice")
    for i in range(3):
        await site.client.post("/api/messages", json=say(f"/ping {i}"))
    await site.runtime.settle()
    whole = await history_page(site)
    for at, line in enumerate(whole):
        assert await history_page(site, line["cursor"]) == whole[:at]


async def test_a_cursor_of_someone_elses_conversation_is_refused(site: Site) -> None:
    await site.login("alice")
    await site.client.post("/api/messages", json=say("/ping"))
    await site.runtime.settle()
    alices = await history_page(site)
    await site.logout()
    await site.login("bob")
    for cursor in (alices[-1]["cursor"], alices[0]["cursor"], "x1", "m", "b99999999999999999999"):
        answer = await site.client.get("/api/history", params={"before": cursor})
        assert answer.status == 400, cursor


# taps at once (on PostgreSQL too: the transitions race there)


@pytest.fixture
async def busy_office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings) as opened:
        yield opened


async def test_concurrent_taps_on_the_list_approve_once(busy_office: Office) -> None:
    office = busy_office
    n = await office.submit("dan", '/expense amount=300 category=meals reason="lunch"')
    approve = button(await waiting(office), f"Approve #{n}")
    taps = [tap("carol", approve.token, conversation=f"carol-tab-{i}") for i in range(20)]
    await asyncio.gather(*(office.runtime.ingest(event) for event in taps))
    await office.runtime.settle()
    assert (await office.request(n)).status == Status.APPROVED
    assert await office.events(n, "approved") == 1


async def test_concurrent_taps_on_withdraw_withdraw_once(busy_office: Office) -> None:
    office = busy_office
    n = await approved_leave(office)
    question = card_of(await office.say("dan", f"/withdraw {n}"))
    withdraw = button(question, "Withdraw")
    taps = [tap("dan", withdraw.token, conversation=f"dan-tab-{i}") for i in range(20)]
    await asyncio.gather(*(office.runtime.ingest(event) for event in taps))
    await office.runtime.settle()
    assert (await office.request(n)).status == Status.WITHDRAWN
    assert await office.events(n, "withdrawn") == 1
