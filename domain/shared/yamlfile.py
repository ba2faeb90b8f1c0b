"""Definitions written in YAML (templates, work calendars, allocations): parsed into a pydantic
model with every problem located by line, as the org file is (domain/directory/orgfile.py)."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from domain.directory.orgfile import Problem, problem_at

M = TypeVar("M", bound=BaseModel)
TAG_SUFFIX = "@"  # union tags in error paths (``step@``) are not keys of the file


class DefinitionInvalid(Exception):
    """A definition file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.path))


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree of a YAML text; ``DefinitionInvalid`` if it is not YAML."""
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise DefinitionInvalid([Problem(line, "", f"not valid YAML: {exc}")]) from exc


def validate(model: type[M], data: Any, root: yaml.Node | None, base: tuple[Any, ...] = ()) -> M:
    """``model`` from ``data``; every validation error becomes a located problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DefinitionInvalid(
            [
                problem_at(root, base + _path(err["loc"]), err["msg"].removeprefix("Value error, "))
                for err in exc.errors()
            ]
        ) from exc


def _path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(p for p in loc if not (isinstance(p, str) and p.endswith(TAG_SUFFIX)))


def parse_definition(model: type[M], text: str) -> tuple[M, yaml.Node | None]:
    """Parse and validate a whole file as ``model``."""
    data, root = load_yaml(text)
    return validate(model, data, root), root
