"""Importing customers and contacts from CSV files (docs/CRM.md, "Import and report").

Reading and checking are pure: every row is checked and each problem is located by line and
column. Writing is idempotent by external key: a row equal to its record changes nothing, a
different one updates it, a new key creates one. Existing keys are looked up in bulk, per batch.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.customers import refresh_search_keys
from domain.crm.models import Contact, Customer
from domain.directory.models import Member
from domain.shared.csvfile import ImportRefused, Row, read_csv

Kind = Literal["customers", "contacts"]
CUSTOMER_COLUMNS = (
    "key", "name", "kind", "industry", "tier", "source", "tags", "owner", "phone", "email",
    "address",
)  # fmt: skip
CONTACT_COLUMNS = (
    "key", "customer_key", "name", "title", "phones", "emails", "channel", "lang", "prefs",
)  # fmt: skip
CUSTOMER_KINDS = ("company", "person")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {"key": 128, "name": 200, "industry": 100, "tier": 32, "source": 100, "phone": 64,
          "email": 320, "address": 500, "title": 200, "channel": 32, "lang": 16}  # fmt: skip
LOOKUP_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Table:
    """A read file: which kind of records it holds, and its rows."""

    kind: Kind
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one row cannot be imported: its line, the column at fault, and what is wrong."""

    line: int
    column: str
    problem: str


@dataclass(frozen=True, slots=True)
class Record:
    """A checked row: its external key and the values of its record's columns."""

    line: int
    key: str
    values: dict[str, Any]


@dataclass
class Checked:
    """The rows that may be imported and the problems of the others."""

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def broken_lines(self) -> int:
        """How many rows have at least one problem."""
        return len({p.line for p in self.problems})


@dataclass
class Tally:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Tally) -> None:
        """Count another batch in."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def read_table(data: bytes) -> Table:
    """Decode (UTF-8, with or without BOM) and split the file; the header says its kind."""
    header, rows = read_csv(data)
    kind: Kind = "contacts" if "customer_key" in header else "customers"
    expected = CONTACT_COLUMNS if kind == "contacts" else CUSTOMER_COLUMNS
    missing = [c for c in ("key", "name") if c not in header]
    unknown = [c for c in header if c not in expected]
    if missing or unknown:
        raise ImportRefused(_header_problem(kind, missing, unknown))
    return Table(kind, tuple(rows))


def _header_problem(kind: Kind, missing: list[str], unknown: list[str]) -> str:
    expected = CONTACT_COLUMNS if kind == "contacts" else CUSTOMER_COLUMNS
    parts = []
    if missing:
        parts.append(f"missing column(s): {', '.join(missing)}")
    if unknown:
        parts.append(f"unknown column(s): {', '.join(unknown)}")
    return f"line 1 ({kind} file): {'; '.join(parts)}; the columns are: {', '.join(expected)}"


def owners_by_handle(session: Session) -> dict[str, int]:
    """Active members' ids by lower-case handle."""
    rows = session.execute(select(Member.handle, Member.id).where(Member.active.is_(True)))
    return {handle.lower(): member_id for handle, member_id in rows}


def customer_ids_by_key(session: Session, keys: Iterable[str]) -> dict[str, int]:
    """The ids of the customers with these external keys (looked up in chunks)."""
    found: dict[str, int] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        query = select(Customer.external_key, Customer.id).where(Customer.external_key.in_(chunk))
        found |= {key: row_id for key, row_id in session.execute(query) if key is not None}
    return found


def check_customers(
    rows: Sequence[Row], owners: dict[str, int], default_owner: int | None
) -> Checked:
    """Check every customer row; ``owners`` maps handles to member ids."""
    checked = Checked()
    seen: dict[str, int] = {}
    for row in rows:
        problems = _common_problems(row, seen)
        owner = _owner_of(row, owners, default_owner, problems)
        kind = row.cells.get("kind", "").lower() or "company"
        if kind not in CUSTOMER_KINDS:
            problems.append(Problem(row.line, "kind", f"must be company or person, not {kind!r}"))
        email = row.cells.get("email", "")
        if email and not EMAIL.match(email):
            problems.append(Problem(row.line, "email", f"not an email address: {email!r}"))
        if problems or owner is None:
            checked.problems += problems
            continue
        checked.records.append(
            Record(row.line, row.cells["key"], _customer_values(row, kind, owner))
        )
    return checked


def check_contacts(rows: Sequence[Row], customers: dict[str, int]) -> Checked:
    """Check every contact row; ``customers`` maps existing customers' keys to their ids."""
    checked = Checked()
    seen: dict[str, int] = {}
    for row in rows:
        problems = _common_problems(row, seen)
        customer_key = row.cells.get("customer_key", "")
        customer_id = customers.get(customer_key)
        if not customer_key:
            problems.append(Problem(row.line, "customer_key", "required"))
        elif customer_id is None:
            problems.append(Problem(row.line, "customer_key", f"no customer {customer_key!r}"))
        for email in _list(row.cells.get("emails", "")):
            if not EMAIL.match(email):
                problems.append(Problem(row.line, "emails", f"not an email address: {email!r}"))
        if problems or customer_id is None:
            checked.problems += problems
            continue
        checked.records.append(
            Record(row.line, row.cells["key"], _contact_values(row, customer_id))
        )
    return checked


def _common_problems(row: Row, seen: dict[str, int]) -> list[Problem]:
    """Required key and name, a key not seen on an earlier line, lengths, stray cells."""
    problems = [Problem(row.line, c, "required") for c in ("key", "name") if not row.cells.get(c)]
    key = row.cells.get("key", "")
    if key in seen:
        problems.append(Problem(row.line, "key", f"duplicate of line {seen[key]}"))
    elif key:
        seen[key] = row.line
    for column, limit in LIMITS.items():
        if len(row.cells.get(column, "")) > limit:
            problems.append(Problem(row.line, column, f"longer than {limit} characters"))
    if "" in row.cells:
        problems.append(Problem(row.line, "", "more cells than columns"))
    return problems


def _owner_of(
    row: Row, owners: dict[str, int], default_owner: int | None, problems: list[Problem]
) -> int | None:
    handle = row.cells.get("owner", "").lstrip("@").lower()
    if not handle:
        if default_owner is None:
            problems.append(Problem(row.line, "owner", "required (or give --owner)"))
        return default_owner
    owner = owners.get(handle)
    if owner is None:
        problems.append(Problem(row.line, "owner", f"no active member @{handle}"))
    return owner


def _list(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _customer_values(row: Row, kind: str, owner: int) -> dict[str, Any]:
    cells = row.cells
    values: dict[str, Any] = {
        "kind": kind,
        "owner_id": owner,
        "tags": _list(cells.get("tags", "")),
        **{c: cells.get(c, "") for c in ("name", "industry", "tier", "source", "phone", "address")},
        "email": cells.get("email", "").lower(),
    }
    return values


def _contact_values(row: Row, customer_id: int) -> dict[str, Any]:
    cells = row.cells
    return {
        "customer_id": customer_id,
        "name": cells["name"],
        "title": cells.get("title", ""),
        "phones": _list(cells.get("phones", "")),
        "emails": [e.lower() for e in _list(cells.get("emails", ""))],
        "preferred_channel": cells.get("channel", ""),
        "locale": cells.get("lang", ""),
        "preferences": cells.get("prefs", ""),
    }


def save_records(session: Session, kind: Kind, records: Sequence[Record], now: datetime) -> Tally:
    """Create or update one batch of checked records by external key."""
    model: type[Customer] | type[Contact] = Contact if kind == "contacts" else Customer
    existing = _by_key(session, kind, [r.key for r in records])
    tally = Tally()
    touched: list[Customer | Contact] = []
    for record in records:
        row = existing.get(record.key)
        if row is None:
            row = model(external_key=record.key, created_at=now, updated_at=now, **record.values)
            session.add(row)
            touched.append(row)
            tally.created += 1
        elif _differs(row, record.values):
            for name, value in record.values.items():
                setattr(row, name, value)
            row.updated_at = now
            touched.append(row)
            tally.updated += 1
        else:
            tally.unchanged += 1
    session.flush()
    refresh_search_keys(session, {_customer_id(row) for row in touched})
    session.flush()
    return tally


def _customer_id(row: Customer | Contact) -> int:
    return row.customer_id if isinstance(row, Contact) else row.id


def _by_key(session: Session, kind: Kind, keys: list[str]) -> dict[str, Customer | Contact]:
    """The records of this kind with these external keys, by key."""
    rows: Sequence[Customer | Contact]
    if kind == "contacts":
        rows = session.scalars(select(Contact).where(Contact.external_key.in_(keys))).all()
    else:
        rows = session.scalars(select(Customer).where(Customer.external_key.in_(keys))).all()
    return {row.external_key: row for row in rows if row.external_key is not None}


def _differs(row: Customer | Contact, values: dict[str, Any]) -> bool:
    return any(getattr(row, name) != value for name, value in values.items())


def problems_csv(problems: Sequence[Problem]) -> str:
    """The error report: one line per problem (line, column, problem), for a spreadsheet."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("line", "column", "problem"))
    writer.writerows((p.line, p.column, p.problem) for p in problems)
    return out.getvalue()
