"""Notifications reach a member where they are: the channel they chose with /prefer, else the
one they last wrote from; answers to commands come back where they were typed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient, Posted
from bot.app import build_runtime
from bot.config import Settings
from bot.context import CommandContext
from bot.pipeline.admin import list_outbox
from bot.replies import Button, Card, Message, Reply
from bot.router import CommandSpec
from domain.directory.importer import import_org
from domain.directory.models import Member
from domain.directory.services import bind_identity, create_bind_code, find_member
from domain.shared.clock import SystemClock
from domain.shared.db import ThreadedSQLiteDatabase
from tests.support import ORG_YAML, Chat


class PokeArgs(BaseModel):
    handle: str


def poke(ctx: CommandContext, args: PokeArgs) -> Message:
    member = find_member(ctx.session, args.handle)
    assert member is not None
    ctx.notify(member.id, Reply(f"{ctx.actor.name} pokes you"))
    return Reply("poked")


async def link_chat_account(chat: Chat, handle: str, user: str) -> None:
    now = SystemClock().now()

    def link(session: Session) -> None:
        code = create_bind_code(session, handle, now, timedelta(hours=1))
        bind_identity(session, code, "chat", "", user, now)

    await chat.runtime.db.run(link)


async def poked_at(chat: Chat) -> tuple[str, str]:
    """Alice pokes Bob; the channel and conversation the notification went to."""
    await chat.say("alice", "/poke bob")
    poked = (await chat.runtime.db.run(lambda s: list_outbox(s, None, 2)))[1]
    assert poked.summary == "Alice Admin pokes you"
    return poked.channel, poked.conversation


def button(card: Posted, command: str) -> Button:
    assert isinstance(card.message, Card)
    return next(b for b in card.message.buttons if b.command == command)


@pytest.fixture
async def bob_on_two(chat: Chat) -> Chat:
    """The chat with a poke command and Bob bound on the platform ``chat`` too (as U-BOB)."""
    chat.runtime.router.add(CommandSpec(name="poke", summary="test", handler=poke, args=PokeArgs))
    await link_chat_account(chat, "bob", "U-BOB")
    return chat


async def test_notifications_go_where_the_member_last_wrote(bob_on_two: Chat) -> None:
    chat = bob_on_two
    assert await poked_at(chat) == ("chat", "U-BOB")  # never wrote: the first account
    await chat.say("bob", "/whoami")  # writes in the built-in chat
    assert await poked_at(chat) == ("memory", "bob")
    await chat.say("U-BOB", "hello", channel="chat")
    assert await poked_at(chat) == ("chat", "U-BOB")


async def test_a_chosen_channel_wins_until_prefer_auto(bob_on_two: Chat) -> None:
    chat = bob_on_two
    card = await chat.say("U-BOB", "/prefer", channel="chat")
    assert "自动：通知会发到你最近一次发消息所用的聊天工具，目前是 chat。" in card.text
    assert "命令的回复总是发回你输入命令的地方。" in card.text
    await chat.tap("U-BOB", button(card, "/prefer memory").token, channel="chat")
    assert "按你的选择，通知会发到 memory。" in card.text  # the card was edited in place
    assert await poked_at(chat) == ("memory", "bob")
    answer = await chat.say("U-BOB", "/whoami", channel="chat")  # answered where typed
    assert "@bob" in answer.text
    assert await poked_at(chat) == ("memory", "bob")  # the choice holds

    automatic = await chat.say("U-BOB", "/偏好 自动", channel="chat")
    assert "自动：" in automatic.text
    assert await poked_at(chat) == ("chat", "U-BOB")  # where he wrote last
    refused = await chat.say("bob", "/prefer slack")
    assert "/绑定" in refused.text
    assert await poked_at(chat) == ("memory", "bob")  # a refused command counts as writing


async def test_prefer_shows_the_choice_in_english(chat: Chat) -> None:
    shown = await chat.say("alice", "/prefer")
    assert shown.text.startswith("Where should I reach you?")
    assert "Automatic: notifications go to the chat app you last wrote from, now memory" in (
        shown.text
    )
    assert "Answers to commands always come back where you typed them." in shown.text
    chosen = await chat.say("alice", "/prefer memory")
    assert "Notifications go to memory, as you chose." in chosen.text
    assert isinstance(chosen.message, Card)
    commands = [b.command for b in chosen.message.buttons]
    assert commands == ["/prefer slack", "/prefer telegram", "/prefer auto"]
    assert "Automatic (last used)" in chosen.text
    again = await chat.say("alice", "/prefer automatic")
    assert "Automatic:" in again.text


@pytest.fixture
async def sqlite_chat(sqlite_settings: Settings) -> AsyncIterator[Chat]:
    """The test chat on SQLite only: the test counts the statements the worker sends."""
    memory, platform = MemoryClient("memory"), MemoryClient("chat")
    runtime = build_runtime(sqlite_settings, [memory, platform])
    runtime.dispatcher.policies = replace(runtime.dispatcher.policies, built_in_channel="memory")
    await runtime.db.run(lambda s: import_org(s, ORG_YAML, SystemClock().now()))
    await runtime.start()
    try:
        yield Chat(runtime, memory, platform)
    finally:
        await runtime.stop()
        await runtime.db.dispose()


async def test_the_last_channel_is_written_only_when_it_changes(sqlite_chat: Chat) -> None:
    chat = sqlite_chat
    await link_chat_account(chat, "bob", "U-BOB")
    assert isinstance(chat.runtime.db, ThreadedSQLiteDatabase)
    updates: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE members"):
            updates.append(statement)

    event.listen(chat.runtime.db.engine, "before_cursor_execute", seen)
    for _ in range(3):
        await chat.say("bob", "/ping")
    assert len(updates) == 1  # the first message from here; the others find it recorded
    await chat.say("U-BOB", "/ping", channel="chat")
    await chat.say("U-BOB", "/ping", channel="chat")
    assert len(updates) == 2
    last = await chat.runtime.db.run(
        lambda s: s.scalar(select(Member.last_channel).where(Member.handle == "bob"))
    )
    assert last == "chat"
