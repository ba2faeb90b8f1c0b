"""``python -m bot console`` with a meeting and the agenda piped in, on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.processes import bot_env, describe, import_test_org, run_bot


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A database with the test org, and the settings to reach it."""
    url = f"sqlite:///{tmp_path}/bizbot.db"
    import_test_org(url)
    return bot_env(url, poll_interval="0.1", public_url="https://chat.example.com")


def console(env: dict[str, str], handle: str, lines: str) -> str:
    result = run_bot("console", "--as", handle, env=env, stdin=lines)
    assert result.returncode == 0, describe(result)
    return result.stdout


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
