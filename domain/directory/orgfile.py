"""The org file: the YAML that ``bizbot org import`` reads and ``bizbot org export`` writes.

Validation collects every problem with its line, and the caller writes nothing unless there
are none. docs/ORG-FILE.md documents the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, available_timezones

import yaml
from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from domain.directory.roles import Role

HANDLE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CHANNELS = ("slack", "telegram", "dingtalk", "wecom", "webchat", "console")
E = TypeVar("E", bound=BaseModel)


def _check_timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)")
    ZoneInfo(value)
    return value


def _check_locale(value: str) -> str:
    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"unknown locale {value!r} (use en or zh_CN)") from exc
    return value


TimeZoneName = Annotated[str, BeforeValidator(lambda v: _check_timezone(str(v)))]
LocaleName = Annotated[str, BeforeValidator(lambda v: _check_locale(str(v)))]


class IdentitySpec(BaseModel):
    """A chat account: a bare user id, or a user id in one workspace."""

    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=128)
    workspace: str = ""


def _identity(value: Any) -> Any:
    return {"user": str(value)} if isinstance(value, str | int) else value


class OrgSpec(BaseModel):
    """The ``org:`` block."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    timezone: TimeZoneName = "UTC"
    locale: LocaleName = "en"
    currency: str = "CNY"

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value.upper() not in list_currencies():
            raise ValueError(f"unknown currency {value!r} (use an ISO 4217 code such as CNY)")
        return value.upper()


class DepartmentSpec(BaseModel):
    """One entry of ``departments:``."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    parent: str | None = None
    head: str | None = None


class MemberSpec(BaseModel):
    """One entry of ``members:``."""

    model_config = ConfigDict(extra="forbid")
    handle: str
    name: str = Field(min_length=1, max_length=200)
    email: str | None = None
    phone: str | None = None
    department: str | None = None
    manager: str | None = None
    roles: list[Role] = []
    locale: LocaleName | None = None
    timezone: TimeZoneName | None = None
    active: bool = True
    identities: dict[str, Annotated[IdentitySpec, BeforeValidator(_identity)]] = {}

    @field_validator("handle")
    @classmethod
    def _handle_shape(cls, value: str) -> str:
        if not HANDLE_PATTERN.match(value):
            raise ValueError("a handle is 1-64 lower-case letters, digits, '.', '_' or '-'")
        return value

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_PATTERN.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("identities")
    @classmethod
    def _known_channels(cls, value: dict[str, IdentitySpec]) -> dict[str, IdentitySpec]:
        unknown = sorted(set(value) - set(CHANNELS))
        if unknown:
            raise ValueError(f"unknown channel {unknown[0]!r} (one of {', '.join(CHANNELS)})")
        return value


class OrgFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")
    org: OrgSpec
    departments: list[DepartmentSpec] = []
    members: list[MemberSpec] = []


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, where it is, and what is wrong."""

    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}{self.path or '(file)'}: {self.message}"


class OrgFileInvalid(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the org file")
        self.problems = problems


def dotted(path: tuple[Any, ...]) -> str:
    """``('members', 2, 'email')`` as ``members[2].email``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_of(node: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at ``path`` (or of its nearest ancestor)."""
    if node is None:
        return None
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


@dataclass(frozen=True, slots=True)
class OrgRead:
    """An org file read as far as it goes: every problem of shape, located; ``spec`` when there
    is none; and for the reference checks, the entries whose shape is right once their broken
    keys are left out (with their index in the file), and every name and handle the file gives.
    """

    root: yaml.Node | None
    spec: OrgFile | None
    departments: list[tuple[int, DepartmentSpec]]
    members: list[tuple[int, MemberSpec]]
    named: frozenset[str]
    handled: frozenset[str]
    problems: list[Problem]


def read_org_file(text: str) -> OrgRead:
    """Read an org file, collecting every problem of shape; only broken YAML stops the reading
    (``OrgFileInvalid``), since nothing can be located in it."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise OrgFileInvalid([Problem(line, "", f"not valid YAML: {exc}")]) from exc
    raw = data if isinstance(data, dict) else {}
    departments, members = raw.get("departments"), raw.get("members")
    common = {
        "named": _texts(departments, "name"),
        "handled": _texts(members, "handle"),
    }
    try:
        spec = OrgFile.model_validate(data)
    except ValidationError as exc:
        problems = [_located(root, err) for err in exc.errors()]
        return OrgRead(
            root,
            None,
            _entries(DepartmentSpec, departments),
            _entries(MemberSpec, members),
            problems=problems,
            **common,
        )
    return OrgRead(
        root,
        spec,
        list(enumerate(spec.departments)),
        list(enumerate(spec.members)),
        problems=[],
        **common,
    )


def _located(root: yaml.Node | None, err: Any) -> Problem:
    path = tuple(err["loc"])
    return Problem(_line_of(root, path), dotted(path), err["msg"].removeprefix("Value error, "))


def _texts(entries: Any, key: str) -> frozenset[str]:
    """Every text under ``key`` in a list of entries, however broken the rest of them is."""
    if not isinstance(entries, list):
        return frozenset()
    return frozenset(e[key] for e in entries if isinstance(e, dict) and isinstance(e.get(key), str))


def _entries(model: type[E], entries: Any) -> list[tuple[int, E]]:
    """The entries that read as ``model``, with their broken keys left out if need be."""
    if not isinstance(entries, list):
        return []
    found = []
    for i, entry in enumerate(entries):
        salvaged = _salvage(model, entry) if isinstance(entry, dict) else None
        if salvaged is not None:
            found.append((i, salvaged))
    return found


def _salvage(model: type[E], entry: dict[str, Any]) -> E | None:
    try:
        return model.model_validate(entry)
    except ValidationError as exc:
        broken = {err["loc"][0] for err in exc.errors() if err["loc"]}
    try:
        return model.model_validate({k: v for k, v in entry.items() if k not in broken})
    except ValidationError:
        return None  # a required key is broken: its problems are reported already


def parse_org_file(text: str) -> tuple[OrgFile, yaml.Node | None]:
    """Parse and validate the shape of an org file; raise ``OrgFileInvalid`` with every problem."""
    read = read_org_file(text)
    if read.spec is None:
        raise OrgFileInvalid(read.problems)
    return read.spec, read.root


def problem_at(root: yaml.Node | None, path: tuple[Any, ...], message: str) -> Problem:
    """A problem found after parsing, located in the file."""
    return Problem(_line_of(root, path), dotted(path), message)
