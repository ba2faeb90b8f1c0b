"""The deal stages an organisation works with, each with its win probability.

They come from a setting such as ``lead:10,qualified:30,proposal:50,negotiation:70,won:100,lost:0``:
the open stages in order (a new deal starts at the first), then ``won`` (100) and ``lost`` (0),
which close a deal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WON = "won"
LOST = "lost"
DEFAULT_STAGES = "lead:10,qualified:30,proposal:50,negotiation:70,won:100,lost:0"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage and the probability (percent) that a deal at it is won."""

    name: str
    probability: int

    @property
    def closed(self) -> bool:
        """Whether a deal at this stage is decided (won or lost)."""
        return self.name in (WON, LOST)


@dataclass(frozen=True, slots=True)
class Stages:
    """The configured stages, in order."""

    all: tuple[Stage, ...]

    @property
    def open(self) -> tuple[Stage, ...]:
        """The stages a deal moves through before it is decided."""
        return tuple(s for s in self.all if not s.closed)

    @property
    def first(self) -> Stage:
        """Where a new deal starts."""
        return self.open[0]

    def find(self, name: str) -> Stage | None:
        """The stage of this name (any case), if there is one."""
        wanted = name.strip().lower()
        return next((s for s in self.all if s.name == wanted), None)

    def names(self) -> list[str]:
        """Every stage name, in order."""
        return [s.name for s in self.all]


def parse_stages(text: str) -> Stages:
    """Read ``name:probability,…``; ``ValueError`` saying what is wrong otherwise."""
    stages = tuple(_stage(part) for part in text.split(",") if part.strip())
    names = [s.name for s in stages]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"stage {duplicates[0]!r} is listed twice")
    if Stage(WON, 100) not in stages or Stage(LOST, 0) not in stages:
        raise ValueError("the stages must include won:100 and lost:0")
    if len(stages) < 3:
        raise ValueError("give at least one open stage before won and lost")
    return Stages(stages)


def _stage(part: str) -> Stage:
    name, sep, number = part.strip().partition(":")
    name = name.strip().lower()
    if not sep or not _NAME.match(name):
        raise ValueError(f"{part.strip()!r} is not name:probability (a name in a-z, 0-9, _ or -)")
    if not number.strip().isdigit() or not 0 <= int(number) <= 100:
        raise ValueError(f"the probability of {name!r} must be a whole number from 0 to 100")
    return Stage(name, int(number))
