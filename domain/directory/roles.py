"""Roles and the permissions they grant (docs/PERMISSIONS.md shows the table; a test checks it)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    """What a member is in the organisation."""

    ADMIN = "admin"
    MANAGER = "manager"
    HR = "hr"
    FINANCE = "finance"
    SALES = "sales"
    SERVICE = "service"
    WAREHOUSE = "warehouse"
    PURCHASING = "purchasing"
    PRODUCTION = "production"
    EMPLOYEE = "employee"


class Permission(StrEnum):
    """Something a command or button may require."""

    USE = "use"
    INVITE_MEMBERS = "directory.invite"
    VIEW_DIRECTORY = "directory.view"
    OPERATE = "system.operate"
    REMIND_OTHERS = "reminders.others"
    AUDIT_APPROVALS = "approvals.audit"
    NOTICE_MANY = "notices.many"
    READ_CALENDARS = "calendar.others"
    CRM_USE = "crm.use"
    CRM_ALL = "crm.all"
    CATALOG_EDIT = "erp.catalog"
    STOCK_MOVE = "erp.stock.move"
    PURCHASE = "erp.purchase"
    PRODUCE = "erp.produce"
    FINANCE_POST = "finance.post"
    FINANCE_READ = "finance.read"
    FINANCE_DEPARTMENT = "finance.department"


ALL_ROLES = frozenset(Role)

GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.USE: ALL_ROLES,
    Permission.VIEW_DIRECTORY: ALL_ROLES,
    Permission.INVITE_MEMBERS: frozenset({Role.ADMIN, Role.HR}),
    Permission.OPERATE: frozenset({Role.ADMIN}),
    Permission.REMIND_OTHERS: frozenset({Role.ADMIN, Role.MANAGER, Role.HR}),
    Permission.AUDIT_APPROVALS: frozenset({Role.ADMIN, Role.HR}),
    Permission.NOTICE_MANY: frozenset({Role.ADMIN, Role.MANAGER, Role.HR}),
    Permission.READ_CALENDARS: frozenset({Role.ADMIN, Role.HR}),
    Permission.CRM_USE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE}),
    Permission.CRM_ALL: frozenset({Role.ADMIN}),
    Permission.CATALOG_EDIT: frozenset({Role.ADMIN, Role.WAREHOUSE}),
    Permission.STOCK_MOVE: frozenset({Role.WAREHOUSE}),
    Permission.PURCHASE: frozenset({Role.ADMIN, Role.PURCHASING}),
    Permission.PRODUCE: frozenset({Role.ADMIN, Role.PRODUCTION}),
    Permission.FINANCE_POST: frozenset({Role.FINANCE}),
    Permission.FINANCE_READ: frozenset({Role.ADMIN, Role.FINANCE}),
    Permission.FINANCE_DEPARTMENT: frozenset({Role.MANAGER}),
}

PERMISSION_PURPOSE: dict[Permission, str] = {
    Permission.USE: "Talk to Bizbot: /help, /whoami, /lang, /ping",
    Permission.VIEW_DIRECTORY: "Look people up in the directory",
    Permission.INVITE_MEMBERS: "Create bind codes for colleagues (/invite)",
    Permission.OPERATE: "Operate the installation (outbox, imports)",
    Permission.REMIND_OTHERS: "Set reminders for other members and for a whole conversation",
    Permission.AUDIT_APPROVALS: "See every approval request and anyone's leave balance",
    Permission.NOTICE_MANY: "Send an urgent notice (/ding) to more than 5 people (up to 50)",
    Permission.READ_CALENDARS: "Read every member's calendar in full (/agenda @member)",
    Permission.CRM_USE: "Use the CRM: customers, deals, campaigns and tickets in their scope",
    Permission.CRM_ALL: "See and change every customer, deal and ticket (not only their team's)",
    Permission.CATALOG_EDIT: "Add and change products, add warehouses (/product, /warehouse)",
    Permission.STOCK_MOVE: "Move stock: /transfer-stock between warehouses, /adjust after a count",
    Permission.PURCHASE: "Buy: suppliers, quotes and purchase orders (/supplier, /rfq, /po)",
    Permission.PRODUCE: "Plan, release and report production orders (/mo, /produce)",
    Permission.FINANCE_POST: "Keep the books: post entries, record payments, close periods",
    Permission.FINANCE_READ: "See all of the books: statements, ledgers, receivables and payables",
    Permission.FINANCE_DEPARTMENT: "See the figures of their own department (statements, budgets)",
}


def effective_roles(roles: Iterable[str]) -> frozenset[Role]:
    """The member's roles plus ``employee``, which every active member has."""
    return frozenset(Role(r) for r in roles) | {Role.EMPLOYEE}


def allows(roles: Iterable[str], permission: Permission) -> bool:
    """Whether a member with these roles holds the permission."""
    return bool(effective_roles(roles) & GRANTS[permission])
