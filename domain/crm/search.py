"""The folded text a customer is found by: name, phone and email in one searchable column."""

from __future__ import annotations

import unicodedata

SEARCH_KEY_LIMIT = 600


def fold(text: str) -> str:
    """NFKC then casefold: full-width letters and digits match their ASCII, case is ignored."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def fold_phone(phone: str) -> str:
    """A phone number without spaces, dashes, dots or brackets, as people type it to search."""
    return "".join(c for c in fold(phone) if c not in " -.()")


def search_key_for(name: str, phone: str, email: str) -> str:
    """The ``search_key`` of a customer: folded name, phone and email, space-separated."""
    parts = (fold(name), fold_phone(phone), fold(email))
    return " ".join(p for p in parts if p)[:SEARCH_KEY_LIMIT]
