"""Import and export of the org file: all-or-nothing (every problem of the whole file listed at
once, shape and references together), and idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.models import ChatIdentity, Department, Member, MemberRole, Org
from domain.directory.orgfile import (
    MemberSpec,
    OrgFile,
    OrgFileInvalid,
    OrgRead,
    Problem,
    problem_at,
    read_org_file,
)


@dataclass
class ImportReport:
    """What an import changed."""

    members_created: list[str] = field(default_factory=list)
    members_updated: list[str] = field(default_factory=list)
    members_deactivated: list[str] = field(default_factory=list)
    departments_created: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(
            self.members_created
            or self.members_updated
            or self.members_deactivated
            or self.departments_created
        )


def import_org(session: Session, text: str, now: datetime, *, prune: bool = False) -> ImportReport:
    """Check the whole file, its shape and its references together; on any problem raise
    ``OrgFileInvalid`` with every one of them, and write nothing. Otherwise apply it.

    Members missing from the file are left alone unless ``prune`` deactivates them.
    """
    read = read_org_file(text)
    problems = read.problems + _check_references(session, read)
    if problems or read.spec is None:
        raise OrgFileInvalid(sorted(problems, key=lambda p: (p.line or 0, p.path)))
    return _apply(session, read.spec, now, prune)


def _check_references(session: Session, read: OrgRead) -> list[Problem]:
    """Unknown, repeated or looping names, heads outside their department, taken accounts."""
    root = read.root
    departments = set(session.scalars(select(Department.name))) | read.named
    handles = set(session.scalars(select(Member.handle))) | read.handled
    problems: list[Problem] = []
    problems += _duplicates(root, "departments", "name", [(i, d.name) for i, d in read.departments])
    problems += _duplicates(root, "members", "handle", [(i, m.handle) for i, m in read.members])
    for i, dept in read.departments:
        if dept.parent is not None and dept.parent not in departments:
            problems.append(
                problem_at(root, ("departments", i, "parent"), _unknown_dept(dept.parent))
            )
        if dept.head is not None and dept.head not in handles:
            problems.append(
                problem_at(root, ("departments", i, "head"), _unknown_member(dept.head))
            )
    problems += _heads_outside(session, read)
    for i, member in read.members:
        problems += _member_references(root, i, member, departments, handles)
    problems += _cycles(session, read)
    problems += _identity_conflicts(session, read)
    return problems


def _unknown_dept(name: str) -> str:
    return f"unknown department {name!r}"


def _unknown_member(handle: str) -> str:
    return f"unknown member {handle!r}"


def _duplicates(
    root: yaml.Node | None, section: str, key: str, names: list[tuple[int, str]]
) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for i, name in names:
        if name in first:
            message = f"{name!r} appears twice (first at {section}[{first[name]}])"
            problems.append(problem_at(root, (section, i, key), message))
        else:
            first[name] = i
    return problems


def _heads_outside(session: Session, read: OrgRead) -> list[Problem]:
    """Heads who are not members of their department (or of a department under it)."""
    parents = _existing_parents(session)
    parents.update({d.name: d.parent for _i, d in read.departments})
    homes = _existing_departments(session)
    homes.update({m.handle: m.department for _i, m in reversed(read.members)})  # first counts
    problems = []
    for i, dept in read.departments:
        if dept.head is None or dept.head not in homes:
            continue  # no head, or an unknown one (reported as such)
        if not _within(homes[dept.head], dept.name, parents):
            message = f"the head {dept.head!r} is not a member of {dept.name!r}"
            problems.append(problem_at(read.root, ("departments", i, "head"), message))
    return problems


def _within(department: str | None, ancestor: str, parents: dict[str, str | None]) -> bool:
    """Whether ``department`` is ``ancestor`` or lies under it (a loop ends the climb)."""
    seen: set[str] = set()
    while department is not None and department not in seen:
        if department == ancestor:
            return True
        seen.add(department)
        department = parents.get(department)
    return False


def _member_references(
    root: yaml.Node | None, i: int, member: MemberSpec, departments: set[str], handles: set[str]
) -> list[Problem]:
    problems = []
    if member.department is not None and member.department not in departments:
        problems.append(
            problem_at(root, ("members", i, "department"), _unknown_dept(member.department))
        )
    if member.manager is not None and member.manager not in handles:
        problems.append(
            problem_at(root, ("members", i, "manager"), _unknown_member(member.manager))
        )
    if member.manager == member.handle:
        problems.append(
            problem_at(root, ("members", i, "manager"), "a member cannot manage themself")
        )
    return problems


def _cycles(session: Session, read: OrgRead) -> list[Problem]:
    """Report department parent loops and management loops the file would create."""
    parents = _existing_parents(session)
    parents.update({d.name: d.parent for _i, d in read.departments})
    managers = _existing_managers(session)
    managers.update({m.handle: m.manager for _i, m in read.members})
    problems = []
    for i, dept in read.departments:
        if _in_cycle(dept.name, parents):
            problems.append(
                problem_at(read.root, ("departments", i, "parent"), "departments form a loop")
            )
    for i, member in read.members:
        if member.manager != member.handle and _in_cycle(member.handle, managers):
            problems.append(
                problem_at(read.root, ("members", i, "manager"), "managers form a loop")
            )
    return problems


def _existing_parents(session: Session) -> dict[str, str | None]:
    names = {i: n for i, n in session.execute(select(Department.id, Department.name))}
    rows = session.execute(select(Department.name, Department.parent_id))
    return {name: names.get(parent) if parent else None for name, parent in rows}


def _existing_managers(session: Session) -> dict[str, str | None]:
    handles = {i: h for i, h in session.execute(select(Member.id, Member.handle))}
    rows = session.execute(select(Member.handle, Member.manager_id))
    return {handle: handles.get(manager) if manager else None for handle, manager in rows}


def _existing_departments(session: Session) -> dict[str, str | None]:
    names = {i: n for i, n in session.execute(select(Department.id, Department.name))}
    rows = session.execute(select(Member.handle, Member.department_id))
    return {handle: names.get(dept) if dept else None for handle, dept in rows}


def _in_cycle(start: str, links: dict[str, str | None]) -> bool:
    seen = {start}
    node = links.get(start)
    while node is not None:
        if node in seen:
            return node == start
        seen.add(node)
        node = links.get(node)
    return False


def _identity_conflicts(session: Session, read: OrgRead) -> list[Problem]:
    owners = {
        (channel, workspace, user): handle
        for channel, workspace, user, handle in session.execute(
            select(
                ChatIdentity.channel,
                ChatIdentity.workspace,
                ChatIdentity.platform_user_id,
                Member.handle,
            ).join(Member, Member.id == ChatIdentity.member_id)
        )
    }
    claimed: dict[tuple[str, str, str], str] = {}
    problems = []
    for i, member in read.members:
        for channel, ident in member.identities.items():
            key = (channel, ident.workspace, ident.user)
            owner = claimed.get(key) or owners.get(key)
            if owner is not None and owner != member.handle:
                message = f"{channel} account {ident.user!r} already belongs to {owner!r}"
                path = ("members", i, "identities", channel)
                problems.append(problem_at(read.root, path, message))
            claimed[key] = member.handle
    return problems


def _apply(session: Session, spec: OrgFile, now: datetime, prune: bool) -> ImportReport:
    report = ImportReport()
    _apply_org(session, spec)
    departments = _ensure_departments(session, spec, report)
    members = _ensure_members(session, spec, now, report)
    for dept in spec.departments:
        row = departments[dept.name]
        row.parent_id = departments[dept.parent].id if dept.parent else None
        row.head_id = members[dept.head].id if dept.head else None
    for member_spec in spec.members:
        _apply_links(
            session, members[member_spec.handle], member_spec, departments, members, now, report
        )
    if prune:
        _prune(session, {m.handle for m in spec.members}, now, report)
    report.unchanged = len(spec.members) - len(report.members_created) - len(report.members_updated)
    return report


def _apply_org(session: Session, spec: OrgFile) -> None:
    org = session.get(Org, 1) or Org(id=1)
    org.name, org.timezone = spec.org.name, spec.org.timezone
    org.locale, org.currency = spec.org.locale, spec.org.currency
    session.add(org)


def _ensure_departments(
    session: Session, spec: OrgFile, report: ImportReport
) -> dict[str, Department]:
    rows = {d.name: d for d in session.scalars(select(Department))}
    for dept in spec.departments:
        if dept.name not in rows:
            rows[dept.name] = Department(name=dept.name)
            session.add(rows[dept.name])
            report.departments_created.append(dept.name)
    session.flush()
    return rows


def _ensure_members(
    session: Session, spec: OrgFile, now: datetime, report: ImportReport
) -> dict[str, Member]:
    rows = {m.handle: m for m in session.scalars(select(Member))}
    for member in spec.members:
        if member.handle not in rows:
            rows[member.handle] = Member(
                handle=member.handle, name=member.name, active=True, created_at=now, updated_at=now
            )
            session.add(rows[member.handle])
            report.members_created.append(member.handle)
    session.flush()
    return rows


def _apply_links(
    session: Session,
    row: Member,
    spec: MemberSpec,
    departments: dict[str, Department],
    members: dict[str, Member],
    now: datetime,
    report: ImportReport,
) -> None:
    wanted: dict[str, Any] = {
        "name": spec.name,
        "email": spec.email,
        "phone": spec.phone,
        "department_id": departments[spec.department].id if spec.department else None,
        "manager_id": members[spec.manager].id if spec.manager else None,
        "locale": spec.locale,
        "timezone": spec.timezone,
        "active": spec.active,
    }
    changed = any(getattr(row, key) != value for key, value in wanted.items())
    changed |= _apply_roles(row, spec)
    changed |= _apply_identities(session, row, spec, now)
    if changed:
        for key, value in wanted.items():
            setattr(row, key, value)
        row.updated_at = now
        if spec.handle not in report.members_created:
            report.members_updated.append(spec.handle)


def _apply_roles(row: Member, spec: MemberSpec) -> bool:
    wanted = sorted({str(r) for r in spec.roles})
    if [r.role for r in row.roles] == wanted:
        return False
    row.roles = [MemberRole(role=r) for r in wanted]
    return True


def _apply_identities(session: Session, row: Member, spec: MemberSpec, now: datetime) -> bool:
    existing = {
        (i.channel, i.workspace): i
        for i in session.scalars(select(ChatIdentity).where(ChatIdentity.member_id == row.id))
    }
    changed = False
    for channel, ident in spec.identities.items():
        current = existing.get((channel, ident.workspace))
        if current is None:
            session.add(
                ChatIdentity(
                    member_id=row.id,
                    channel=channel,
                    workspace=ident.workspace,
                    platform_user_id=ident.user,
                    created_at=now,
                )
            )
            changed = True
        elif current.platform_user_id != ident.user:
            current.platform_user_id = ident.user
            changed = True
    return changed


def _prune(session: Session, keep: set[str], now: datetime, report: ImportReport) -> None:
    for member in session.scalars(select(Member).where(Member.active.is_(True))):
        if member.handle not in keep:
            member.active = False
            member.updated_at = now
            report.members_deactivated.append(member.handle)


def export_org(session: Session) -> str:
    """The directory as an org file that ``import_org`` reads back to the same state."""
    org = session.get(Org, 1)
    members = list(session.scalars(select(Member).order_by(Member.handle)))
    handles = {m.id: m.handle for m in members}
    departments = list(session.scalars(select(Department).order_by(Department.id)))
    names = {d.id: d.name for d in departments}
    doc: dict[str, Any] = {
        "org": {
            "name": org.name if org else "Bizbot",
            "timezone": org.timezone if org else "UTC",
            "locale": org.locale if org else "en",
            "currency": org.currency if org else "CNY",
        },
        "departments": [_export_department(d, names, handles) for d in departments],
        "members": [_export_member(session, m, names, handles) for m in members],
    }
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def _export_department(
    dept: Department, names: dict[int, str], handles: dict[int, str]
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": dept.name}
    if dept.parent_id:
        out["parent"] = names[dept.parent_id]
    if dept.head_id:
        out["head"] = handles[dept.head_id]
    return out


def _export_member(
    session: Session, member: Member, names: dict[int, str], handles: dict[int, str]
) -> dict[str, Any]:
    out: dict[str, Any] = {"handle": member.handle, "name": member.name}
    optional = {
        "email": member.email,
        "phone": member.phone,
        "department": names.get(member.department_id) if member.department_id else None,
        "manager": handles.get(member.manager_id) if member.manager_id else None,
        "locale": member.locale,
        "timezone": member.timezone,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    out["roles"] = [r.role for r in member.roles]
    if not member.active:
        out["active"] = False
    identities = session.scalars(
        select(ChatIdentity)
        .where(ChatIdentity.member_id == member.id)
        .order_by(ChatIdentity.channel)
    )
    out["identities"] = {
        i.channel: (
            {"user": i.platform_user_id, "workspace": i.workspace}
            if i.workspace
            else i.platform_user_id
        )
        for i in identities
    }
    return out
