"""When a name fits several records: a card of buttons, each running the command again with
one of them, so the member taps instead of retyping (``/商机 新增 明远 …`` -> which 明远?)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.replies import Action, Button, Card, CardStatus

PICK_ACTION = "kernel.pick"
MAX_OPTIONS = 8


@dataclass(frozen=True, slots=True)
class Option:
    """One record a name may mean: what the button says, and the command line it runs."""

    label: str
    line: str


class Ambiguous(Exception):
    """A command cannot go on until the member picks one of several records.

    Raised from inside a command (nothing it did is kept, as with a refusal); the dispatcher
    answers with ``card``.
    """

    def __init__(self, card: Card) -> None:
        super().__init__(card.title)
        self.card = card


def pick_card(question: str, options: Sequence[Option], footer: str = "") -> Card:
    """A question with a button per option (the first few); each runs its line again."""
    buttons = tuple(
        Button(o.label, Action(PICK_ACTION, args={"line": o.line}), command=o.line)
        for o in options[:MAX_OPTIONS]
    )
    return Card(title=question, buttons=buttons, footer=footer, status=CardStatus.PENDING)


def with_choice(line: str, typed: str, number: int) -> str:
    """``line`` with the name the member typed replaced by the record's number (``#12``)."""
    return replaced(line, typed, f"#{number}")


def replaced(line: str, typed: str, meant: str) -> str:
    """``line`` with the words the member typed replaced by what they meant (``@bob``)."""
    return line.replace(typed, meant, 1)
