"""Questions and answers, typed commands without a slash, and cards that stay true."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from bot.context import CommandContext
from bot.replies import Action, Button, Card, Message, Reply
from bot.router import ActionSpec, CommandSpec, NoArgs, PromptSpec
from domain.directory.services import find_member
from tests.support import Chat


class AskArgs(BaseModel):
    ttl: int = 1800


def ask_colour(ctx: CommandContext, args: AskArgs) -> None:
    ctx.ask(
        "colour",
        Reply("Which colour?"),
        {"asked_by": ctx.actor.handle},
        timedelta(seconds=args.ttl),
    )


def colour_answer(ctx: CommandContext, text: str, state: dict[str, Any]) -> Message:
    if text == "again":
        ctx.ask("colour", Reply("Which colour, really?"), state)
        return Reply("asking again")
    return Reply(f"{state['asked_by']} likes {text}")


def broadcast(ctx: CommandContext, _args: NoArgs) -> Message:
    for handle in ("bob", "carol"):
        member = find_member(ctx.session, handle)
        assert member is not None
        buttons = (
            Button("Yes", Action("vote", target="yes", allowed=(member.id,))),
            Button("No", Action("vote", target="no", allowed=(member.id,))),
        )
        ctx.notify(member.id, Card("Vote", buttons=buttons), subject="vote:1")
    return Reply("sent")


def vote(ctx: CommandContext, target: str, _args: dict[str, Any]) -> None:
    ctx.update_cards("vote:1", Card("Vote closed", body=f"{ctx.actor.handle} said {target}"))


def vote_stale(ctx: CommandContext, _target: str, _args: dict[str, Any]) -> Message:
    return Reply("The vote is closed already.")


def install(chat: Chat) -> None:
    router = chat.runtime.router
    router.add(CommandSpec(name="ask", summary="test", handler=ask_colour, args=AskArgs))
    router.add(CommandSpec(name="broadcast", summary="test", handler=broadcast))
    router.add_prompt(PromptSpec(name="colour", handler=colour_answer))
    router.add_action(ActionSpec(name="vote", handler=vote, on_stale=vote_stale))


async def test_the_next_message_answers_the_question(chat: Chat) -> None:
    install(chat)
    assert (await chat.say("alice", "/ask")).text == "Which colour?"
    assert (await chat.say("carol", "blue")).text.startswith("Type help")  # not carol's question
    assert (await chat.say("alice", "again")).text == "asking again"
    assert (await chat.say("alice", "green")).text == "alice likes green"
    assert (await chat.say("alice", "red")).text.startswith("Type help")  # answered already


async def test_cancel_drops_the_question(chat: Chat) -> None:
    install(chat)
    await chat.say("alice", "/ask")
    assert (await chat.say("alice", "cancel")).text == "Cancelled."
    assert (await chat.say("alice", "blue")).text.startswith("Type help")
    await chat.say("bob", "/ask")
    assert (await chat.say("bob", "/取消")).text == "已取消。"
    assert (await chat.say("bob", "/cancel")).text == "没有需要取消的事。"


async def test_an_expired_question_takes_no_answer(chat: Chat) -> None:
    install(chat)
    await chat.say("alice", "/ask 0")
    assert (await chat.say("alice", "blue")).text.startswith("Type help")


async def test_commands_typed_without_a_slash_in_direct_chats(chat: Chat) -> None:
    assert "@alice" in (await chat.say("alice", "whoami")).text
    assert "用户名" in (await chat.say("bob", "我是谁")).text
    assert "help" in (await chat.say("alice", "hello there")).text


async def test_every_copy_of_a_card_is_updated_and_stale_taps_get_the_state(chat: Chat) -> None:
    install(chat)
    await chat.say("alice", "/broadcast")
    bob_card = chat.memory.last("bob")
    carol_card = chat.memory.last("carol")
    assert isinstance(bob_card.message, Card)
    assert isinstance(carol_card.message, Card)
    yes_bob, no_bob = bob_card.message.buttons
    yes_carol = carol_card.message.buttons[0]
    await chat.tap("bob", yes_bob.token)
    assert bob_card.text.startswith("Vote closed")
    assert carol_card.text.startswith("Vote closed")  # carol's copy too, in place
    assert (await chat.tap("carol", yes_carol.token)).text == "The vote is closed already."
    assert (await chat.tap("bob", no_bob.token)).text == "The vote is closed already."  # sibling
    assert (await chat.tap("carol", yes_bob.token)).text.startswith("This button is not for you")


async def test_an_edited_cards_single_use_buttons_stop_working(chat: Chat) -> None:
    install(chat)
    await chat.say("alice", "/broadcast")
    bob_card = chat.memory.last("bob")
    assert isinstance(bob_card.message, Card)
    old_yes = bob_card.message.buttons[0]
    await chat.say("alice", "/broadcast")  # a second vote card; then bob's first is replaced
    await chat.tap("bob", chat.memory.last("bob").message.buttons[1].token)  # type: ignore[union-attr]
    assert bob_card.text.startswith("Vote closed")
    assert (await chat.tap("bob", old_yes.token)).text == "The vote is closed already."


async def test_multi_use_buttons_outlive_an_edit(chat: Chat) -> None:
    card = await chat.say("alice", "/help")
    switch = card.message.buttons[0]  # type: ignore[union-attr]
    await chat.tap("alice", switch.token)  # to Chinese, and the card is redrawn
    await chat.tap("alice", switch.token)  # the old switch still works: Chinese again
    assert card.message.title == "我能为你做什么"  # type: ignore[union-attr]
