"""A strict reader of iCalendar (RFC 5545) text for tests: CRLF line ends, folding at 75
octets, the content-line grammar, and BEGIN/END nesting."""

from __future__ import annotations

import re
from typing import Any

Component = dict[str, list[Any]]  # "NAME;PARAMS" -> values, or sub-component name -> components

NAME = r"[A-Za-z0-9-]+"
PARAM_VALUE = r'(?:"[^"\x00-\x08\x0a-\x1f\x7f]*"|[^";:,\x00-\x08\x0a-\x1f\x7f]*)'
PARAM = rf"{NAME}={PARAM_VALUE}(?:,{PARAM_VALUE})*"
CONTENT_LINE = re.compile(rf"^(?P<head>{NAME}(?:;{PARAM})*):(?P<value>[^\x00-\x08\x0a-\x1f\x7f]*)$")


def unfold(text: str) -> list[str]:
    """The content lines, after checking line ends and the 75-octet limit."""
    assert text.endswith("\r\n"), "the last line must end in CRLF"
    physical = text[: -len("\r\n")].split("\r\n")
    for line in physical:
        assert "\r" not in line and "\n" not in line, f"bare CR or LF in {line!r}"
        assert len(line.encode()) <= 75, f"line longer than 75 octets: {line!r}"
    lines: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            assert lines, "a continuation line cannot come first"
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def components(lines: list[str]) -> Component:
    """The VCALENDAR as nested dicts; every line must match the content-line grammar."""
    stack: list[tuple[str, Component]] = [("", {})]
    for line in lines:
        found = CONTENT_LINE.match(line)
        assert found is not None, f"not a content line: {line!r}"
        head, value = found["head"], found["value"]
        if head == "BEGIN":
            stack.append((value, {}))
        elif head == "END":
            name, done = stack.pop()
            assert name == value, f"END:{value} closes BEGIN:{name}"
            stack[-1][1].setdefault(name, []).append(done)
        else:
            stack[-1][1].setdefault(head, []).append(value)
    assert len(stack) == 1, f"unclosed {stack[-1][0]}"
    [calendar] = stack[0][1]["VCALENDAR"]
    assert isinstance(calendar, dict)
    return calendar


def properties(component: Component, name: str) -> list[str]:
    """Every ``NAME;PARAMS:VALUE`` line of a property, as ``PARAMS:VALUE``."""
    return sorted(
        f"{head[len(name) + 1 :]}:{value}"
        for head, values in component.items()
        if head.split(";")[0] == name and ";" in head
        for value in values
    )
