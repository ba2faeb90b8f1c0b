"""Asking instead of refusing: when a name fits several records, a card of buttons, each running
the command again with one of them (``/商机 新增 明远 …`` -> which 明远?); when a field is
missing, a question whose answer (typed, or a tapped choice) runs the command again with it
(``/deal add Acme Pilot close=…`` -> "Amount?")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.replies import Action, Button, Card, CardStatus

PICK_ACTION = "kernel.pick"
MISSING_PROMPT = "kernel.missing"
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


class Missing(Exception):
    """A command needs one more field: ``question`` asks for it; the answer runs ``line``
    again with ``key=ANSWER`` added (``choices``, as (label, value), are offered as buttons).

    Raised from inside a command before it changes anything; the dispatcher asks.
    """

    def __init__(
        self, question: str, line: str, key: str, choices: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__(question)
        self.question = question
        self.line = line
        self.key = key
        self.choices = tuple(choices)

    def card(self, footer: str) -> Card:
        """The question, with a button per choice."""
        options = [Option(label, self.answered(value)) for label, value in self.choices]
        return pick_card(self.question, options, footer)

    def answered(self, answer: str) -> str:
        """The command line with the answer added."""
        return f"{self.line} {self.key}={answer.strip()}"


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
