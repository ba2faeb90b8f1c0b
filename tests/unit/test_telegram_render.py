"""Cards become escaped HTML with an inline keyboard; what cannot be a button is typed instead."""

from __future__ import annotations

from telegram.constants import ParseMode

from adapters.telegram.render import MAX_TEXT, card_html, render
from bot.replies import Button, Card, CardStatus, Field, Reply


def test_card_is_html_with_bold_fields_and_italic_footer() -> None:
    card = Card(
        title='Deal <Acme & "Co">',
        body="Total > 5 & rising",
        fields=(Field("Owner", "<b>bob</b>"), Field("Stage", "won")),
        footer="Updated by @alice",
        status=CardStatus.SUCCESS,
    )
    out = render(card)
    assert out.parse_mode == ParseMode.HTML
    assert out.text == (
        '<b>✅ Deal &lt;Acme &amp; "Co"&gt;</b>\n'
        "Total &gt; 5 &amp; rising\n"
        "\n"
        "<b>Owner:</b> &lt;b&gt;bob&lt;/b&gt;\n"
        "<b>Stage:</b> won\n"
        "\n"
        "<i>Updated by @alice</i>"
    )
    assert out.keyboard is None


def test_buttons_carry_their_token_as_callback_data_in_rows_of_three() -> None:
    buttons = tuple(Button(f"B{i}", token=f"tok{i}") for i in range(4))
    out = render(Card(title="Pick", buttons=buttons))
    assert out.keyboard is not None
    rows = out.keyboard.inline_keyboard
    assert [[b.callback_data for b in row] for row in rows] == [["tok0", "tok1", "tok2"], ["tok3"]]
    assert [b.text for b in rows[0]] == ["B0", "B1", "B2"]


def test_buttons_that_cannot_be_callback_data_become_typed_commands() -> None:
    long_token = "é" * 33  # 66 bytes: over Telegram's 64-byte limit
    card = Card(
        title="Choose",
        buttons=(
            Button("Fine", token="ok"),
            Button("Too long", token=long_token),
            Button("Typed", command="/lang zh"),
        ),
    )
    out = render(card)
    assert out.keyboard is not None
    assert [b.callback_data for row in out.keyboard.inline_keyboard for b in row] == ["ok"]
    assert f"Too long: <code>/tap {long_token}</code>" in out.text
    assert "Typed: <code>/lang zh</code>" in out.text


def test_plain_replies_are_sent_without_markup() -> None:
    out = render(Reply("1 < 2 & <b>not bold</b>"))
    assert out == type(out)("1 < 2 & <b>not bold</b>")


def test_long_cards_are_shortened_to_telegrams_limit() -> None:
    card = Card(title="Log", body="<x> " * 3000, fields=(Field("Kept", "yes"),))
    text = card_html(card)
    assert len(text) <= MAX_TEXT
    assert text.startswith("<b>Log</b>\n&lt;x&gt;") and "<b>Kept:</b> yes" in text
    assert len(render(Reply("y" * 5000)).text) == MAX_TEXT
