"""Chinese answers are Chinese, and every example Bizbot shows runs as written.

- A Chinese reader's sweep: ``/help``, ``/help X`` for every command, every command with nothing
  after it and with a word it cannot use; no answer may carry an English word outside a short
  allow-list (command names and keys people type, handles, codes, currencies).
- Every example in ``/help X`` and in the docs' and README's chat examples is typed as it is
  written, by a member who may use it, on a small company: none is answered "unknown command",
  with a usage line, or with a crash.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.i18n import gettext
from bot.replies import as_text
from bot.router import CommandSpec
from domain.directory.roles import Permission
from tests.integration.approvals_rig import Office
from tests.integration.crm_rig import running_shop

ROOT = Path(__file__).parents[2]
# A docs line with a placeholder (N, TEXT, …, a|b, [optional]) shows a form, not an example.
PLACEHOLDER = re.compile(r"…|\||\[|(?<![\w=])[A-Z]+(?![\w])")
WORD = re.compile(r"(?<![@#/=\w.-])[A-Za-z][A-Za-z'-]{2,}(?![\w=@/.-])")
# What a Chinese reader may see in Latin letters: names people type (commands, keys, handles),
# codes and units. Everything else in Latin letters is a word that should have been translated.
ALLOWED = {
    "bizbot", "cny", "usd", "eur", "sla", "id", "url", "https", "http", "ics", "pdf", "csv",
    "yaml", "wecom", "slack", "telegram", "dingtalk", "email", "web", "chat", "ok", "vip",
    "english", "bob", "carol", "alice", "erin", "frank", "gina", "ivy", "jack", "hank", "admin",
    "chen", "east", "west", "fu", "hr", "trading", "test", "service", "support", "mon", "tue",
    "wed", "thu", "fri", "sat", "sun", "am", "pm", "erp", "crm", "oa", "api", "qr", "ceo", "cto",
    # the test company's own data (a department, a role key from its org file), the IANA name of
    # a time zone, and the name of the in-memory channel the test talks through
    "sales", "asia", "memory",
}  # fmt: skip


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """SQLite only: this is about words, not the database."""
    async with running_shop(sqlite_settings) as office:
        await office.say("bob", "/客户 新增 杭州明远科技 行业=制造业")
        await office.say("erin", "/customer add Acme Trading industry=retail")
        yield office


def typed_names(office: Office) -> set[str]:
    """Every command name and alias, and every key a command takes (people type these)."""
    names: set[str] = set()
    for spec in office.runtime.router.commands():
        names |= {spec.name.lower(), *(a.lower() for a in spec.aliases)}
        names |= {n.lower() for n in spec.args.model_fields}
    return names


def english_words(text: str, allowed: set[str]) -> list[str]:
    """Latin words in a Chinese answer that no Chinese reader should have to read."""
    quoted = re.sub(r"[“\"][^”\"]*[”\"]|`[^`]*`|/\S+|\S+=\S*|@\S+|\S+@\S+|https?://\S+", " ", text)
    return [w for w in WORD.findall(quoted) if w.lower().strip("'-") not in allowed]


async def test_a_chinese_reader_reads_chinese(shop: Office) -> None:
    allowed = ALLOWED | typed_names(shop)
    lines = ["/help", "/帮助"]
    for spec in shop.runtime.router.commands():
        if spec.serves(stranger=False):
            name = spec.display_name("zh_CN")
            lines += [f"/帮助 {name}", f"/{name}", f"/{name} 乱七八糟"]
    answers = await shop.say_many("bob", lines)
    assert len(answers) >= len(lines)
    leaks = {}
    for posted in answers:
        for version in posted.versions:
            found = english_words(as_text(version), allowed)
            if found:
                leaks[as_text(version)[:120]] = found
    assert leaks == {}


def doc_examples() -> list[str]:
    """Chat examples in the docs and README: a command in backticks, written as typed."""
    found: list[str] = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for example in re.findall(r"`(/[^`\n]{2,})`", page.read_text(encoding="utf-8")):
            if " " in example.strip() and not PLACEHOLDER.search(example):
                found.append(example.strip())
    return sorted(set(found))


def is_usage_or_crash(text: str) -> bool:
    if text.startswith("/"):  # a help card: its usage field is what was asked for
        return False
    markers = (
        "I don't know /",
        "Usage:",
        "用法：",
        "Sorry, something went wrong",
        "出错了",
        "这个命令",
    )
    return any(m in text for m in markers)


def help_examples(office: Office, locale: str) -> list[tuple[str, CommandSpec]]:
    """Every example ``/help X`` shows a reader of ``locale``."""
    return [
        (gettext(locale, example), spec)
        for spec in office.runtime.router.commands()
        for example in spec.examples
    ]


async def run_examples(
    office: Office, examples: list[tuple[str, CommandSpec]], locale: str
) -> list[str]:
    """Type each example as a member who may use it, reading ``locale``; the answers that are
    a usage line, an unknown command or a crash (they name the command)."""
    failures = []
    for who in ("alice", "carol"):
        lines = [
            example
            for example, spec in examples
            if (spec.permission is Permission.CRM_USE) == (who == "carol")
        ]
        await office.say(who, f"/lang {locale}")
        answers = await office.say_many(who, lines)
        assert len(answers) >= len(lines)
        failures += [
            as_text(version)[:160]
            for posted in answers
            for version in posted.versions
            if is_usage_or_crash(as_text(version))
        ]
    return failures


async def test_every_help_and_doc_example_runs_as_written(shop: Office) -> None:
    router = shop.runtime.router
    english = help_examples(shop, "en")
    for example in doc_examples():
        spec = router.find(example.lstrip("/").split()[0].lower())
        if spec is not None:  # a CLI line or a platform's own command is not a chat example
            english.append((example, spec))
    chinese = help_examples(shop, "zh_CN")
    assert len(english) > 100 and len(chinese) > 90
    failures = await run_examples(shop, english, "en")
    failures += await run_examples(shop, chinese, "zh_CN")
    assert failures == [], "\n".join(map(repr, failures))
