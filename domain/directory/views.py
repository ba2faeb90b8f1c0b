"""Read models of the directory that the rest of Bizbot passes around."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrgView:
    """The organisation's defaults."""

    name: str
    timezone: str
    locale: str
    currency: str


@dataclass(frozen=True, slots=True)
class MemberView:
    """A member as commands see them; ``locale`` and ``timezone`` already fall back to the org's."""

    id: int
    handle: str
    name: str
    email: str | None
    phone: str | None
    department: str | None
    manager: str | None
    roles: tuple[str, ...]
    locale: str
    timezone: str
    active: bool
    last_channel: str | None = None  # the channel they last wrote from (None: not yet)
