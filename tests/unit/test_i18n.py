"""Every user-facing string has a Chinese translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from bot.i18n import KEYWORDS, SOURCE_PACKAGES, catalog, normalise_locale, t

ROOT = Path(__file__).parents[2]


def extracted_msgids() -> set[str]:
    found: set[str] = set()
    for package in SOURCE_PACKAGES:
        if not (ROOT / package).exists():
            continue
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords=KEYWORDS, method_map=[("**.py", "python")]
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_msgid_is_translated_to_chinese() -> None:
    zh = catalog("zh_CN")
    missing = sorted(m for m in extracted_msgids() if m not in zh)
    assert missing == [], f"run `make messages` and translate: {missing}"


def test_no_msgid_is_in_the_catalog_twice() -> None:
    text = (ROOT / "bot/locale/zh_CN/LC_MESSAGES/bizbot.po").read_text(encoding="utf-8")
    ids = re.findall(r'^msgid ((?:".*"\n)+)', text + "\n", flags=re.MULTILINE)
    seen = [i for i in ids if i.strip() != '""']
    assert len(seen) == len(set(seen)), sorted({i for i in seen if seen.count(i) > 1})


def test_translations_keep_their_placeholders() -> None:
    for msgid, text in catalog("zh_CN").items():
        assert set(re.findall(r"{(\w+)}", msgid)) == set(re.findall(r"{(\w+)}", text)), msgid


def test_locale_names_from_platforms_are_understood() -> None:
    given = ("zh", "zh-CN", "zh_Hans", "ZH_TW", "en-US", "", None, "fr")
    assert [normalise_locale(v) for v in given] == [
        "zh_CN", "zh_CN", "zh_CN", "zh_CN", "en", "en", "en", "en",
    ]  # fmt: skip
    assert t("zh_CN", "Usage: {usage}", usage="/x") == "用法：/x"
    assert t("en", "Usage: {usage}", usage="/x") == "Usage: /x"
