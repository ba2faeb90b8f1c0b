"""The folded text a customer is found by: its name, phone and email and those of its contacts,
one per line in ``Customer.search_key``, so that ``find`` matches partial, case- and
width-insensitive text, Chinese included, with one LIKE on one column."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

SEARCH_KEY_LIMIT = 600
PHONE_NOISE = re.compile(r"[\s\-().]")


def fold(text: str) -> str:
    """NFKC (full-width to half-width), case-folded, spaces squeezed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def fold_phone(text: str) -> str:
    """A phone number as searched: folded, without spaces, dashes, dots or brackets."""
    return PHONE_NOISE.sub("", fold(text))


def search_key_for(
    name: str, phones: Iterable[str], emails: Iterable[str], others: Iterable[str] = ()
) -> str:
    """The search key of one customer: folded names, phones and emails, one per line."""
    parts = [fold(name), *(fold_phone(p) for p in phones), *(fold(e) for e in emails)]
    parts += [fold(o) for o in others]
    return "\n".join(p for p in parts if p)[:SEARCH_KEY_LIMIT]
