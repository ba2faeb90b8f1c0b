"""Chat command parsing: normalise full-width input, split it, and bind it to a pydantic model.

Arguments may be positional, ``key=value`` or ``--key value`` (``--flag`` for booleans). A field
marked ``rest`` takes the remaining words, so ``/note acme called about renewal`` works unquoted;
a field marked ``named`` is only given by its key. A choice field's ``words`` are the other words
that pick each value, in either language (see ``choice_words``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

# Only what matters for splitting and keys is normalised; free text keeps its own punctuation.
# fmt: off
_FULLWIDTH = {
    "\u3000": " ",
    "\u00a0": " ",
    "“": '"',
    "”": '"',
    "„": '"',
    "＂": '"',
    "「": '"',
    "」": '"',
    "‘": "'",
    "’": "'",
    "＇": "'",
    "＝": "=",
    "／": "/",
    "－": "-",
    "＠": "@",
    "＃": "#",
    "：": ":",
    "—": "--",
    "–": "-",
}
_FULLWIDTH.update({chr(c): chr(c - 0xFEE0) for c in range(ord("０"), ord("９") + 1)})
_FULLWIDTH.update({chr(c): chr(c - 0xFEE0) for c in range(ord("Ａ"), ord("Ｚ") + 1)})
_FULLWIDTH.update({chr(c): chr(c - 0xFEE0) for c in range(ord("ａ"), ord("ｚ") + 1)})
_TABLE = str.maketrans(_FULLWIDTH)
MAX_INPUT = 4000
_RECORD_NUMBER = re.compile(r"#?([0-9]{1,18})")  # at most 18 digits: a 64-bit id
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
M = TypeVar("M", bound=BaseModel)


class ArgumentError(Exception):
    """The arguments do not fit the command. ``message`` is an English msgid with ``params``."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params


def normalise(text: str) -> str:
    """Turn full-width quotes, the ideographic space and full-width ASCII into plain ASCII,
    and drop control characters (NUL cannot even be stored by PostgreSQL)."""
    return _CONTROL.sub("", text.translate(_TABLE)).strip()


def record_number(word: str) -> int | None:
    """A number as typed for a record: ``12``, ``#12`` or full-width ``＃１２``; None otherwise.

    Only the digits 0-9 count. ``①``, ``²`` and the like pass ``str.isdigit()`` but ``int()``
    refuses them: testing a word with ``isdigit()`` before ``int()`` crashes on them.
    """
    found = _RECORD_NUMBER.fullmatch(normalise(word))
    return int(found.group(1)) if found else None


def _as_record_number(value: Any) -> Any:
    """A record number field's value: typed text read with ``record_number``."""
    number = record_number(value) if isinstance(value, str) else value
    if number is None or (isinstance(number, int) and not 0 <= number < 10**18):
        raise PydanticCustomError("int_parsing", "Input should be a record number")
    return number


RecordNumber = Annotated[int, BeforeValidator(_as_record_number)]  # an argument naming a record


def split_words(text: str) -> list[str]:
    """Split like a shell, honouring quotes; unbalanced quotes fall back to plain spaces."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


@dataclass(frozen=True, slots=True)
class CommandLine:
    """A message split into the command word and its argument words."""

    name: str
    words: list[str]
    rest: str = ""  # the argument text as typed (normalised), for the argument reader


def split_command(text: str) -> CommandLine | None:
    """``/name@bot args…`` as a CommandLine, or None if the text is not a command."""
    text = normalise(text[:MAX_INPUT])
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return CommandLine(name=name, words=split_words(rest), rest=rest.strip())


def field_names(model: type[BaseModel]) -> dict[str, str]:
    """Every accepted key of a model (its field names and their aliases) -> field name."""
    keys: dict[str, str] = {}
    for name, info in model.model_fields.items():
        keys[name] = name
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        for alias in extra.get("aliases", ()):  # type: ignore[union-attr]
            keys[str(alias).lower()] = name
    return keys


def _extra(model: type[BaseModel], name: str) -> dict[str, Any]:
    extra = model.model_fields[name].json_schema_extra
    return extra if isinstance(extra, dict) else {}


def choice_words(model: type[BaseModel], name: str) -> dict[str, tuple[str, ...]]:
    """A choice field's other words for each value (``{"cancel": ("取消",)}``), declared as
    ``json_schema_extra={"words": ...}``: people type them, Chinese readers are shown them."""
    words = _extra(model, name).get("words", {})
    return {str(value): tuple(more) for value, more in words.items()}


def every_word(model: type[BaseModel], name: str) -> list[str]:
    """Every word a choice field takes: its values and their other words."""
    words = choice_words(model, name)
    return [w for value in choices(model, name) for w in (value, *words.get(value, ()))]


def choice_labels(model: type[BaseModel], name: str, locale: str) -> list[str]:
    """A choice field's values as a reader of ``locale`` would type them."""
    words = choice_words(model, name)
    labels = []
    for value in choices(model, name):
        chinese = [w for w in words.get(value, ()) if not w.isascii()]
        labels.append(chinese[0] if locale.startswith("zh") and chinese else value)
    return labels


def _chosen(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """Values with a choice's other words replaced by the value they pick."""
    for name, typed in values.items():
        words = choice_words(model, name)
        if words and isinstance(typed, str):
            wanted = normalise(typed).lower()
            for value, more in words.items():
                if wanted == value.lower() or wanted in (w.lower() for w in more):
                    values[name] = value
    return values


def rest_field(model: type[BaseModel]) -> str | None:
    """The field that takes all remaining words, if any."""
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("rest"):
            return name
    return None


def _is_flag(model: type[BaseModel], name: str) -> bool:
    return model.model_fields[name].annotation in (bool, bool | None)


def bind_words(model: type[M], words: list[str]) -> M:
    """Bind argument words to ``model``; raise ArgumentError with a fixable message."""
    keys = field_names(model)
    named, positional = _split_named(model, keys, words)
    values = dict(named)
    free = [
        n
        for n in model.model_fields
        if n not in values and not _is_flag(model, n) and not _extra(model, n).get("named")
    ]
    rest = rest_field(model)
    for name in free:
        if not positional:
            break
        if name == rest:
            values[name] = " ".join(positional)
            positional = []
        else:
            values[name] = positional.pop(0)
    if positional:
        raise ArgumentError("Too many arguments: {extra}", extra=" ".join(positional))
    try:
        return model.model_validate(_chosen(model, values))
    except ValidationError as exc:
        raise _explain(model, exc) from exc


def _split_named(
    model: type[BaseModel], keys: dict[str, str], words: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Separate ``key=value`` / ``--key value`` words from positional ones.

    Unknown keys are an error, unless the model has a free-text field to take them.
    """
    lenient = rest_field(model) is not None
    named: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        key, value, takes_next = _option(word)
        name = keys.get(key.lower()) if key else None
        if key and name is None and not lenient and not word.count(":"):
            raise ArgumentError("Unknown option {key}.", key=key)
        if name is None:
            positional.append(word)
        elif takes_next and _is_flag(model, name):
            named[name] = True
        elif takes_next:
            if i >= len(words):
                raise ArgumentError("Option --{key} needs a value.", key=key)
            named[name], i = words[i], i + 1
        else:
            named[name] = value
    return named, positional


def _option(word: str) -> tuple[str, str, bool]:
    """``(key, value, value_is_next_word)`` for an option word, ``("", "", False)`` otherwise."""
    if word.startswith("--") and len(word) > 2:
        key, has_value, value = word[2:].partition("=")
        return key, value, not has_value
    for sep in ("=", ":"):
        key, found, value = word.partition(sep)
        if found and key:
            return key, value, False
    return "", "", False


def choices(model: type[BaseModel], name: str) -> list[str]:
    """The allowed values of a Literal or Enum field (empty for other fields)."""
    annotation = model.model_fields[name].annotation
    for arg in (annotation, *get_args(annotation)):
        if get_origin(arg) is Literal:
            return [str(v) for v in get_args(arg)]
        if isinstance(arg, type) and issubclass(arg, Enum):
            return [str(member.value) for member in arg]
    return []


def _explain(model: type[BaseModel], exc: ValidationError) -> ArgumentError:
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else ""
    if err["type"] == "missing":
        return ArgumentError("Missing {field}.", field=field)
    if err["type"] in ("literal_error", "enum") and field in model.model_fields:
        expected = " | ".join(choices(model, field))  # shown in the reader's words by dispatch
        return ArgumentError("{field} must be one of {expected}.", field=field, expected=expected)
    if err["type"] in ("int_parsing", "float_parsing", "decimal_parsing"):
        return ArgumentError("{field} must be a number.", field=field)
    return ArgumentError("{field} is not valid: {detail}", field=field, detail=err["msg"])
