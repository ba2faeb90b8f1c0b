"""The scripted sales day (tests/sales_day.py) in ``bizbot console`` and in the web chat, over
its real HTTP and WebSocket; Slack and Telegram run it in tests/e2e/test_channels_serve.py."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.replies import as_text, from_wire
from tests.processes import bot_env, describe, run_bot
from tests.sales_day import ORG_TZ, check_sales_day, close_date, sales_day
from tests.support import FIXTURES
from tests.webchat import frames_until, of_type, say, serving


def test_a_sales_day_in_the_console(tmp_path: Path) -> None:
    env = bot_env(f"sqlite:///{tmp_path}/bizbot.db", poll_interval="0.1")
    imported = run_bot("org", "import", FIXTURES / "crm_org.yaml", env=env)
    assert imported.returncode == 0, describe(imported)
    close, lines = close_date(), sales_day(close_date())
    answers = []
    for line in lines:  # one console run per line: each answer is that run's output
        result = run_bot("console", "--as", "erin", env=env, stdin=line + "\n")
        assert result.returncode == 0, describe(result)
        echoed, _, answer = result.stdout.partition("\n")
        assert echoed == f"› {line}", result.stdout  # the console echoes the line, then answers
        answers.append(answer)
    check_sales_day(answers, close, datetime.now(ORG_TZ).date())


async def test_a_sales_day_in_the_web_chat(settings: Settings) -> None:
    close = close_date()
    async with serving(settings) as site:
        await site.login("carol")
        ws = await site.socket()
        answers = []
        for line in sales_day(close):
            await ws.send_json(say(line))
            frame = (await frames_until(ws, of_type("message")))[-1]
            answers.append(as_text(from_wire(frame["message"])))
        await ws.close()
    check_sales_day(answers, close, datetime.now(ORG_TZ).date())
