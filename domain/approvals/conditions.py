"""Route conditions such as ``amount > 5000 and department == "Sales"``, evaluated with
simpleeval (never ``eval``) over the form's fields and the initiator."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from simpleeval import EvalWithCompoundTypes, InvalidExpression

INITIATOR_NAMES = frozenset({"initiator", "department", "roles", "budget_left"})  # handle, …
FUNCTIONS: dict[str, Any] = {"date": date.fromisoformat, "len": len, "abs": abs}
CONSTANTS = frozenset({"True", "False", "None", "true", "false"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a condition held; ``error`` says why it could not be decided (then it did not)."""

    holds: bool
    error: str = ""


def names_in(expression: str) -> set[str]:
    """The variable names a condition reads; ``SyntaxError`` if it is not an expression."""
    tree = ast.parse(expression, mode="eval")
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return names - called - CONSTANTS


def problems_in(expression: str, known: set[str]) -> list[str]:
    """What is wrong with a condition: its syntax, or names that are neither fields nor known."""
    try:
        names = names_in(expression)
    except SyntaxError as exc:
        return [f"not a valid condition: {exc.msg}"]
    unknown = sorted(names - known - INITIATOR_NAMES)
    return [f"unknown name {name!r} in the condition" for name in unknown]


def evaluate(expression: str, values: Mapping[str, Any]) -> Verdict:
    """Evaluate a condition; a missing value or a type clash makes it not hold, with the reason."""
    names = {"true": True, "false": False, **values}
    evaluator = EvalWithCompoundTypes(names=names, functions=FUNCTIONS)
    try:
        return Verdict(bool(evaluator.eval(expression)))
    except (InvalidExpression, TypeError, ValueError, ArithmeticError, KeyError) as exc:
        return Verdict(False, _reason(exc))


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "…"
