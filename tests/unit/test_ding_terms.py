"""Reading /ding lines: names first, options last, in English and Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import ArgumentError, normalise
from commands.ding_terms import DingTerms, parse_ding

MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("@bob the server is down", DingTerms(("bob",), "the server is down", 10 * MIN, 3)),
        ("@bob @carol hi", DingTerms(("bob", "carol"), "hi", 10 * MIN, 3)),
        ("@Bob, @carol hi", DingTerms(("bob", "carol"), "hi", 10 * MIN, 3)),
        ("@bob call me every 10m max 3", DingTerms(("bob",), "call me", 10 * MIN, 3)),
        ("@bob call me max 5 every 30 minutes", DingTerms(("bob",), "call me", 30 * MIN, 5)),
        ("@bob call me every hour", DingTerms(("bob",), "call me", 60 * MIN, 3)),
        ("@bob call me every 2h max=0", DingTerms(("bob",), "call me", 120 * MIN, 0)),
        (
            "@bob it fails every 10 minutes, look",
            DingTerms(("bob",), "it fails every 10 minutes, look", 10 * MIN, 3),
        ),
        ("@bob 请尽快确认报价每15分钟最多3次", DingTerms(("bob",), "请尽快确认报价", 15 * MIN, 3)),
        ("@bob请回电话 每隔半小时 最多两次", DingTerms(("bob",), "请回电话", 30 * MIN, 2)),
        ("@bob 开会了，每小时一次，最多十次", DingTerms(("bob",), "开会了", 60 * MIN, 10)),
        ("@bob 报价 每二十分钟", DingTerms(("bob",), "报价", 20 * MIN, 3)),
        ("@bob 报价 最多 1 次", DingTerms(("bob",), "报价", 10 * MIN, 1)),
        ("＠bob 全角 每１０分钟", DingTerms(("bob",), "全角", 10 * MIN, 3)),
        ("@bob", DingTerms(("bob",), "", 10 * MIN, 3)),
        ("@bob x 每十十十分钟", DingTerms(("bob",), "x 每十十十分钟", 10 * MIN, 3)),
        ("@bob x 每二十五分钟 最多两次", DingTerms(("bob",), "x", 25 * MIN, 2)),
    ],
)
def test_ding_lines(line: str, expected: DingTerms) -> None:
    assert parse_ding(normalise(line)) == expected


def test_a_ding_without_names_is_explained() -> None:
    with pytest.raises(ArgumentError) as raised:
        parse_ding("the server is down")
    assert "@handle" in raised.value.message


LETTERS = "@bo 每隔十两三半分钟小时最多次 every max 10mh,，"


@given(st.text(alphabet=st.sampled_from(LETTERS), max_size=40))
@settings(max_examples=500, deadline=None)
def test_any_line_is_read_or_explained(line: str) -> None:
    try:
        terms = parse_ding(normalise(line))
    except ArgumentError:
        return
    assert terms.handles
    assert terms.interval >= timedelta(0)  # the service refuses what is out of bounds
    assert terms.max_repings >= 0
