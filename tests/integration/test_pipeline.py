"""The pipeline end to end through the memory channels, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import Select, func, select

from adapters.memory.translate import say
from bot.pipeline.tables import InboxRow, OutboxRow
from bot.replies import Card
from domain.directory.models import ChatIdentity
from tests.support import Chat


async def count(chat: Chat, query: Select[int]) -> int:
    result: int | None = await chat.runtime.db.run(lambda s: s.scalar(query))
    return result or 0


async def test_whoami_answers_in_the_members_language(chat: Chat) -> None:
    english = await chat.say("alice", "/whoami")
    chinese = await chat.say("bob", "/我是谁")
    assert isinstance(english.message, Card)
    assert english.message.title == "Alice Admin"
    assert "Handle" in english.text and "@alice" in english.text
    assert "用户名" in chinese.text and "@bob" in chinese.text


async def test_duplicate_event_gives_one_effect_and_one_reply(chat: Chat) -> None:
    first = await chat.send(say("alice", "/lang zh", event_id="evt-1"))
    again = await chat.send(say("alice", "/lang zh", event_id="evt-1"))
    concurrent = await asyncio.gather(
        *(chat.runtime.ingest(say("alice", "/lang zh", event_id="evt-1")) for _ in range(20))
    )
    await chat.runtime.settle()
    assert first.new and not again.new and not any(a.new for a in concurrent)
    assert await count(chat, select(func.count()).select_from(InboxRow)) == 1
    assert await count(chat, select(func.count()).select_from(OutboxRow)) == 1
    assert len(chat.memory.conversation("alice")) == 1


async def test_an_event_the_database_refuses_fails_alone_in_its_group_commit(chat: Chat) -> None:
    events = [say(handle, "/ping") for handle in ("alice", "bob", "carol")]
    events.insert(
        1, say("bob", "/ping", event_id="bad-\ud800")
    )  # no database stores a lone surrogate
    stored = await asyncio.gather(*map(chat.runtime.ingest, events), return_exceptions=True)
    assert [isinstance(result, Exception) for result in stored] == [False, True, False, False]
    await chat.runtime.settle()
    answers = [p.text for h in ("alice", "bob", "carol") for p in chat.memory.conversation(h)]
    assert answers == ["pong", "在呢，我在。", "pong"]  # bob reads Chinese


async def test_events_of_one_conversation_are_handled_in_order(chat: Chat) -> None:
    texts = [f"/lang {'zh' if i % 2 else 'en'}" for i in range(30)]
    await asyncio.gather(
        *(chat.runtime.ingest(say("carol", t, event_id=f"o{i}")) for i, t in enumerate(texts))
    )
    await chat.runtime.settle()
    bodies = [
        p.message.body for p in chat.memory.conversation("carol") if isinstance(p.message, Card)
    ]
    expected = [
        "从现在起我会用中文和你交流。" if i % 2 else "I will speak English with you from now on."
        for i in range(30)
    ]
    assert bodies == expected


async def test_unknown_sender_is_told_how_to_bind_and_nothing_runs(chat: Chat) -> None:
    reply = await chat.say("U-STRANGER", "/whoami", channel="chat")
    assert "/bind" in reply.text or "/绑定" in reply.text
    assert "Alice" not in reply.text
    reply = await chat.say("U-STRANGER", "/invite bob", channel="chat")
    assert "绑定码" in reply.text  # org locale is Chinese; still only the binding hint
    assert (
        await count(
            chat,
            select(func.count()).select_from(ChatIdentity).where(ChatIdentity.channel == "chat"),
        )
        == 0
    )


async def test_bind_code_links_a_platform_account_once(chat: Chat) -> None:
    card = await chat.say("alice", "/invite bob")
    command = next(f.value for f in card.message.fields if f.value.startswith("/bind"))  # type: ignore[union-attr]
    welcome = await chat.say("U-BOB", command, channel="chat")
    assert "@bob" in welcome.text
    me = await chat.say("U-BOB", "/whoami", channel="chat")
    assert "@bob" in me.text and "chat:U-BOB" in me.text
    reused = await chat.say("U-MALLORY", command, channel="chat")
    assert "无效" in reused.text or "unknown" in reused.text


async def test_bind_code_is_refused_for_a_member_without_permission(chat: Chat) -> None:
    reply = await chat.say("bob", "/invite carol")
    assert "没有权限" in reply.text


async def test_deactivated_member_is_refused(chat: Chat) -> None:
    reply = await chat.say("dave", "/whoami")
    assert "deactivated" in reply.text or "停用" in reply.text
    assert "Dave" not in reply.text


async def test_unknown_command_suggests_the_closest(chat: Chat) -> None:
    reply = await chat.say("alice", "/whoamii")
    assert "Did you mean /whoami?" in reply.text


async def test_bad_arguments_get_the_usage_line_in_the_members_language(chat: Chat) -> None:
    reply = await chat.say("bob", "/语言 klingon")
    assert "用法：/语言 [语言]" in reply.text
    reply = await chat.say("alice", "/lang klingon extra")
    assert "Usage: /lang [language]" in reply.text


async def test_help_lists_only_what_the_member_may_do(chat: Chat) -> None:
    admin = await chat.say("alice", "/help")
    seller = await chat.say("bob", "/help")
    assert "/invite" in admin.text
    assert "/邀请" not in seller.text and "/invite" not in seller.text
    assert "/bind" not in admin.text  # only strangers bind


async def test_a_button_edits_its_card_in_place(chat: Chat) -> None:
    help_card = await chat.say("alice", "/help")
    button = help_card.message.buttons[0]  # type: ignore[union-attr]
    assert button.label == "中文"
    await chat.tap("alice", button.token)
    assert isinstance(help_card.message, Card)
    assert help_card.message.title == "我能为你做什么"  # the same message, edited
    assert len(help_card.versions) == 2
    assert chat.memory.calls[-1] == ("edit", help_card.message_id)


async def test_a_button_tapped_by_someone_else_is_refused_and_the_card_stays(chat: Chat) -> None:
    help_card = await chat.say("alice", "/help")
    token = help_card.message.buttons[0].token  # type: ignore[union-attr]
    refused = await chat.tap("carol", token)
    assert "not for you" in refused.text
    assert len(help_card.versions) == 1
    me = await chat.say("alice", "/whoami")
    assert "English" in me.text


async def test_forged_and_single_use_tokens(chat: Chat) -> None:
    forged = await chat.tap("alice", "A" * 22)
    assert "not valid" in forged.text
    choice = await chat.say("alice", "/lang")
    token = choice.message.buttons[1].token  # type: ignore[union-attr]
    await asyncio.gather(
        *(chat.runtime.ingest(say("alice", f"/tap {token}", event_id=f"t{i}")) for i in range(10))
    )
    await chat.runtime.settle()
    texts = [p.text for p in chat.memory.conversation("alice")]
    assert (
        sum("已经完成" in t for t in texts) == 9
    )  # the nine later taps: already done (now in Chinese)
    assert len(choice.versions) == 2


async def test_unexpected_error_shows_a_correlation_id_and_marks_the_event(chat: Chat) -> None:
    spec = chat.runtime.router.find("ping")
    assert spec is not None

    def boom(*_args: object) -> None:
        raise RuntimeError("kaput")

    object.__setattr__(spec, "handler", boom)
    reply = await chat.say("alice", "/ping")
    assert "Reference:" in reply.text
    reference = reply.text.rsplit(" ", 1)[-1]
    row = await chat.runtime.db.run(
        lambda s: s.scalars(select(InboxRow).order_by(InboxRow.id.desc())).first()
    )
    assert row is not None
    assert row.status == "failed"
    assert row.correlation_id == reference
    assert "kaput" in (row.error or "")
    # the pipeline goes on
    assert "Alice" in (await chat.say("alice", "/whoami")).text
