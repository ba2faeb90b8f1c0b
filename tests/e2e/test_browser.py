"""The web chat in a real browser (Debian chromium, headless) against a real server on 127.0.0.1.

Every wait is on a DOM condition with a generous bound; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute, async_playwright, expect

from adapters.webchat.routes import HISTORY_LIMIT
from bot.config import Settings
from tests.webchat import live_server, local_login

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
BLOCKED = "Content Security Policy"  # chromium's console message for what the policy blocks
WAIT_MS = 30_000  # bound on each DOM condition, not a timing assertion
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def require_chromium() -> None:
    """Skip without Debian's chromium, except under CI=true, where it must be there."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {CHROMIUM} is missing (apt install chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt install chromium)")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Headless Debian chromium, driven by Playwright."""
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page: Page, base: str, name: str) -> None:
    """Open the chat, get sent to the login page, pick a member, wait for the socket."""
    await page.goto(base + "/")
    await expect(page).to_have_url(base + "/login", timeout=WAIT_MS)
    await page.get_by_role("button", name=name).click()
    await expect(page).to_have_url(base + "/", timeout=WAIT_MS)


async def log_out_elsewhere(page: Page, base: str) -> None:
    """Post the chat page's log out form from outside the page (another tab of this browser)."""
    token = await page.locator('input[name="csrf"]').get_attribute("value")
    assert token
    answer = await page.request.post(base + "/logout", form={"csrf": token}, max_redirects=0)
    assert answer.status == 302, await answer.text()


def watch_for_errors(page: Page) -> list[str]:
    """Script errors, and anything the content policy blocks, as the page runs."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if BLOCKED in message.text else None,
    )
    return errors


async def send(page: Page, text: str) -> None:
    """Type a message and press Enter."""
    await page.locator("#text").fill(text)
    await page.locator("#text").press("Enter")


async def test_sign_in_ask_for_help_and_switch_the_cards_language(
    sqlite_settings: Settings,
) -> None:
    settings = local_login(sqlite_settings)
    async with live_server(settings) as (_runtime, _hub, base), chromium() as browser:
        page = await browser.new_page(locale="en-US")
        errors = watch_for_errors(page)
        await sign_in(page, base, "Alice Admin")
        await expect(page.locator("#status")).to_have_text("Connected", timeout=WAIT_MS)

        await send(page, "/help")
        await expect(page.locator(".msg.member")).to_have_text("/help", timeout=WAIT_MS)
        await expect(page.locator(".msg.member")).not_to_have_class(re.compile("pending"))
        reply = page.locator(".msg.bot").filter(has=page.locator(".card"))
        await expect(reply.locator("h3")).to_have_text("What I can do for you", timeout=WAIT_MS)
        card_id = await reply.get_attribute("data-id")
        assert card_id

        await reply.get_by_role("button", name="中文").click()
        same_card = page.locator(f'.msg.bot[data-id="{card_id}"] .card')
        await expect(same_card.locator("h3")).to_have_text("我能为你做什么", timeout=WAIT_MS)
        await expect(same_card.get_by_role("button", name="English")).to_be_enabled()
        await expect(page.locator(".card")).to_have_count(1)

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(
            path=str(ARTIFACTS / "webchat.png"), full_page=True, animations="disabled"
        )
        assert errors == []


class LossyLine:
    """A WebSocket route that loses the first page frame containing ``marker`` and hangs up."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.lost: list[str] = []

    async def route(self, ws: WebSocketRoute) -> None:
        """Connect the page's socket to the server, frame by frame."""
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if not self.lost and isinstance(message, str) and self.marker in message:
                self.lost.append(message)
                asyncio.get_running_loop().create_task(ws.close(code=1011, reason="lost"))
                return
            server.send(message)

        ws.on_message(from_page)


async def test_lost_frames_are_resent_and_an_ended_session_goes_to_sign_in(
    sqlite_settings: Settings,
) -> None:
    settings = local_login(sqlite_settings)
    async with live_server(settings) as (_runtime, hub, base), chromium() as browser:
        page = await browser.new_page(locale="zh-CN")
        errors = watch_for_errors(page)
        line = LossyLine("我是谁")
        await page.route_web_socket(re.compile(r".*/ws$"), line.route)
        await sign_in(page, base, "李博 Bob")
        await expect(page.locator("#status")).to_have_text("已连接", timeout=WAIT_MS)

        # The frame is lost with the connection; the page reconnects and sends it again.
        await send(page, "/我是谁")
        whoami = page.locator(".msg.bot .card h3")
        await expect(whoami).to_have_text("李博 Bob", timeout=WAIT_MS)
        await expect(page.locator(".msg.member")).to_have_count(1)
        await expect(page.locator(".msg.member")).not_to_have_class(re.compile("pending|failed"))
        assert len(line.lost) == 1

        # Signed out elsewhere: the next message is refused and the page goes to sign in.
        await log_out_elsewhere(page, base)
        await send(page, "/ping")
        await expect(page).to_have_url(base + "/login", timeout=WAIT_MS)

        # Signed out while the server drops the socket: the page asks, then goes to sign in.
        await sign_in(page, base, "李博 Bob")
        await expect(page.locator("#status")).to_have_text("已连接", timeout=WAIT_MS)
        await log_out_elsewhere(page, base)
        await hub.close_all()
        await expect(page).to_have_url(base + "/login", timeout=WAIT_MS)
        assert errors == []


SAY_MANY = """async (count) => {
  for (let i = 0; i < count; i++) {
    const id = crypto.randomUUID().replaceAll("-", "");
    const frame = { type: "say", id: id, text: "/ping " + i };
    await fetch("/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(frame),
    });
  }
}"""


async def test_scrolling_to_the_top_loads_older_messages(sqlite_settings: Settings) -> None:
    settings = local_login(sqlite_settings)
    async with live_server(settings) as (runtime, _hub, base), chromium() as browser:
        page = await browser.new_page(locale="en-US")
        errors = watch_for_errors(page)
        await sign_in(page, base, "Alice Admin")
        await expect(page.locator("#status")).to_have_text("Connected", timeout=WAIT_MS)
        pings = HISTORY_LIMIT // 2 + 10  # a member's line and the bot's each: more than a page
        await page.evaluate(SAY_MANY, pings)
        await runtime.settle()

        await page.reload()
        await expect(page.locator("#status")).to_have_text("Connected", timeout=WAIT_MS)
        lines = page.locator("#messages .msg")
        await expect(lines).to_have_count(HISTORY_LIMIT, timeout=WAIT_MS)
        members = page.locator("#messages .msg.member")
        await expect(members.first).not_to_have_text("/ping 0")
        seen_first = await members.first.text_content()

        await page.locator("#messages").evaluate("list => { list.scrollTop = 0; }")
        await expect(lines).to_have_count(2 * pings, timeout=WAIT_MS)
        await expect(members.first).to_have_text("/ping 0")
        # The line that was at the top is still where the member was looking, not pushed away.
        kept = members.filter(has_text=re.compile("^" + re.escape(seen_first or "") + "$"))
        await expect(kept).to_be_in_viewport()
        assert await page.locator("#messages").evaluate("list => list.scrollTop") > 0
        assert errors == []
