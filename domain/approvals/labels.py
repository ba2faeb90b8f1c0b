"""Text a template gives in several languages: ``"Leave"`` or ``{en: Leave, zh_CN: 请假}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator

LOCALES = ("en", "zh_CN")


def _as_mapping(value: Any) -> Any:
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(LOCALES))
        if unknown:
            raise ValueError(f"unknown language {unknown[0]!r} (use en or zh_CN)")
        if "en" not in value:
            raise ValueError("give the English text (en) too")
        return {str(k): str(v) for k, v in value.items()}
    raise ValueError("give a text, or {en: …, zh_CN: …}")


Label = Annotated[dict[str, str], BeforeValidator(_as_mapping)]


def text_of(label: Mapping[str, str] | None, locale: str, fallback: str = "") -> str:
    """The label in the reader's language, else English, else ``fallback``."""
    if not label:
        return fallback
    key = "zh_CN" if locale.startswith("zh") else "en"
    return label.get(key) or label.get("en") or fallback


def _(msgid: str) -> str:
    """Mark an English msgid for extraction; it is translated where it is shown."""
    return msgid
