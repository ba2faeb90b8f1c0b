"""Form fields of a template: their kinds, limits, and how typed text becomes a stored value.

Stored values are JSON: text, numbers and money as decimal strings, dates as ISO dates,
date-times as ISO UTC, a date range as ``{"from": …, "to": …}``, members as ids, lines as a
list of objects keyed by column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.approvals.labels import Label, _, text_of
from domain.shared.errors import DomainError
from domain.shared.money import parse_amount, quantize
from domain.shared.recurrence import local_to_utc

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
COMPUTE = re.compile(
    r"^\s*(working_days|sum)\(\s*([a-z][a-z0-9_]*)(?:\.([a-z][a-z0-9_]*))?\s*\)\s*$"
)
RANGE_SEPARATORS = re.compile(r"\s*(?:\.\.|~|～|至|到|—|--)\s*")
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "on", "是", "对", "要"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "off", "否", "不", "不要"})
MAX_TEXT = 2000
MAX_LINES = 50


class FieldType(StrEnum):
    """What a field holds."""

    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    DATERANGE = "daterange"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    MEMBER = "member"
    BOOLEAN = "boolean"
    ATTACHMENT = "attachment"
    LINES = "lines"


NUMERIC = (FieldType.NUMBER, FieldType.MONEY)


class OptionSpec(BaseModel):
    """One choice: the stored value, its label, and other words that pick it."""

    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=64)
    label: Label | None = None
    aliases: list[str] = []

    def words(self) -> set[str]:
        """Every word that picks this option, lower-cased."""
        found = {self.value, *self.aliases, *(self.label or {}).values()}
        return {w.lower() for w in found}


def _option(value: Any) -> Any:
    return {"value": str(value)} if isinstance(value, str | int) else value


class FieldSpec(BaseModel):
    """One form field."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    key: str = Field(pattern=KEY_PATTERN)
    label: Label | None = None
    type: FieldType
    required: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    pattern: str | None = None
    options: list[OptionSpec] = []
    columns: list[FieldSpec] = []
    compute: str | None = None
    aliases: list[str] = []
    from_key: str | None = Field(default=None, pattern=KEY_PATTERN)
    to_key: str | None = Field(default=None, pattern=KEY_PATTERN)
    ask: Label | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        return [_option(v) for v in value] if isinstance(value, list) else value

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return value

    @field_validator("compute")
    @classmethod
    def _known_compute(cls, value: str | None) -> str | None:
        if value is not None and not COMPUTE.match(value):
            raise ValueError("compute is working_days(FIELD) or sum(FIELD.COLUMN)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        choices = (FieldType.CHOICE, FieldType.MULTICHOICE)
        if self.type in choices and not self.options:
            raise ValueError(f"a {self.type} field needs options")
        if self.type not in choices and self.options:
            raise ValueError("only choice and multichoice fields have options")
        if (self.type is FieldType.LINES) != bool(self.columns):
            raise ValueError("a lines field, and only a lines field, has columns")
        if any(c.type is FieldType.LINES or c.compute for c in self.columns):
            raise ValueError("a column cannot hold lines or be computed")
        if self.pattern and self.type is not FieldType.TEXT:
            raise ValueError("only text fields have a pattern")
        if (self.from_key or self.to_key) and self.type is not FieldType.DATERANGE:
            raise ValueError("only date range fields have from_key and to_key")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        if self.compute and self.required:
            raise ValueError("a computed field is filled in, not required")
        return self

    def title(self, locale: str) -> str:
        """The field's label in the reader's language (its key if it has none)."""
        return text_of(self.label, locale, self.key)

    def range_keys(self) -> tuple[str, str]:
        """The keys that give the two ends of a date range separately."""
        return self.from_key or "from", self.to_key or "to"

    def option(self, word: str) -> OptionSpec | None:
        """The option a typed word picks."""
        lowered = word.strip().lower()
        return next((o for o in self.options if lowered in o.words()), None)

    def computation(self) -> tuple[str, str, str | None] | None:
        """``(function, field, column)`` of a computed field."""
        found = COMPUTE.match(self.compute) if self.compute else None
        return (found[1], found[2], found[3]) if found else None


class FieldProblem(DomainError):
    """A typed value does not fit its field; the message names the field."""


@dataclass(frozen=True, slots=True)
class Inputs:
    """What reading typed values needs from outside: the reader's zone, today, currency digits,
    and a way to find a member by handle (their id, or None)."""

    timezone: str
    today: date
    money_digits: int
    find_member: Callable[[str], int | None]


def parse_value(spec: FieldSpec, text: str, inputs: Inputs) -> Any:
    """The stored value of ``text`` typed for ``spec``; ``FieldProblem`` if it does not fit."""
    text = text.strip()
    if not text:
        raise FieldProblem(_("{field} is empty."), field=spec.key)
    parser = _PARSERS[spec.type]
    value = parser(spec, text, inputs)
    check_limits(spec, value)
    return value


def _text(spec: FieldSpec, text: str, _inputs: Inputs) -> str:
    if len(text) > MAX_TEXT:
        raise FieldProblem(
            _("{field} is too long (at most {max} characters)."), field=spec.key, max=MAX_TEXT
        )
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        raise FieldProblem(_("{field} does not have the expected form."), field=spec.key)
    return text


def _number(spec: FieldSpec, text: str, _inputs: Inputs) -> str:
    try:
        value = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation as exc:
        raise FieldProblem(_("{field} must be a number."), field=spec.key) from exc
    if not value.is_finite():
        raise FieldProblem(_("{field} must be a number."), field=spec.key)
    return str(value)


def _money(spec: FieldSpec, text: str, inputs: Inputs) -> str:
    try:
        return str(parse_amount(text, inputs.money_digits))
    except ValueError as exc:
        raise FieldProblem(
            _("{field} must be an amount, such as 1200 or 88.50."), field=spec.key
        ) from exc


def read_date(text: str, today: date) -> date | None:
    """``2026-12-01``, ``2026/12/1``, ``12-01`` (this year), ``2026年12月1日``, ``12月1日``."""
    cleaned = text.strip().replace("/", "-").replace("年", "-").replace("月", "-").rstrip("日号")
    parts = cleaned.split("-")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        return None
    try:
        if len(numbers) == 3:
            return date(numbers[0], numbers[1], numbers[2])
        if len(numbers) == 2:
            return date(today.year, numbers[0], numbers[1])
    except ValueError:
        return None
    return None


def _date(spec: FieldSpec, text: str, inputs: Inputs) -> str:
    found = read_date(text, inputs.today)
    if found is None:
        raise FieldProblem(_("{field} must be a date, such as 2026-12-01."), field=spec.key)
    return found.isoformat()


def _datetime(spec: FieldSpec, text: str, inputs: Inputs) -> str:
    day_text, _sep, clock = text.replace("T", " ").partition(" ")
    day = read_date(day_text, inputs.today)
    try:
        at = time.fromisoformat(clock.strip()) if clock.strip() else None
    except ValueError:
        at = None
    if day is None or at is None:
        raise FieldProblem(
            _("{field} must be a date and time, such as 2026-12-01 09:30."), field=spec.key
        )
    return local_to_utc(datetime.combine(day, at), inputs.timezone).isoformat()


def _daterange(spec: FieldSpec, text: str, inputs: Inputs) -> dict[str, str]:
    parts = RANGE_SEPARATORS.split(text.strip(), maxsplit=1)
    first = read_date(parts[0], inputs.today)
    last = read_date(parts[1], inputs.today) if len(parts) == 2 else first
    if first is None or last is None:
        raise FieldProblem(
            _("{field} must be dates such as 2026-12-01..2026-12-03."), field=spec.key
        )
    if last < first:
        raise FieldProblem(_("{field} ends before it starts."), field=spec.key)
    return {"from": first.isoformat(), "to": last.isoformat()}


def _choice(spec: FieldSpec, text: str, _inputs: Inputs) -> str:
    option = spec.option(text)
    if option is None:
        raise FieldProblem(
            _("{field} must be one of {expected}."),
            field=spec.key,
            expected=" | ".join(o.value for o in spec.options),
        )
    return option.value


def _multichoice(spec: FieldSpec, text: str, inputs: Inputs) -> list[str]:
    words = [w for w in re.split(r"[,，、\s]+", text) if w]
    return sorted({_choice(spec, w, inputs) for w in words})


def _member(spec: FieldSpec, text: str, inputs: Inputs) -> int:
    member_id = inputs.find_member(text.strip().lstrip("@"))
    if member_id is None:
        raise FieldProblem(_("{field}: I don't know {who}."), field=spec.key, who=text)
    return member_id


def _boolean(spec: FieldSpec, text: str, _inputs: Inputs) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldProblem(_("{field} must be yes or no."), field=spec.key)


def _attachment(spec: FieldSpec, text: str, _inputs: Inputs) -> str:
    if not re.match(r"^https?://\S+$", text):
        raise FieldProblem(_("{field} must be a link (https://…) to the file."), field=spec.key)
    return text


def _lines(spec: FieldSpec, text: str, inputs: Inputs) -> list[dict[str, Any]]:
    """One line, its columns in order separated by ``:`` (the last one takes the rest)."""
    parts = text.split(":", len(spec.columns) - 1)
    line: dict[str, Any] = {}
    for column, part in zip(spec.columns, parts, strict=False):
        if part.strip():
            line[column.key] = parse_value(column, part, inputs)
    missing = [c.key for c in spec.columns if c.required and c.key not in line]
    if missing:
        raise FieldProblem(
            _("{field}: each line needs {missing}."), field=spec.key, missing=", ".join(missing)
        )
    return [line]


_PARSERS: dict[FieldType, Callable[[FieldSpec, str, Inputs], Any]] = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.MONEY: _money,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.DATERANGE: _daterange,
    FieldType.CHOICE: _choice,
    FieldType.MULTICHOICE: _multichoice,
    FieldType.MEMBER: _member,
    FieldType.BOOLEAN: _boolean,
    FieldType.ATTACHMENT: _attachment,
    FieldType.LINES: _lines,
}


def check_limits(spec: FieldSpec, value: Any) -> None:
    """``min``/``max``: of the value (numbers, money), the length (text) or the count (lists)."""
    if spec.min is None and spec.max is None:
        return
    if spec.type in NUMERIC:
        measure, unit = Decimal(value), ""
    elif spec.type is FieldType.TEXT:
        measure, unit = Decimal(len(value)), "length"
    elif isinstance(value, list):
        measure, unit = Decimal(len(value)), "count"
    else:
        return
    if spec.min is not None and measure < spec.min:
        raise FieldProblem(_LOW[unit], field=spec.key, limit=_plain(spec.min))
    if spec.max is not None and measure > spec.max:
        raise FieldProblem(_HIGH[unit], field=spec.key, limit=_plain(spec.max))


_LOW = {
    "": _("{field} must be at least {limit}."),
    "length": _("{field} must be at least {limit} characters long."),
    "count": _("{field} needs at least {limit} entries."),
}
_HIGH = {
    "": _("{field} must be at most {limit}."),
    "length": _("{field} must be at most {limit} characters long."),
    "count": _("{field} takes at most {limit} entries."),
}


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f") if number == number.to_integral() else str(number)


def to_python(spec: FieldSpec, value: Any) -> Any:
    """A stored value as conditions see it (decimals, dates, text, lists)."""
    if value is None:
        return None
    if spec.type in NUMERIC:
        return Decimal(value)
    if spec.type is FieldType.DATE:
        return date.fromisoformat(value)
    if spec.type is FieldType.DATETIME:
        return datetime.fromisoformat(value)
    if spec.type is FieldType.DATERANGE:
        return (date.fromisoformat(value["from"]), date.fromisoformat(value["to"]))
    if spec.type is FieldType.LINES:
        return [{c.key: to_python(c, line.get(c.key)) for c in spec.columns} for line in value]
    return value


def quantized_sum(values: list[Decimal], digits: int) -> Decimal:
    """An exact total of amounts at the currency's precision."""
    return quantize(sum(values, Decimal(0)), digits)
