"""A DING through ``bizbot console`` (in-process): sent, acknowledged by typing, status redrawn."""

from __future__ import annotations

from tests.processes import bot_env, console_session, import_test_org


def console(env: dict[str, str], handle: str, lines: str) -> str:
    return console_session(env, handle, lines)


def test_ding_acknowledged_by_typing_in_the_console(sqlite_url: str) -> None:
    import_test_org(sqlite_url)
    env = bot_env(sqlite_url, poll_interval="0.1")

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
