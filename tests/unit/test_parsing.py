"""Command parsing: English and Chinese, full-width punctuation, quotes, options and garbage."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from bot.parsing import ArgumentError, bind_words, normalise, record_number, split_command


class Leave(BaseModel):
    kind: Literal["annual", "sick"] = Field(
        description="type", json_schema_extra={"aliases": ["类型"]}
    )
    days: int = 1
    urgent: bool = False
    reason: str = Field(default="", json_schema_extra={"rest": True, "aliases": ["原因"]})


def parse(text: str) -> Leave:
    line = split_command(text)
    assert line is not None
    return bind_words(Leave, line.words)


def test_positional_named_and_flag_arguments() -> None:
    assert parse("/leave sick 3 family matters") == Leave(
        kind="sick", days=3, reason="family matters"
    )
    assert parse("/leave kind=annual --days 2 --urgent") == Leave(
        kind="annual", days=2, urgent=True
    )
    assert parse('/leave annual reason="out of office"').reason == "out of office"
    assert parse("/leave --days=4 annual").days == 4


def test_full_width_punctuation_and_the_ideographic_space() -> None:
    assert (
        normalise("／请假\u3000类型＝annual\u3000原因：“家里 有事”")
        == '/请假 类型=annual 原因:"家里 有事"'
    )
    assert parse("／leave\u3000类型＝sick\u3000原因＝“家里 有事”") == Leave(
        kind="sick", reason="家里 有事"
    )
    assert parse("/leave annual ３").days == 3
    assert parse("/leave annual —urgent").urgent  # an em dash typed for --


def test_command_names_and_bot_mentions() -> None:
    assert split_command("/Help@bizbot_bot now") is not None
    line = split_command("/Help@bizbot_bot now")
    assert line is not None and line.name == "help" and line.words == ["now"]
    assert split_command("hello") is None
    assert split_command("/") is None


def test_unbalanced_quotes_fall_back_to_spaces() -> None:
    assert parse("/leave annual 2 it's fine").reason == "it's fine"


def test_errors_say_what_is_wrong() -> None:
    with pytest.raises(ArgumentError, match=re.escape("kind must be one of annual | sick")):
        parse("/leave holiday")
    with pytest.raises(ArgumentError, match="Missing kind"):
        parse("/leave")
    with pytest.raises(ArgumentError, match="days must be a number"):
        parse("/leave annual lots")
    with pytest.raises(ArgumentError, match="needs a value"):
        parse("/leave annual --days")


class Strict(BaseModel):
    code: str


def test_unknown_options_and_extra_words_are_refused_without_free_text() -> None:
    with pytest.raises(ArgumentError, match="Unknown option colour"):
        bind_words(Strict, ["abc", "colour=red"])
    with pytest.raises(ArgumentError, match="Too many arguments: def"):
        bind_words(Strict, ["abc", "def"])
    assert bind_words(Strict, ["12:30"]).code == "12:30"  # a colon in a value is not an option


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_gives_an_argument_error(text: str) -> None:
    line = split_command("/leave " + text)
    assert line is not None
    try:
        bind_words(Leave, line.words)
    except ArgumentError as exc:
        assert exc.message


@pytest.mark.parametrize(
    ("typed", "number"),
    [("12", 12), ("#12", 12), ("＃１２", 12), (" 7 ", 7), ("0", 0), ("9" * 18, 10**18 - 1)],
)
def test_record_numbers_as_typed(typed: str, number: int) -> None:
    assert record_number(typed) == number


@pytest.mark.parametrize(
    "typed", ["", "#", "①", "²", "1²", "½", "Ⅻ", "٣", "𝟙", "-3", "+3", "1.5", "12a", "9" * 19]
)
def test_anything_else_is_no_record_number(typed: str) -> None:
    assert record_number(typed) is None


def test_commands_never_test_a_word_with_isdigit() -> None:
    """``str.isdigit()`` is True for ``①`` and ``²``, which ``int()`` refuses: numbers typed in
    commands are read with ``record_number`` (or tested with ``isdecimal()``)."""
    commands = Path(__file__).parents[2] / "commands"
    offenders = [
        f"{path.relative_to(commands.parent)}:{number}"
        for path in sorted(commands.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".isdigit()" in line
    ]
    assert offenders == []
