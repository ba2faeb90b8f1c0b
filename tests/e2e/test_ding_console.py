"""A DING through ``python -m bot console``: sent, acknowledged by typing, status redrawn."""

from __future__ import annotations

from pathlib import Path

from tests.processes import bot_env, describe, import_test_org, run_bot


def console(env: dict[str, str], handle: str, lines: str) -> str:
    result = run_bot("console", "--as", handle, env=env, stdin=lines)
    assert result.returncode == 0, describe(result)
    return result.stdout


def test_ding_acknowledged_by_typing_in_the_console(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bizbot.db"
    import_test_org(url)
    env = bot_env(url, poll_interval="0.1")

    sent = console(env, "alice", "/ding @bob @carol the server is down\n")
    assert "DING #1: 0 of 2 acknowledged" in sent
    assert "Not yet (2)" in sent

    acknowledged = console(env, "bob", "/钉 收到 1\n/钉 收到 1\n")
    assert "好的，DING #1 的发送人已知道你看到了。" in acknowledged
    assert "你已经确认过 DING #1。" in acknowledged
    refused = console(env, "carol", "/ding status 1\n")
    assert "Only the sender can see who acknowledged DING 1." in refused

    status = console(env, "alice", "/ding status 1\n1\n")
    assert "DING #1: 1 of 2 acknowledged" in status
    assert "李博 Bob (@bob)" in status
    assert "(updated)" in status.partition("› 1")[2]  # the Refresh button, by its number
