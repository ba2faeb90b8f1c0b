"""The directory as approvals see it: managers up the chain, department heads, role holders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.models import Department, Member, MemberRole
from domain.directory.roles import Role

MAX_CHAIN = 32  # the org file refuses management loops; this only bounds a walk


@dataclass(frozen=True, slots=True)
class Person:
    """A member, as shown on approval cards."""

    id: int
    handle: str
    name: str
    active: bool
    manager_id: int | None
    department_id: int | None


def person(session: Session, member_id: int) -> Person | None:
    """One member (None if there is none)."""
    row = session.get(Member, member_id)
    if row is None:
        return None
    return Person(row.id, row.handle, row.name, row.active, row.manager_id, row.department_id)


def people(session: Session, ids: Iterable[int]) -> dict[int, Person]:
    """Members by id."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Member).where(Member.id.in_(wanted)))
    return {
        r.id: Person(r.id, r.handle, r.name, r.active, r.manager_id, r.department_id) for r in rows
    }


def member_id_by_handle(session: Session, handle: str) -> int | None:
    """An active member's id by handle (a leading @ is ignored)."""
    return session.scalar(
        select(Member.id).where(
            Member.handle == handle.strip().lstrip("@").lower(), Member.active.is_(True)
        )
    )


def manager_at_level(session: Session, member_id: int, level: int) -> int | None:
    """The member's manager (level 1), their manager (2), …; None past the top."""
    current: int | None = member_id
    for _ in range(min(level, MAX_CHAIN)):
        current = session.scalar(select(Member.manager_id).where(Member.id == current))
        if current is None:
            return None
    return current


def department_head(session: Session, member_id: int) -> int | None:
    """The head of the member's department; for its own head, the head of the parent."""
    member = session.get(Member, member_id)
    department = (
        session.get(Department, member.department_id) if member and member.department_id else None
    )
    for _ in range(MAX_CHAIN):
        if department is None:
            return None
        if department.head_id is not None and department.head_id != member_id:
            return department.head_id
        department = session.get(Department, department.parent_id) if department.parent_id else None
    return None


def holders_of(session: Session, role: Role | str) -> list[int]:
    """Active members holding a role, by id."""
    return list(
        session.scalars(
            select(Member.id)
            .join(MemberRole, MemberRole.member_id == Member.id)
            .where(MemberRole.role == str(role), Member.active.is_(True))
            .order_by(Member.id)
        )
    )


def known_handles(session: Session) -> set[str]:
    """Every member's handle."""
    return set(session.scalars(select(Member.handle)))


def department_name(session: Session, member_id: int) -> str | None:
    """The name of the member's department."""
    return session.scalar(
        select(Department.name)
        .join(Member, Member.department_id == Department.id)
        .where(Member.id == member_id)
    )


def roles_of(session: Session, member_id: int) -> list[str]:
    """The member's roles, plus employee."""
    stored = session.scalars(select(MemberRole.role).where(MemberRole.member_id == member_id))
    return sorted({*stored, str(Role.EMPLOYEE)})
