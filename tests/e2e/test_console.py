"""``bizbot console --as HANDLE`` with commands piped in, on a SQLite file: through the process
(``python -m bot``) where the process is what is tested (its exit code, its streams), in-process
for what the session says."""

from __future__ import annotations

import pytest

from tests.processes import bot_env, console_session, describe, import_test_org, run_bot


@pytest.fixture
def env(sqlite_url: str) -> dict[str, str]:
    """A database with the test org, and the settings to reach it."""
    import_test_org(sqlite_url)
    return bot_env(sqlite_url, poll_interval="0.1")


def console(env: dict[str, str], handle: str, lines: str) -> str:
    return console_session(env, handle, lines)


def test_whoami_and_help_in_english_through_the_process(env: dict[str, str]) -> None:
    result = run_bot("console", "--as", "alice", env=env, stdin="/whoami\n/help\n")
    assert result.returncode == 0, describe(result)
    out = result.stdout
    assert out.count("Alice Admin") == 1 and "@alice" in out
    assert "What I can do for you" in out and "/invite" in out
    assert out.index("Alice Admin") < out.index("What I can do for you")  # answered in order


def test_whoami_and_help_in_chinese(env: dict[str, str]) -> None:
    out = console(env, "bob", "/whoami\n/help\n")
    assert "李博 Bob" in out and "用户名" in out
    assert "我能为你做什么" in out and "/帮助" in out
    assert "What I can do for you" not in out


def test_a_number_taps_the_button_shown_with_it(env: dict[str, str]) -> None:
    out = console(env, "alice", "/help\n1\n")
    english, _, switched = out.partition("› 1")
    assert "What I can do for you" in english and "[1] 中文" in english
    assert "我能为你做什么 (updated)" in switched and "[2] English" in switched
    assert "中文" in console(env, "alice", "/whoami\n")  # the choice was saved


def test_a_number_without_a_button_is_an_ordinary_message(env: dict[str, str]) -> None:
    out = console(env, "alice", "7\n")
    assert "Type help (or /help)" in out


def test_an_unknown_or_deactivated_handle_exits_2(env: dict[str, str]) -> None:
    for handle in ("zed", "dave"):
        result = run_bot("console", "--as", handle, env=env, stdin="/whoami\n")
        assert result.returncode == 2, describe(result)
        assert f"no active member with handle '{handle}'" in result.stderr
        assert result.stdout == ""


def test_end_of_input_ends_the_session_once_every_reply_is_out(env: dict[str, str]) -> None:
    lines = "".join(f"/lang {'zh' if i % 2 else 'en'}\n" for i in range(6)) + "\n\n"
    out = console(env, "carol", lines)
    assert out.count("从现在起我会用中文和你交流。") == 3
    assert out.count("I will speak English with you from now on.") == 3
    assert console(env, "carol", "") == ""  # nothing was left behind
