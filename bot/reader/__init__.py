"""The kernel's one argument reader: a command declares its fields, and what people type the way
they talk becomes values.

- ``key=value`` (also ``key:value``, ``key：value``) with keys in any language the field declares
  (``type``, ``类型``, ``假期类型``); a text value runs until the next key, so
  ``title=Purchasing Manager phone=138…`` keeps both words.
- Words without a key are placed by what they are: a choice by its words in either language
  (``年假`` / ``annual``), days and ranges through the time readers (``明天到后天``,
  ``Dec 21-23``), amounts and counts (``12万``, ``¥3,000``, ``5台``), ``@members``, records by
  name or number, and the rest as the command's free text, in the order its fields are declared.
- Nothing is guessed: a value that does not read as its field's kind is reported (the command
  asks again), a key no field has is reported, and words no field can take are reported.

The reader returns canonical text per field (ISO dates, ``first..last`` ranges, plain decimals,
a choice's value); the command validates it as before, and asks for what is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.parsing import normalise, split_words
from bot.reader.amounts import APPROX, MEASURES, is_english_unit, read_amount, read_count
from bot.reader.days import read_day, read_days
from bot.reader.months import read_months
from bot.timewords import has_cjk

MAX_PHRASE_WORDS = 6  # the longest run of words tried as one day, range or name


class Kind(StrEnum):
    """What a field holds, which says which typed words it can take."""

    TEXT = "text"
    NUMBER = "number"  # a count or a plain number; ``5台`` is a count
    MONEY = "money"
    DATE = "date"
    DAYS = "days"  # a range of days, or one day
    CHOICE = "choice"
    MEMBER = "member"
    RECORD = "record"  # a customer, contact, deal … by number or by name
    MONTHS = "months"  # a month or a range of months: ``2026-11``, ``上月``, ``2026年1月到3月``


@dataclass(frozen=True, slots=True)
class Choice:
    """One allowed value and every word that picks it, in any language."""

    value: str
    words: tuple[str, ...] = ()

    def picked_by(self, word: str) -> bool:
        """Whether ``word`` names this choice (case and width do not matter)."""
        wanted = normalise(word).lower()
        return wanted == self.value.lower() or wanted in (w.lower() for w in self.words)


@dataclass(frozen=True, slots=True)
class Field:
    """One thing a command takes: its key, kind, names in every language, and choices."""

    key: str
    kind: Kind
    names: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    positional: bool = True  # may be typed without its key

    def called(self) -> tuple[str, ...]:
        """Every name that introduces this field's value, lower-cased."""
        return tuple(dict.fromkeys(n.lower() for n in (self.key, *self.names) if n))

    def choice(self, word: str) -> Choice | None:
        """The choice ``word`` picks, if any."""
        return next((c for c in self.choices if c.picked_by(word)), None)


Known = Callable[[Field, str], bool]
Taken = tuple[int, str] | None  # how many words a field took from the front, and their value


@dataclass(frozen=True, slots=True)
class Where:
    """When and where the words were typed, and how to tell a record's or a member's name."""

    tz: str
    now: datetime
    known: Known = field(default=lambda _field, _text: False)


@dataclass
class Reading:
    """What a line says: canonical text per field key, and everything that could not be used."""

    values: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)  # key -> text not of its kind
    unknown_keys: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Everything typed found its place."""
        return not (self.unreadable or self.unknown_keys or self.unplaced)


def read(fields: Sequence[Field], text: str, where: Where) -> Reading:
    """Read the argument text of a command against its fields."""
    reading = Reading()
    by_name = {name: f for f in fields for name in f.called()}
    loose, keyed = _split_keyed(_mark_keys(normalise(text), by_name), by_name, reading)
    for item, words in keyed:
        _read_keyed(item, words, where, reading, loose)
    _place(fields, _segment(loose), where, reading)
    return reading


def _mark_keys(text: str, by_name: dict[str, Field]) -> str:
    """Rewrite every ``name =``/``name:`` of a known field as ``key=`` (names may have spaces)."""
    names = sorted(by_name, key=len, reverse=True)
    if not names:
        return text
    pattern = "|".join(re.escape(n) for n in names)
    found = re.compile(rf"(?i)(?:(?<=\s)|^)({pattern})\s*[=:]\s*")
    return found.sub(lambda m: f" {by_name[m[1].lower()].key}=", text).strip()


def _split_keyed(
    text: str, by_name: dict[str, Field], reading: Reading
) -> tuple[list[str], list[tuple[Field, list[str]]]]:
    """Words before any key, and each key with the words up to the next key."""
    loose: list[str] = []
    keyed: list[tuple[Field, list[str]]] = []
    for word in split_words(text):
        key, has_value, value = word.partition("=")
        if not has_value or not key:
            (keyed[-1][1] if keyed else loose).append(word)
            continue
        item = by_name.get(key.lower())
        if item is None:
            reading.unknown_keys.append(key)
            continue
        keyed.append((item, [value] if value else []))
    return loose, keyed


def _read_keyed(
    item: Field, words: list[str], where: Where, reading: Reading, loose: list[str]
) -> None:
    """A keyed value: text runs to the next key; other kinds take what reads as them and
    leave the words after for the positional reading."""
    if not words:
        return  # "key=" with nothing after it gives nothing
    if item.kind is Kind.TEXT:
        reading.values[item.key] = " ".join(words)
        return
    taken = _take(item, words, where, first=True)
    if taken is None:  # the first word is the value that does not read; the rest is placed
        shaped = _day_shaped(words) if item.kind in (Kind.DATE, Kind.DAYS) else 0
        reading.unreadable[item.key] = " ".join(words[: shaped or 1])
        loose.extend(words[shaped or 1 :])
        return
    used, value = taken
    reading.values[item.key] = value
    loose.extend(words[used:])


class Piece(str):
    """A piece of a typed word cut off the word before it (no space between them)."""

    glued = True


def _joined(words: list[str]) -> str:
    """Words back as typed: pieces of one word without a space, words with one."""
    return "".join(w if i == 0 or isinstance(w, Piece) else f" {w}" for i, w in enumerate(words))


def _segment(words: list[str]) -> list[str]:
    """Cut Chinese runs around numbers, amounts and dates (``采购5台笔记本约4万元给新员工`` ->
    ``采购``, ``5台``, ``笔记本``, ``约4万元``, ``给新员工``), each kept whole (``2月30日``)."""
    pieces: list[str] = []
    for word in words:
        if not has_cjk(word):
            pieces.append(word)
            continue
        parts, start = [], 0
        for found in _NUMERIC.finditer(word):
            if _is_numeric_piece(found[0]):
                parts += [word[start : found.start()], found[0]]
                start = found.end()
        parts = [p for p in [*parts, word[start:]] if p.strip()]
        pieces += [p if i == 0 else Piece(p) for i, p in enumerate(parts)]
    return pieces


_NUMERALS = "0-9零〇一二两三四五六七八九十百千万亿"
_NUMERIC = re.compile(  # not glued to Latin letters or digits before it ("A4纸" stays whole)
    rf"(?<![A-Za-z0-9])(?:大约|大概|约)?[¥￥]?[0-9零〇一二两三四五六七八九][{_NUMERALS}.,]*"
    rf"(?:[年月][{_NUMERALS}]+)*[日号]?(?:块钱|元|块|[{MEASURES}])?"
)


def _is_numeric_piece(text: str) -> bool:
    """A number-like piece worth cutting out: it has a digit, or ends in a unit or currency."""
    return any(ch.isdigit() for ch in text) or text[-1] in MEASURES + "元块钱"


def _place(fields: Sequence[Field], words: list[str], where: Where, reading: Reading) -> None:
    """Place unkeyed words by what they are; runs of free words go to the text fields."""
    open_fields = [f for f in fields if f.positional and f.key not in reading.values]
    typed = [f for f in open_fields if f.kind is not Kind.TEXT]
    texts = [f for f in open_fields if f.kind is Kind.TEXT]
    runs: list[list[str]] = [[]]
    i = 0
    while i < len(words):
        hit = _first_taker(typed, words[i:], where, first=i == 0)
        shaped = _day_shaped(words[i:]) if hit is None else 0
        day_field = next((f for f in typed if f.kind in (Kind.DATE, Kind.DAYS)), None)
        if shaped and day_field is not None:  # "2月30日": a day that does not exist is not text
            reading.unreadable[day_field.key] = " ".join(words[i : i + shaped])
            typed.remove(day_field)
            i += shaped
            continue
        if hit is None and has_cjk(words[i]):
            words[i : i + 1] = _split_cjk(typed, words[i], where)
            hit = _first_taker(typed, words[i:], where, first=i == 0)
        if hit is None:
            runs[-1].append(words[i])
            i += 1
            continue
        item, used, value = hit
        reading.values[item.key] = value
        typed.remove(item)
        runs.append([])
        i += used
    for run in (r for r in runs if r):
        if texts:
            reading.values[texts.pop(0).key] = _joined(run)
        else:
            reading.unplaced += run
    choice = next((f for f in typed if f.kind is Kind.CHOICE), None)
    if choice is not None and reading.unplaced:  # "/deal move 7 maybe": not a stage, say so
        reading.unreadable[choice.key] = reading.unplaced.pop(0)


def _split_cjk(fields: list[Field], word: str, where: Where) -> list[str]:
    """Chinese runs words together (``年假明天到后天回老家``, ``5台笔记本约4万``): the longest
    front of ``word`` that an open field takes becomes a word of its own, else the longest back.
    A cut never falls inside a number, a date or an amount (``2月30日`` stays whole)."""
    cuts = [c for c in range(1, len(word)) if _may_cut(word, c)]
    for cut in reversed(cuts):
        if _takes_a_piece(fields, word[:cut], where):
            return [_like(word, word[:cut]), Piece(word[cut:])]
    for cut in cuts:
        if _takes_a_piece(fields, word[cut:], where):
            return [_like(word, word[:cut]), Piece(word[cut:])]
    return [word]


def _like(word: str, front: str) -> str:
    """The front of a word keeps the word's gluing."""
    return Piece(front) if isinstance(word, Piece) else front


def _takes_a_piece(fields: list[Field], piece: str, where: Where) -> bool:
    """Whether an open field takes ``piece`` cut from a longer word; Chinese numerals alone are
    never cut off a word (``二期`` is a name, not 2)."""
    if all(ch in _CHINESE_NUMERALS for ch in piece):
        return False
    return _first_taker(fields, [piece], where, first=False) is not None


_CHINESE_NUMERALS = set("零〇一二两三四五六七八九十百千万亿")


_NUMBER_CHARS = set("0123456789.,零〇一二两三四五六七八九十百千万亿")
_NUMBER_ENDS = set(
    "年月日号点时分秒万千百亿元块个台件套箱盒张本支把瓶包袋只辆部份条双桶吨斤片卷册组批位"
)


def _may_cut(word: str, cut: int) -> bool:
    """Whether ``word`` may be split before position ``cut``."""
    left, right = word[cut - 1], word[cut]
    if left in "年月" and right in _NUMBER_CHARS:
        return False
    if right in _NUMBER_CHARS:
        return left not in _NUMBER_CHARS and left not in "约¥￥"
    return not (left in _NUMBER_CHARS and right in _NUMBER_ENDS)


_DAY_SHAPE = re.compile(
    r"^\d{1,4}[-/]\d{1,2}(?:[-/]\d{1,4})?$|^(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]?$"
    r"|^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*\d{1,2}(?:st|nd|rd|th)?$",
    re.IGNORECASE,
)


def _day_shaped(words: list[str]) -> int:
    """How many words at the front are shaped like a date (``2026-02-30``, ``2月30日``,
    ``Feb 30``), 0 if they are not."""
    for n in (2, 1):
        if len(words) >= n and _DAY_SHAPE.match(" ".join(words[:n])):
            return n
    return 0


def _first_taker(
    fields: list[Field], words: list[str], where: Where, *, first: bool
) -> tuple[Field, int, str] | None:
    """The first open field that can take the words at the front, with how many and the value.

    A count (``5台``) goes to a number field and a marked amount (``¥300``, ``12万``) to a money
    field before a bare number is given to the first numeric field in declared order.
    """
    for item in sorted(fields, key=lambda f: _preference(f, words[0])):
        taken = _take(item, words, where, first=first)
        if taken is not None:
            return item, *taken
    return None


def _preference(item: Field, word: str) -> int:
    amount = read_amount(word)
    if item.kind is Kind.MONEY and amount is not None and amount.money:
        return 0
    if item.kind is Kind.NUMBER and read_count(word) is not None:
        return 0
    return 1


def _take(item: Field, words: list[str], where: Where, *, first: bool) -> Taken:
    """How many of ``words`` (from the front) ``item`` takes, and their canonical value."""
    reader = _TAKERS[item.kind]
    return reader(item, words, where, first)


def _take_choice(item: Field, words: list[str], _where: Where, _first: bool) -> Taken:
    for n in range(min(len(words), 3), 0, -1):
        choice = item.choice(" ".join(words[:n]))
        if choice is not None:
            return n, choice.value
    return None


def _take_number(item: Field, words: list[str], where: Where, first: bool) -> Taken:
    if words[0].lower() in APPROX and len(words) > 1:  # "about 40k"
        taken = _take_number(item, words[1:], where, first)
        return (taken[0] + 1, taken[1]) if taken else None
    counted = read_count(words[0])
    if counted is not None and not counted[1]:
        return 1, str(counted[0])
    amount = read_amount(words[0])
    if amount is None or (amount.money and item.kind is Kind.NUMBER):
        return None
    if item.kind is Kind.NUMBER and len(words) > 1 and is_english_unit(words[1]):
        return 2, str(amount.value)  # "3 units"
    return 1, str(amount.value)


def _take_days(item: Field, words: list[str], where: Where, _first: bool) -> Taken:
    for n in range(min(len(words), MAX_PHRASE_WORDS), 0, -1):
        phrase = " ".join(words[:n])
        if item.kind is Kind.DATE:
            day = read_day(phrase, where.tz, where.now)
            if day is not None:
                return n, day.isoformat()
            continue
        found = read_days(phrase, where.tz, where.now)
        if found is not None:
            return n, f"{found[0].isoformat()}..{found[1].isoformat()}"
    return None


def _take_months(_item: Field, words: list[str], where: Where, _first: bool) -> Taken:
    """A month or a range of months, canonical ``2026-11`` or ``2026-01..2026-03``."""
    for n in range(min(len(words), MAX_PHRASE_WORDS), 0, -1):
        found = read_months(_joined(words[:n]), where.tz, where.now)
        if found is not None:
            (y1, m1), (y2, m2) = found
            first, last = f"{y1}-{m1:02d}", f"{y2}-{m2:02d}"
            return n, first if first == last else f"{first}..{last}"
    return None


def _take_member(item: Field, words: list[str], where: Where, _first: bool) -> Taken:
    if words[0].startswith("@") and len(words[0]) > 1:
        return 1, words[0]
    return _take_named(item, words, where)


def _take_record(item: Field, words: list[str], where: Where, first: bool) -> Taken:
    """A record by number (``12``, ``#12``) or by the longest run of words that names one; the
    first word of a line is taken anyway, so that an unknown name is answered, not lost."""
    number = words[0].lstrip("#")
    if number.isascii() and number.isdigit():
        return 1, number
    named = _take_named(item, words, where)
    if named is not None:
        return named
    return (1, words[0]) if first else None


def _take_named(item: Field, words: list[str], where: Where) -> Taken:
    for n in range(min(len(words), MAX_PHRASE_WORDS), 0, -1):
        phrase = " ".join(words[:n])
        if where.known(item, phrase):
            return n, phrase
    return None


def _take_nothing(_item: Field, _words: list[str], _where: Where, _first: bool) -> None:
    return None


_TAKERS: dict[Kind, Callable[[Field, list[str], Where, bool], Taken]] = {
    Kind.TEXT: _take_nothing,
    Kind.NUMBER: _take_number,
    Kind.MONEY: _take_number,
    Kind.DATE: _take_days,
    Kind.DAYS: _take_days,
    Kind.CHOICE: _take_choice,
    Kind.MEMBER: _take_member,
    Kind.RECORD: _take_record,
    Kind.MONTHS: _take_months,
}
