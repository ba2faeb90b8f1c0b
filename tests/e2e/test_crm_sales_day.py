"""The scripted sales day (tests/sales_day.py) in ``bizbot console`` and in the web chat, over
its real HTTP and WebSocket; Slack and Telegram run it in tests/e2e/test_channels_serve.py."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.replies import as_text, from_wire
from tests.processes import bot_env, console_session, describe, run_cli
from tests.sales_day import ORG_TZ, check_sales_day, close_date, sales_day
from tests.support import FIXTURES
from tests.webchat import frames_until, local_login, of_type, say, serving


def test_a_sales_day_in_the_console(sqlite_url: str) -> None:
    env = bot_env(sqlite_url, poll_interval="0.1")
    imported = run_cli("org", "import", FIXTURES / "crm_org.yaml", env=env)
    assert imported.returncode == 0, describe(imported)
    close, lines = close_date(), sales_day(close_date())
    answers = []
    for line in lines:  # one console session per line: each answer is that session's output
        printed = console_session(env, "erin", line + "\n")
        echoed, _, answer = printed.partition("\n")
        assert echoed == f"› {line}", printed  # the console echoes the line, then answers
        answers.append(answer)
    check_sales_day(answers, close, datetime.now(ORG_TZ).date())


async def test_a_sales_day_in_the_web_chat(settings: Settings) -> None:
    close = close_date()
    async with serving(local_login(settings)) as site:
        await site.login("carol")
        ws = await site.socket()
        answers = []
        for line in sales_day(close):
            await ws.send_json(say(line))
            frame = (await frames_until(ws, of_type("message")))[-1]
            answers.append(as_text(from_wire(frame["message"])))
        await ws.close()
    check_sales_day(answers, close, datetime.now(ORG_TZ).date())
