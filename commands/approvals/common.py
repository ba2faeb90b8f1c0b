"""What the approval commands share: the cause of a transition, typed words, errors in the
reader's language, and the rule for who sees everything."""

from __future__ import annotations

from typing import Any

from bot.context import CommandContext
from bot.i18n import _
from bot.logging import get_logger
from bot.parsing import split_command
from domain.approvals.fields import FieldProblem
from domain.approvals.store import Cause
from domain.approvals.template import TemplateSpec
from domain.directory.roles import Permission
from domain.shared.errors import DomainError

log = get_logger("bizbot.approvals")


def cause_of(ctx: CommandContext) -> Cause:
    """The platform event behind what the actor does: inbox row, channel and event id."""
    event = ctx.event
    return Cause(ctx.outbox.cause_id, f"{event.address.channel}:{event.event_id}")


def typed_words(ctx: CommandContext) -> list[str]:
    """The words after the command, split as typed (quotes kept together)."""
    text = ctx.event.text.strip()
    line = split_command(text if text.startswith(("/", "／")) else "/" + text)
    return line.words if line else []


def pairs_of(words: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """``key=value`` words as pairs, and the words that are not pairs."""
    pairs, loose = [], []
    for word in words:
        key, found, value = word.partition("=")
        if found and key:
            pairs.append((key.strip(), value))
        else:
            loose.append(word)
    return pairs, loose


def sees_all(ctx: CommandContext) -> bool:
    """Whether the actor may see every request (admins, HR)."""
    return ctx.may(Permission.AUDIT_APPROVALS)


def problem_text(
    ctx: CommandContext, problem: DomainError, spec: TemplateSpec | None = None
) -> str:
    """A problem in the actor's language, naming a field by its label."""
    params: dict[str, Any] = dict(problem.params)
    if spec is not None and isinstance(problem, FieldProblem) and "field" in params:
        params["field"] = label_of(spec, str(params["field"]), ctx.locale)
    return ctx.t(problem.message, **params)


def label_of(spec: TemplateSpec, key: str, locale: str) -> str:
    """A field's (or a line column's) label in the reader's language."""
    for field in spec.input_fields():
        if field.key == key:
            return field.title(locale)
        for column in field.columns:
            if column.key == key:
                return column.title(locale)
    found = spec.field(key)
    return found.title(locale) if found else key


BAD_NUMBER = _("Give the approval's number, for example: {example}")
