"""Whose CRM records a member may see: a rep their own, a manager their departments', an
administrator (``crm.all``) everyone's. Every command that takes an id checks the object's owner
against this scope, so a guessed id answers exactly like a missing one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.models import Department, Member
from domain.directory.roles import Permission, Role, allows


@dataclass(frozen=True, slots=True)
class Scope:
    """The owners whose records a member sees; ``everyone`` means no restriction."""

    member_id: int
    owner_ids: frozenset[int]
    everyone: bool = False

    def covers(self, owner_id: int | None) -> bool:
        """Whether a record owned by ``owner_id`` is in scope (unowned ones only for everyone)."""
        return self.everyone or (owner_id is not None and owner_id in self.owner_ids)


def scope_of(session: Session, member_id: int, roles: tuple[str, ...]) -> Scope:
    """The scope of a member with these roles."""
    if allows(roles, Permission.CRM_ALL):
        return Scope(member_id, frozenset(), everyone=True)
    owners = {member_id}
    if Role.MANAGER in roles:
        owners |= _department_members(session, member_id)
    return Scope(member_id, frozenset(owners))


def _department_members(session: Session, manager_id: int) -> set[int]:
    """Members of the departments the manager heads or belongs to, and of their sub-departments,
    plus everyone who reports to the manager, directly or not."""
    departments = {
        d
        for d in session.scalars(select(Member.department_id).where(Member.id == manager_id)).all()
        if d is not None
    }
    departments |= set(
        session.scalars(select(Department.id).where(Department.head_id == manager_id))
    )
    departments = _with_subdepartments(session, departments)
    members = set(session.scalars(select(Member.id).where(Member.department_id.in_(departments))))
    return members | _reports_of(session, manager_id)


def _with_subdepartments(session: Session, roots: set[int]) -> set[int]:
    tree = {d: parent for d, parent in session.execute(select(Department.id, Department.parent_id))}
    found = set(roots)
    changed = True
    while changed:
        more = {d for d, parent in tree.items() if parent in found and d not in found}
        found |= more
        changed = bool(more)
    return found


def _reports_of(session: Session, manager_id: int) -> set[int]:
    managers = {m: boss for m, boss in session.execute(select(Member.id, Member.manager_id))}
    found: set[int] = set()
    frontier = {manager_id}
    while frontier:
        frontier = {m for m, boss in managers.items() if boss in frontier and m not in found}
        found |= frontier
    return found
