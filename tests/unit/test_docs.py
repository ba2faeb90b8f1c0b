"""The documentation lists what the code has: every setting, every permission."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings
from domain.directory.roles import GRANTS, PERMISSION_PURPOSE, Role

DOCS = Path(__file__).parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    page = (DOCS / "OPERATIONS.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(BIZBOT_[A-Z0-9_]+)`", page))
    settings = {f"BIZBOT_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set(), "settings missing from docs/OPERATIONS.md"
    assert documented - settings - {"BIZBOT_TEST_PG_URL"} == set(), (
        "documented settings that do not exist"
    )


def test_permission_table_matches_the_code() -> None:
    page = (DOCS / "PERMISSIONS.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z.]+)` \| ([a-z, ]+) \| (.+) \|$", page, re.MULTILINE)
    documented = {
        name: ({r.strip() for r in roles.split(",")}, purpose) for name, roles, purpose in rows
    }
    in_code = {
        str(p): ({str(r) for r in roles}, PERMISSION_PURPOSE[p]) for p, roles in GRANTS.items()
    }
    assert documented == in_code
    assert {str(r) for r in Role} >= set().union(*(roles for roles, _ in documented.values()))
