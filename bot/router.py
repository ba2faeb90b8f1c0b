"""The command and button registry: names, aliases, argument models, permissions and help."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bot.i18n import gettext
from bot.parsing import rest_field
from domain.directory.roles import Permission

if TYPE_CHECKING:
    from bot.context import CommandContext
    from bot.replies import Message


class Audience(StrEnum):
    """Who a command is for: members, senders not yet bound (strangers), or both; or only
    guests (customers' contacts), whose commands live in a namespace of their own."""

    MEMBERS = "members"
    STRANGERS = "strangers"
    EVERYONE = "everyone"
    GUESTS = "guests"


class NoArgs(BaseModel):
    """For commands that take no arguments."""


CommandHandler = Callable[["CommandContext", Any], "Message | None"]
ActionHandler = Callable[["CommandContext", str, dict[str, Any]], "Message | None"]
PromptHandler = Callable[["CommandContext", str, dict[str, Any]], "Message | None"]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One chat command. ``summary``, ``details`` and ``examples`` are English msgids, translated
    on display: a Chinese reader's help shows the Chinese way to type each example."""

    name: str
    summary: str
    handler: CommandHandler
    args: type[BaseModel] = NoArgs
    aliases: tuple[str, ...] = ()
    permission: Permission = Permission.USE
    details: str = ""
    examples: tuple[str, ...] = ()
    audience: Audience = Audience.MEMBERS
    takes_secret: bool = False  # its words are a one-time secret, not kept once handled

    def serves(self, *, stranger: bool) -> bool:
        """Whether this command is offered to a stranger (or to a member); never for a guest's."""
        if self.audience is Audience.GUESTS:
            return False
        return (
            self.audience is Audience.EVERYONE or (self.audience is Audience.STRANGERS) == stranger
        )

    def display_name(self, locale: str) -> str:
        """The name shown to a reader: the first Chinese alias for Chinese readers."""
        if locale.startswith("zh"):
            chinese = [a for a in self.aliases if not a.isascii()]
            if chinese:
                return chinese[0]
        return self.name

    def usage(self, locale: str) -> str:
        """``/name <arg> [optional]`` in the reader's language."""
        parts = [f"/{self.display_name(locale)}"]
        rest = rest_field(self.args)
        for name, info in self.args.model_fields.items():
            label = gettext(locale, info.description or name)
            label = f"{label}…" if name == rest else label
            parts.append(f"<{label}>" if info.is_required() else f"[{label}]")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """What a card button does once its token has been checked."""

    name: str
    handler: ActionHandler
    permission: Permission = Permission.USE
    on_stale: ActionHandler | None = None  # answers a used button with the current state
    guests: bool = False  # a guest may tap it (its token still says whose button it is)


@dataclass(frozen=True, slots=True)
class PromptSpec:
    """What takes the answer to a question Bizbot asked (``CommandContext.ask``)."""

    name: str
    handler: PromptHandler
    guests: bool = False  # the question may be put to a guest


class Router:
    """Finds the command for a name or alias, and the handler for a button action.

    Guests' commands (``Audience.GUESTS``) have names of their own: a guest's ``/ticket`` is
    not a member's, and a guest never reaches a member's command by its name.
    """

    def __init__(self) -> None:
        self._commands: dict[str, CommandSpec] = {}
        self._by_name: dict[str, CommandSpec] = {}
        self._guest_commands: dict[str, CommandSpec] = {}
        self._guest_names: dict[str, CommandSpec] = {}
        self._actions: dict[str, ActionSpec] = {}
        self._prompts: dict[str, PromptSpec] = {}

    def add(self, spec: CommandSpec) -> None:
        """Register a command under its name and aliases; a clash is a programming error."""
        guest = spec.audience is Audience.GUESTS
        names = self._guest_names if guest else self._by_name
        for name in (spec.name, *spec.aliases):
            key = name.lower()
            if key in names:
                raise ValueError(f"command name {name!r} is taken by /{names[key].name}")
            names[key] = spec
        (self._guest_commands if guest else self._commands)[spec.name] = spec

    def add_action(self, spec: ActionSpec) -> None:
        """Register a button action."""
        if spec.name in self._actions:
            raise ValueError(f"action {spec.name!r} is registered twice")
        self._actions[spec.name] = spec

    def add_prompt(self, spec: PromptSpec) -> None:
        """Register what answers a kind of question."""
        if spec.name in self._prompts:
            raise ValueError(f"prompt {spec.name!r} is registered twice")
        self._prompts[spec.name] = spec

    def prompt(self, name: str) -> PromptSpec | None:
        """The answer handler for a kind of question."""
        return self._prompts.get(name)

    def find(self, name: str) -> CommandSpec | None:
        """The command with this name or alias."""
        return self._by_name.get(name.lower())

    def find_leading(self, text: str) -> tuple[CommandSpec, str] | None:
        """The command whose Chinese name starts ``text`` (Chinese runs words together:
        ``提醒我明天下午两点半交报告`` is ``提醒`` + ``我明天下午两点半交报告``), the longest name
        first, and the words after it."""
        for name in sorted((n for n in self._by_name if not n.isascii()), key=len, reverse=True):
            if text.startswith(name) and len(text) > len(name):
                return self._by_name[name], text[len(name) :]
        return None

    def find_for_guest(self, name: str) -> CommandSpec | None:
        """The guests' command with this name or alias."""
        return self._guest_names.get(name.lower())

    def action(self, name: str) -> ActionSpec | None:
        """The action with this name."""
        return self._actions.get(name)

    def commands(self) -> Iterable[CommandSpec]:
        """Every command, in registration order."""
        return self._commands.values()

    def guest_commands(self) -> Iterable[CommandSpec]:
        """Every guests' command, in registration order."""
        return self._guest_commands.values()

    def suggest(self, name: str) -> str | None:
        """The closest known name, for "did you mean …"."""
        close = difflib.get_close_matches(name.lower(), list(self._by_name), n=1, cutoff=0.5)
        return close[0] if close else None
