"""Org file import: all or nothing, idempotent, every problem located, deactivation immediate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.directory.importer import export_org, import_org
from domain.directory.models import ChatIdentity, Department, Member, MemberRole
from domain.directory.orgfile import OrgFileInvalid
from domain.shared.db import open_database
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
        with pytest.raises(OrgFileInvalid) as shape_errors:
            await db.run(lambda s: import_org(s, BROKEN, NOW))
        fixed_shape = BROKEN.replace("Mars/Olympus", "UTC").replace("alice@", "alice@example.com")
        fixed_shape = (
            fixed_shape.replace(", wizard", "")
            .replace("Bad Handle", "bob")
            .replace("myspace", "slack")
        )
        with pytest.raises(OrgFileInvalid) as reference_errors:
            await db.run(lambda s: import_org(s, fixed_shape, NOW))
        members = await db.run(lambda s: s.scalar(select(func.count()).select_from(Member)))
    finally:
        await db.dispose()
    shape = [str(p) for p in shape_errors.value.problems]
    assert "line 1, org.timezone: unknown time zone 'Mars/Olympus'" in shape[0]
    assert any(p.startswith("line 8, members[0].email") for p in shape)
    assert any(p.startswith("line 11, members[0].roles[1]") for p in shape)
    assert any(p.startswith("line 12, members[1].handle") for p in shape)
    assert any(p.startswith("line 17, members[2].identities") and "myspace" in p for p in shape)
    refs = [str(p) for p in reference_errors.value.problems]
    assert "line 3, departments[0].parent: unknown department 'Nowhere'" in refs
    assert "line 4, departments[1].name: 'Sales' appears twice" in refs
    assert "line 10, members[0].manager: unknown member 'zed'" in refs
    assert "line 16, members[2].manager: a member cannot manage themself" in refs
    assert members == 0


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
