"""How a subscription's condition is read: Chinese field names and full-width signs outside
quotes only, a single = as equality, and refusals that name the topic's fields."""

from __future__ import annotations

import pytest

from domain.approvals.conditions import evaluate
from domain.flows.subscriptions import TOPICS, ConditionRefused, normalised, topic_named

DEAL = TOPICS["deal.won"]


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("amount > 100000", "amount > 100000"),
        ("金额＞＝100000", "amount>=100000"),
        ('客户 = "上海商品公司" and 金额 > 5', 'customer == "上海商品公司" and amount > 5'),
        ("customer = 'a=b' or owner != 'li'", "customer == 'a=b' or owner != 'li'"),
        ("客户 == “Acme”", 'customer == "Acme"'),
        ("", ""),
    ],
)
def test_conditions_as_written_are_read_as_expressions(written: str, read: str) -> None:
    assert normalised(written, DEAL) == read


def test_a_quoted_value_is_compared_as_written() -> None:
    condition = normalised('客户 = "上海商品公司"', DEAL)
    assert evaluate(condition, {"customer": "上海商品公司"}).holds
    assert not evaluate(condition, {"customer": "上海sku公司"}).holds


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("amount > > 5", "amount > > 5 is not a condition I can read."),
        ("amount > 5 and", "amount > 5 and is not a condition I can read."),
        ("price > 5 or roles == 'x'", "No field is called price, roles."),
    ],
)
def test_unreadable_conditions_are_refused_saying_why(written: str, said: str) -> None:
    with pytest.raises(ConditionRefused) as refused:
        normalised(written, DEAL)
    assert str(refused.value) == said


def test_topics_by_their_chinese_words() -> None:
    assert topic_named("赢单") is DEAL and topic_named("Deal.Won") is DEAL
    assert topic_named("库存预警").name == "stock.below_safety"
