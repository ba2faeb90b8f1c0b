"""Numbers and amounts as people type them: ``320``, ``¥3,000``, ``80k``, ``1.2m``, ``12万``,
``3千5``, ``一万二``, ``约4万``, ``320块``; and counts of things: ``5台``, ``两个``, ``3 units``.

Chinese numerals, English suffixes and currency marks are read here (cn2an reads the same
forms but takes about a second to import, on every start of every process). What is not a
number is None, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

APPROX = ("大约", "大概", "差不多", "约", "about", "around", "approx.", "approx", "roughly", "~")
CURRENCY = ("人民币", "rmb", "cny", "¥", "￥", "$", "usd")
YUAN = ("块钱", "元", "块", "圆", "yuan")
MEASURES = "个台件套箱盒张本支把瓶包袋只辆部份条双桶吨斤米片卷册组批次位"
_SCALE = {"k": Decimal(1000), "w": Decimal(10_000), "m": Decimal(1_000_000)}
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_SUFFIXED = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<s>[kKwWmM])$")
_CHINESE = re.compile(r"^[0-9.零〇一二两三四五六七八九十百千万亿点]+$")
_COUNT = re.compile(
    rf"^(?P<n>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)\s*(?P<u>[{MEASURES}])(?P<rest>.*)$"
)
PIECES = "个件只"  # plain counters: a piece of whatever it is
# English words that follow a count, each with the Chinese measure words it stands for ("": the
# thing's own unit, whatever that is)
ENGLISH_UNITS: dict[str, str] = {
    "unit": "", "units": "", "x": "",
    "pc": PIECES, "pcs": PIECES, "piece": PIECES, "pieces": PIECES,
    "box": "箱盒", "boxes": "箱盒",
    "carton": "箱", "cartons": "箱", "case": "箱", "cases": "箱",
    "set": "套", "sets": "套",
    "pack": "包", "packs": "包",
    "bag": "袋", "bags": "袋",
    "bottle": "瓶", "bottles": "瓶",
    "roll": "卷", "rolls": "卷",
    "pair": "双", "pairs": "双",
    "drum": "桶", "drums": "桶", "barrel": "桶", "barrels": "桶",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Amount:
    """A number read from a word; ``money`` when the word said so (a currency, 元, 万, 约…)."""

    value: Decimal
    money: bool


def read_amount(word: str) -> Amount | None:
    """The number in ``word`` (``¥3,000`` -> 3000, money), or None."""
    text = word.strip().lower()
    money = False
    for marks in (APPROX, CURRENCY):
        stripped = _strip_prefix(text, marks)
        money, text = money or stripped != text, stripped
    stripped = _strip_suffix(text, YUAN)
    money, text = money or stripped != text, stripped
    sign = -1 if text.startswith("-") else 1  # kept, for the command to refuse with its reason
    value = _number(text.removeprefix("-")) if text else None
    if value is None or not value.is_finite():
        return None
    value *= sign
    scaled = (
        bool(_SUFFIXED.match(text))
        or any(ch in text for ch in "万亿")
        or (any(ch.isdigit() for ch in text) and any(ch in text for ch in "千百"))
    )
    return Amount(_plain(value), money or scaled)


def _plain(value: Decimal) -> Decimal:
    """``1200000.0`` as ``1200000``: whole numbers without a fraction, others as they are."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def read_count(word: str) -> tuple[Decimal, str] | None:
    """A count of things at the start of ``word``: ``5台笔记本`` -> (5, "笔记本"), else None."""
    found = _COUNT.match(word.strip())
    if not found:
        return None
    value = _number(found["n"])
    return (_plain(value), found["rest"].strip()) if value is not None else None


def is_english_unit(word: str) -> bool:
    """``units``, ``pcs``, ``boxes``, ``cartons``: a word that follows a count in English."""
    return word.lower().strip(".,") in ENGLISH_UNITS


def _number(text: str) -> Decimal | None:
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if _PLAIN.match(text):
        return Decimal(text)
    suffixed = _SUFFIXED.match(text)
    if suffixed:
        return Decimal(suffixed["n"]) * _SCALE[suffixed["s"].lower()]
    if _CHINESE.match(text) and not text.replace(".", "").isdigit():
        return _chinese(text)
    return None


def _chinese(text: str) -> Decimal | None:
    """Chinese numerals, alone or mixed with digits: ``三百二十``, ``一万二`` (12,000: a last
    digit after a unit counts in the next unit down), ``3千5``, ``1.2万``, ``4万5``."""
    total, section, digit = Decimal(0), Decimal(0), None
    last_unit = Decimal(1)
    i = 0
    while i < len(text):
        found = _LEADING_NUMBER.match(text, i)
        if found:
            if digit is not None:
                return None  # two numbers in a row ("5 5")
            digit, i = Decimal(found[0]), found.end()
            continue
        char = text[i]
        i += 1
        if char in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None
            digit = Decimal(_CN_DIGITS[char])
        elif char in _SMALL_UNITS:
            unit = _SMALL_UNITS[char]
            section += (digit if digit is not None else Decimal(1)) * unit
            digit, last_unit = None, unit
        elif char in _BIG_UNITS:
            if digit is None and not section:
                return None  # "万一" is a word, not a number
            unit = _BIG_UNITS[char]
            total += (section + (digit or 0)) * unit
            section, digit, last_unit = Decimal(0), None, unit
        else:
            return None
    if digit is not None:
        section += digit * (last_unit / 10 if last_unit >= 10 and not _ends_in_zero(text) else 1)
    return total + section


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": Decimal(10), "百": Decimal(100), "千": Decimal(1000)}
_BIG_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_LEADING_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _ends_in_zero(text: str) -> bool:
    """``一千零五``: a 零 before the last digit keeps it in the units."""
    return len(text) > 1 and text[-2] in "零〇"


def _strip_prefix(text: str, marks: tuple[str, ...]) -> str:
    for mark in marks:
        if text.startswith(mark):
            return text[len(mark) :].strip()
    return text


def _strip_suffix(text: str, marks: tuple[str, ...]) -> str:
    for mark in marks:
        if text.endswith(mark):
            return text[: -len(mark)].strip()
    return text
