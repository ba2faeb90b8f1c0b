"""WeCom callback XML -> events and contact changes; our cards -> template cards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.wecom import render
from adapters.wecom.translate import PayloadError, callback_to_event, parse_xml, profile_from
from bot.events import Address, EventKind
from bot.ports import ExternalContactChange, ExternalProfile
from bot.replies import Button, ButtonStyle, Card, Field, Reply
from tests.wecom_messages import CORP_ID, card_event, contact_event, inner_xml, text_message


def test_cdata_and_plain_text_both_parse() -> None:
    xml = "<xml><ToUserName><![CDATA[ww1]]></ToUserName><Content>你好 &amp; hi</Content></xml>"
    assert parse_xml(xml) == {"ToUserName": "ww1", "Content": "你好 & hi"}


@pytest.mark.parametrize(
    "xml",
    [
        '<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><A>&a;</A></xml>',
        "<!doctype xml><xml/>",
        "<xml><A>unclosed</xml>",
        "<xml>" + "x" * 300_000 + "</xml>",
    ],
)
def test_unsafe_or_broken_xml_is_refused(xml: str) -> None:
    with pytest.raises(PayloadError):
        parse_xml(xml)


def test_text_message_is_a_command_from_the_member() -> None:
    event = callback_to_event(parse_xml(text_message("bob.li", " /whoami ", "77", 1700000000)))
    assert event is not None and not isinstance(event, ExternalContactChange)
    assert event.kind is EventKind.COMMAND and event.text == "/whoami"
    assert event.address == Address("wecom", "bob.li", CORP_ID)
    assert (event.event_id, event.sender_id) == ("77", "bob.li")


def test_card_event_carries_token_and_one_time_code() -> None:
    event = callback_to_event(parse_xml(card_event("bob.li", "tok", "task1", "rc1", 1700000000)))
    assert event is not None and not isinstance(event, ExternalContactChange)
    assert event.kind is EventKind.ACTION and event.action_token == "tok"
    assert event.extra == {"response_code": "rc1", "task_id": "task1"}
    assert event.event_id == "bob.li:1700000000:card:task1:tok"


def test_contact_changes() -> None:
    added = callback_to_event(parse_xml(contact_event("add_external_contact", "bob.li", "wm1", 5)))
    assert added == ExternalContactChange(
        "wecom", CORP_ID, "bob.li", "wm1", True, "", datetime.fromtimestamp(5, UTC)
    )
    for removed_by in ("del_external_contact", "del_follow_user"):  # the member or the customer
        removed = callback_to_event(parse_xml(contact_event(removed_by, "bob.li", "wm1", 6)))
        assert isinstance(removed, ExternalContactChange) and not removed.added
        assert (removed.staff_user_id, removed.external_user_id) == ("bob.li", "wm1")
    edit = contact_event("edit_external_contact", "bob.li", "wm1", 5)
    assert callback_to_event(parse_xml(edit)) is None


def test_a_profile_takes_the_adding_members_remark_and_phones() -> None:
    answer = {
        "errcode": 0,
        "errmsg": "ok",
        "external_contact": {
            "external_userid": "wm1",
            "name": " Nick\n",
            "type": 2,
            "corp_name": "腾讯",
        },
        "follow_user": [
            {"userid": "carol.chen", "remark": "Someone else", "remark_mobiles": ["1"]},
            {
                "userid": "bob.li",
                "remark": "王伟",
                "remark_corp_name": "腾讯科技",
                "remark_mobiles": ["13800000001", "", 42],
            },
        ],
    }
    assert profile_from(answer, "bob.li") == ExternalProfile(
        "Nick", "王伟", "腾讯科技", ("13800000001", "42")
    )
    assert profile_from(answer, "dave") == ExternalProfile("Nick", "", "腾讯", ())
    with pytest.raises(PayloadError):
        profile_from({"errcode": 0}, "bob.li")


def test_other_messages_are_ignored_and_missing_fields_refused() -> None:
    assert callback_to_event({"MsgType": "voice"}) is None
    assert callback_to_event({"MsgType": "event", "Event": "enter_agent"}) is None
    with pytest.raises(PayloadError):
        callback_to_event(parse_xml(inner_xml({"MsgType": "text", "Content": "hi"})))
    with pytest.raises(PayloadError):  # pictures are taken (with their media id)
        callback_to_event({"MsgType": "image"})


def test_cards_render_as_template_cards_within_limits() -> None:
    card = Card(
        "T" * 50,
        "B" * 200,
        fields=tuple(Field(f"f{i}", "v") for i in range(8)),
        buttons=(Button("Approve", token="tokA", style=ButtonStyle.PRIMARY),),
        footer="foot",
    )
    body = render.message_body(card)
    template = body["template_card"]
    assert template["card_type"] == "button_interaction"
    assert len(template["main_title"]["title"]) == 36 and template["main_title"]["title"][-1] == "…"
    assert len(template["sub_title_text"]) == 160
    assert len(template["horizontal_content_list"]) == 6
    assert template["button_list"] == [{"text": "Approve", "style": 1, "key": "tokA"}]
    assert template["task_id"].startswith("bz_")
    notice = render.template_card(Card("Done"), "task1", "https://bizbot.example")
    assert notice["card_type"] == "text_notice" and notice["task_id"] == "task1"
    assert notice["card_action"] == {"type": 1, "url": "https://bizbot.example"}
    assert render.message_body(Reply("hi")) == {"msgtype": "text", "text": {"content": "hi"}}
    plain = render.message_body(Card("Who", fields=(Field("Handle", "@bob"),)))
    assert plain["msgtype"] == "markdown" and "> Handle: @bob" in plain["markdown"]["content"]
