"""Notifications reach a member on the channel they prefer."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy.orm import Session

from bot.context import CommandContext
from bot.pipeline.admin import list_outbox
from bot.replies import Card, Message, Reply
from bot.router import CommandSpec
from domain.directory.services import bind_identity, create_bind_code, find_member
from domain.shared.clock import SystemClock
from tests.support import Chat


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


async def test_notifications_follow_the_preferred_channel(chat: Chat) -> None:
    chat.runtime.router.add(CommandSpec(name="poke", summary="test", handler=poke, args=PokeArgs))
    await link_chat_account(chat, "bob", "U-BOB")
    await chat.say("alice", "/poke bob")
    poked = (await chat.runtime.db.run(lambda s: list_outbox(s, None, 2)))[1]
    assert (poked.channel, poked.conversation) == ("chat", "U-BOB")
    assert chat.chat.last("U-BOB").text == "Alice Admin pokes you"

    card = await chat.say("U-BOB", "/prefer", channel="chat")
    assert isinstance(card.message, Card)
    built_in = card.message.buttons[0]
    assert built_in.command == "/prefer memory"
    await chat.tap("U-BOB", built_in.token, channel="chat")
    assert "memory" in card.text  # the card was edited in place
    await chat.say("alice", "/poke bob")
    poked = (await chat.runtime.db.run(lambda s: list_outbox(s, None, 2)))[1]
    assert (poked.channel, poked.conversation) == ("memory", "bob")
    assert chat.memory.last("bob").text == "Alice Admin pokes you"

    refused = await chat.say("bob", "/prefer slack")
    assert "/绑定" in refused.text
