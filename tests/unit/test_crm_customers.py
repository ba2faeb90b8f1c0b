"""Folding text for customer search, checking field values, and reading typed ids and lists."""

from __future__ import annotations

import pytest

from bot.parsing import record_number
from commands.crm.customer_common import split_list
from domain.crm.customers import clean
from domain.crm.search import fold, fold_phone
from domain.shared.errors import DomainError


def test_folding_ignores_width_case_and_spacing() -> None:
    assert fold("ＡＣＭＥ  Ｌｔｄ") == "acme ltd"
    assert fold("Straße") == "strasse"
    assert fold("深圳华为技术有限公司") == "深圳华为技术有限公司"
    assert "华为" in fold("深圳华为技术有限公司")


def test_phones_fold_without_spaces_dashes_or_brackets() -> None:
    assert fold_phone("+86 (21) 5555-0000") == "+862155550000"
    assert fold_phone("１３８ ００００ １１１１") == "13800001111"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("kind", "robot"),
        ("phone", "call me"),
        ("email", "nobody"),
        ("name", "   "),
        ("tier", "x" * 33),
    ],
)
def test_bad_values_are_refused(key: str, value: str) -> None:
    with pytest.raises(DomainError):
        clean(key, value)


def test_good_values_are_tidied() -> None:
    assert clean("name", "  Acme   Ltd ") == "Acme Ltd"
    assert clean("phone", ["021-5555-0000", " ", "+86 138 0000 1111"]) == [
        "021-5555-0000",
        "+86 138 0000 1111",
    ]
    assert clean("email", "") == ""


def test_typed_ids_and_lists() -> None:
    assert [record_number(t) for t in ("12", "#12", " 7 ", "0")] == [12, 12, 7, 0]
    assert [record_number(t) for t in ("-1", "#abc", "1e3", "", "12a")] == [None] * 5
    assert split_list("vip, retail，重点、 ,x") == ["vip", "retail", "重点", "x"]
