"""Translations: English msgids in the code, Chinese in ``bot/locale/zh_CN/LC_MESSAGES/bizbot.po``.

The ``.po`` files are read directly with Babel, so there is no compile step. Extract new strings
with ``pybabel extract`` (see docs/DEVELOPING.md); a test fails on any untranslated msgid.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "bizbot"
DEFAULT_LOCALE = "en"
# Calls whose first text argument is a msgid (``t`` takes the locale first). ``make messages``
# and the catalog test both extract with these.
KEYWORDS = {
    "_": None,
    "t": (2,),
    "gettext": (2,),
    "DomainError": None,
    "NotFound": None,
    "Conflict": None,
    "Forbidden": None,
    "ArgumentError": None,
    "FrameError": None,
    "EntryProblem": None,
}
SOURCE_PACKAGES = ("bot", "adapters", "commands", "domain", "scheduler")


def normalise_locale(value: str | None) -> str:
    """Map what members and platforms send (``zh``, ``zh-CN``, ``zh_Hans``, ``en-US``) to ours."""
    if value and value.replace("-", "_").lower().startswith("zh"):
        return "zh_CN"
    return DEFAULT_LOCALE


@cache
def catalog(locale: str) -> dict[str, str]:
    """The msgid -> translation map of one locale ({} for English)."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


def gettext(locale: str, msgid: str) -> str:
    """The translation of ``msgid``, or ``msgid`` itself."""
    return catalog(normalise_locale(locale)).get(msgid, msgid)


def t(locale: str, msgid: str, **params: Any) -> str:
    """Translate and fill ``{placeholders}``."""
    text = gettext(locale, msgid)
    return text.format(**params) if params else text


def _(msgid: str) -> str:
    """Mark a string for extraction; it is translated later, in the reader's language."""
    return msgid
