"""``bizbot console`` (in-process) with a meeting and the agenda piped in, on a SQLite file."""

from __future__ import annotations

import pytest

from tests.processes import bot_env, console_session, import_test_org


@pytest.fixture
def env(sqlite_url: str) -> dict[str, str]:
    """A database with the test org, and the settings to reach it."""
    import_test_org(sqlite_url)
    return bot_env(sqlite_url, poll_interval="0.1", public_url="https://chat.example.com")


def console(env: dict[str, str], handle: str, lines: str) -> str:
    return console_session(env, handle, lines)


def test_a_meeting_then_the_agenda_shows_it(env: dict[str, str]) -> None:
    out = console(
        env,
        "alice",
        "/meeting Budget review tomorrow 3pm for 1h with @bob at Room 5\n/agenda week\n",
    )
    assert "📅 Meeting #1: Budget review" in out
    assert "No answer (1)" in out and "李博 Bob" in out
    assert "Your agenda: the next 7 days" in out
    assert "15:00–16:00 · #1 Budget review · Room 5 · organiser" in out
    assert out.index("📅 Meeting #1") < out.index("Your agenda")


def test_an_invitation_is_answered_by_number_in_chinese(env: dict[str, str]) -> None:
    console(env, "carol", "/meeting Review tomorrow 3pm with @bob\n")
    out = console(env, "bob", "/日程 明天\n/meeting accept 1\n/日程 明天\n")
    assert "#1 Review · 尚未回复" in out
    assert "你对会议 #1 的回复：已接受。" in out
    assert "#1 Review · 已接受" in out
    tally = console(env, "carol", "/agenda tomorrow @bob\n/ics\n")
    assert "#1 Review · accepted" in tally  # carol is bob's manager
    assert "https://chat.example.com/calendar/" in tally
