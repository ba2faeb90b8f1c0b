"""Errors the domain raises; the chat layer turns them into replies in the member's language."""

from __future__ import annotations

from typing import Any


def msgid(text: str) -> str:
    """Marks an English msgid kept for later (``make messages`` extracts it); returns it."""
    return text


class DomainError(Exception):
    """A business rule refused the request. ``message`` is an English msgid, ``params`` fill it."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    """The thing asked for does not exist, or the asker may not see it."""


class Forbidden(DomainError):
    """The asker may not do this."""


class Conflict(DomainError):
    """The state changed under the request (already decided, already used)."""
