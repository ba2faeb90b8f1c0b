"""Org file import: all or nothing, idempotent, every problem located, deactivation immediate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.directory.importer import export_org, import_org
from domain.directory.models import ChatIdentity, Department, Member, MemberRole, Org
from domain.directory.orgfile import OrgFileInvalid
from domain.shared.db import open_database
from tests.processes import ORG_FILE, bot_env, query, run_cli
from tests.support import ORG_YAML, Chat

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

BROKEN = """\
org: {name: Broken Ltd, timezone: Mars/Olympus, locale: zh_CN, currency: CNY}
departments:
  - {name: Sales, parent: Nowhere, head: alice}
  - {name: Sales}
members:
  - handle: alice
    name: Alice
    email: alice@
    department: Sales
    manager: zed
    roles: [admin, wizard]
  - handle: Bad Handle
    name: Bob
  - handle: carol
    name: Carol
    manager: carol
    identities: {myspace: carol}
"""


def snapshot(session: object) -> tuple[object, ...]:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    members = session.execute(
        select(Member.handle, Member.name, Member.email, Member.active, Member.updated_at).order_by(
            Member.handle
        )
    ).all()
    roles = session.execute(
        select(MemberRole.member_id, MemberRole.role).order_by(MemberRole.member_id)
    ).all()
    depts = session.execute(select(Department.name, Department.parent_id, Department.head_id)).all()
    idents = session.execute(select(ChatIdentity.channel, ChatIdentity.platform_user_id)).all()
    return tuple(members), tuple(roles), tuple(sorted(depts)), tuple(sorted(idents))


async def test_importing_twice_leaves_the_same_state(db_url: str) -> None:
    db = open_database(db_url)
    try:
        first = await db.run(lambda s: import_org(s, ORG_YAML, NOW))
        before = await db.run(snapshot)
        second = await db.run(lambda s: import_org(s, ORG_YAML, NOW + timedelta(hours=1)))
        after = await db.run(snapshot)
    finally:
        await db.dispose()
    assert first.members_created == ["alice", "bob", "carol", "dave"]
    assert not second.changed and second.unchanged == 4
    assert before == after


async def test_export_reads_back_to_the_same_state(db_url: str) -> None:
    db = open_database(db_url)
    try:
        await db.run(lambda s: import_org(s, ORG_YAML, NOW))
        exported = await db.run(export_org)
        report = await db.run(lambda s: import_org(s, exported, NOW + timedelta(hours=1)))
        again = await db.run(export_org)
    finally:
        await db.dispose()
    assert not report.changed
    assert exported == again
    assert "李博 Bob" in exported  # Chinese is written as text, not escapes


async def test_a_broken_file_lists_every_problem_with_its_line_and_writes_nothing(
    db_url: str,
) -> None:
    db = open_database(db_url)
    try:
        with pytest.raises(OrgFileInvalid) as errors:
            await db.run(lambda s: import_org(s, BROKEN, NOW))
        members = await db.run(lambda s: s.scalar(select(func.count()).select_from(Member)))
    finally:
        await db.dispose()
    found = [str(p) for p in errors.value.problems]  # shape and references in one run
    assert "line 1, org.timezone: unknown time zone 'Mars/Olympus'" in found[0]
    assert any(p.startswith("line 8, members[0].email") for p in found)
    assert any(p.startswith("line 11, members[0].roles[1]") for p in found)
    assert any(p.startswith("line 12, members[1].handle") for p in found)
    assert any(p.startswith("line 17, members[2].identities") and "myspace" in p for p in found)
    assert "line 3, departments[0].parent: unknown department 'Nowhere'" in found
    assert "line 4, departments[1].name: 'Sales' appears twice (first at departments[0])" in found
    assert "line 10, members[0].manager: unknown member 'zed'" in found
    assert "line 16, members[2].manager: a member cannot manage themself" in found
    assert members == 0


# On top of tests/fixtures/org.yaml: at least one problem of each kind, every line's own.
BROKEN_ON_TOP = """\
org: {name: Broken Ltd, timezone: Mars/Olympus, locale: zh_CN, currency: CNY}
departments:
  - {name: Support, parent: Nowhere, head: erin}
  - {name: Support}
  - {name: East, parent: West}
  - {name: West, parent: East}
  - {name: Legal, head: bob}
  - {name: Audit, head: ghost}
members:
  - handle: erin
    name: Erin
    email: erin@
    department: Support
    manager: zed
    roles: [sales, wizard]
  - handle: Bad Handle
    name: Frank
    identities: {myspace: frank}
  - handle: erin
    name: Erin Again
  - handle: gina
    name: Gina
    department: Nowhere
    manager: gina
    identities: {slack: U0ALICE}
  - {handle: hank, name: Hank, manager: ivy}
  - {handle: ivy, name: Ivy, manager: hank}
"""
EVERY_PROBLEM = (
    "line 1, org.timezone: unknown time zone 'Mars/Olympus'",
    "line 3, departments[0].parent: unknown department 'Nowhere'",
    "line 4, departments[1].name: 'Support' appears twice (first at departments[0])",
    "line 5, departments[2].parent: departments form a loop",
    "line 6, departments[3].parent: departments form a loop",
    "line 7, departments[4].head: the head 'bob' is not a member of 'Legal'",
    "line 8, departments[5].head: unknown member 'ghost'",
    "line 12, members[0].email: 'erin@' is not an email address",
    "line 14, members[0].manager: unknown member 'zed'",
    "line 15, members[0].roles[1]: Input should be 'admin'",
    "line 16, members[1].handle: a handle is 1-64 lower-case letters",
    "line 18, members[1].identities: unknown channel 'myspace'",
    "line 19, members[2].handle: 'erin' appears twice (first at members[0])",
    "line 23, members[3].department: unknown department 'Nowhere'",
    "line 24, members[3].manager: a member cannot manage themself",
    "line 25, members[3].identities.slack: slack account 'U0ALICE' already belongs to 'alice'",
    "line 26, members[4].manager: managers form a loop",
    "line 27, members[5].manager: managers form a loop",
)


def row_counts(session: Session) -> tuple[object, ...]:
    """How many rows each directory table has, and the org's name."""
    tables = (Org, Department, Member, MemberRole, ChatIdentity)
    counts = tuple(session.scalar(select(func.count()).select_from(t)) for t in tables)
    return (*counts, session.scalar(select(Org.name)))


async def test_the_cli_lists_every_problem_of_every_kind_in_one_run_and_writes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    env = bot_env(db_url)
    assert run_cli("org", "import", ORG_FILE, env=env).returncode == 0
    before = await query(db_url, row_counts)
    broken = tmp_path / "org.yaml"
    broken.write_text(BROKEN_ON_TOP, encoding="utf-8")
    result = run_cli("org", "import", broken, env=env)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{broken}: {len(EVERY_PROBLEM)} problem(s), nothing was imported:"
    listed = [line.strip() for line in lines[1:]]
    assert len(listed) == len(EVERY_PROBLEM)
    for shown, expected in zip(listed, EVERY_PROBLEM, strict=True):
        assert shown.startswith(expected), (shown, expected)
    assert await query(db_url, row_counts) == before == (1, 2, 4, 6, 5, "Test Trading")


async def test_management_loops_are_refused(db_url: str) -> None:
    loop = ORG_YAML.replace(
        "    roles: [admin, manager]\n", "    manager: bob\n    roles: [admin, manager]\n"
    )
    db = open_database(db_url)
    try:
        with pytest.raises(OrgFileInvalid) as errors:
            await db.run(lambda s: import_org(s, loop, NOW))
    finally:
        await db.dispose()
    assert sum("managers form a loop" in str(p) for p in errors.value.problems) == 3


async def test_a_member_deactivated_by_reimport_is_refused_at_once(chat: Chat) -> None:
    before = await chat.say("carol", "/whoami")
    assert "Carol Chen" in before.text
    deactivated = ORG_YAML.replace(
        "    name: Carol Chen\n", "    name: Carol Chen\n    active: false\n"
    )
    await chat.runtime.db.run(lambda s: import_org(s, deactivated, NOW))
    after = await chat.say("carol", "/whoami")
    assert "deactivated" in after.text and "Carol Chen" not in after.text


async def test_identity_already_bound_to_someone_else_is_a_problem(db_url: str) -> None:
    taken = ORG_YAML.replace(
        "    locale: zh_CN\n", "    locale: zh_CN\n    identities: {slack: U0ALICE}\n", 1
    )
    db = open_database(db_url)
    try:
        with pytest.raises(OrgFileInvalid) as errors:
            await db.run(lambda s: import_org(s, taken, NOW))
    finally:
        await db.dispose()
    assert any("already belongs to 'alice'" in str(p) for p in errors.value.problems)


async def test_prune_deactivates_members_missing_from_the_file(db_url: str) -> None:
    without_bob = (
        ORG_YAML.split("  - handle: bob")[0]
        + "  - handle: carol"
        + ORG_YAML.split("  - handle: carol")[1]
    )
    db = open_database(db_url)
    try:
        await db.run(lambda s: import_org(s, ORG_YAML, NOW))
        kept = await db.run(lambda s: import_org(s, without_bob, NOW))
        pruned = await db.run(lambda s: import_org(s, without_bob, NOW, prune=True))
    finally:
        await db.dispose()
    assert kept.members_deactivated == []
    assert pruned.members_deactivated == ["bob"]
