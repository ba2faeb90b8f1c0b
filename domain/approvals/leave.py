"""Leave balances: yearly allocations per leave type, days held by pending requests, days used.

available = allocated - used - held. A type is tracked in a year when the org allocated it to
anyone that year; untracked types (e.g. sick leave) are not limited. A request counts in the
year its leave starts. Every change is a conditional UPDATE of the balance row plus an entry in
the append-only ledger, so concurrent requests cannot overdraw and nothing moves twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, ColumnElement, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from domain.approvals.labels import _
from domain.approvals.models import LeaveBalance, LeaveEntry
from domain.approvals.people import member_id_by_handle
from domain.approvals.state import RequestState, Status
from domain.approvals.template import TemplateSpec
from domain.directory.orgfile import problem_at
from domain.shared.errors import Conflict
from domain.shared.yamlfile import DefinitionInvalid, load_yaml, validate

TENTHS = Decimal(10)


@dataclass(frozen=True, slots=True)
class Balance:
    """One leave type of one member in one year."""

    leave_type: str
    year: int
    allocated: Decimal
    held: Decimal
    used: Decimal

    @property
    def available(self) -> Decimal:
        """Days still free to request."""
        return self.allocated - self.used - self.held


@dataclass(frozen=True, slots=True)
class LeaveOf:
    """The leave a request asks for."""

    member_id: int
    leave_type: str
    first: date
    last: date
    days: Decimal
    deputy_id: int | None

    @property
    def year(self) -> int:
        """The year whose balance the leave counts against."""
        return self.first.year


def leave_of(spec: TemplateSpec, state: RequestState) -> LeaveOf | None:
    """The leave of a leave request (None for other requests or an incomplete form)."""
    mapping = spec.leave_spec()
    if mapping is None:
        return None
    fields = state.fields
    dates, kind, days = (
        fields.get(mapping.dates),
        fields.get(mapping.type),
        fields.get(mapping.days),
    )
    if not dates or kind is None or days is None:
        return None
    deputy = fields.get(mapping.deputy) if mapping.deputy else None
    return LeaveOf(
        member_id=state.initiator,
        leave_type=str(kind),
        first=date.fromisoformat(dates["from"]),
        last=date.fromisoformat(dates["to"]),
        days=Decimal(days),
        deputy_id=int(deputy) if deputy is not None else None,
    )


def _tenths(days: Decimal) -> int:
    return int((days * TENTHS).to_integral_value())


def _col(column: Any) -> ColumnElement[int]:
    return type_coerce(column, BigInteger())


def _key(member_id: int, leave_type: str, year: int) -> list[ColumnElement[bool]]:
    return [
        LeaveBalance.member_id == member_id,
        LeaveBalance.leave_type == leave_type,
        LeaveBalance.year == year,
    ]


def is_tracked(session: Session, leave_type: str, year: int) -> bool:
    """Whether the org keeps balances of this type in this year."""
    return (
        session.scalar(
            select(func.count())
            .select_from(LeaveBalance)
            .where(LeaveBalance.leave_type == leave_type, LeaveBalance.year == year)
        )
        or 0
    ) > 0


def balance(session: Session, member_id: int, leave_type: str, year: int) -> Balance:
    """A member's balance of one type (zero if nothing was allocated)."""
    row = session.execute(
        select(LeaveBalance.allocated, LeaveBalance.held, LeaveBalance.used).where(
            *_key(member_id, leave_type, year)
        )
    ).first()
    zero = Decimal(0)
    if row is None:
        return Balance(leave_type, year, zero, zero, zero)
    return Balance(leave_type, year, row.allocated, row.held, row.used)


def balances(session: Session, member_id: int, year: int) -> list[Balance]:
    """Every balance a member has in a year."""
    rows = session.execute(
        select(LeaveBalance)
        .where(LeaveBalance.member_id == member_id, LeaveBalance.year == year)
        .order_by(LeaveBalance.leave_type)
    ).scalars()
    return [Balance(r.leave_type, r.year, r.allocated, r.held, r.used) for r in rows]


def allocate(
    session: Session, member_id: int, leave_type: str, year: int, days: Decimal, now: datetime
) -> Balance:
    """Set a member's yearly allocation of a type to ``days`` (idempotent)."""
    current = balance(session, member_id, leave_type, year)
    if current.allocated == days and _exists(session, member_id, leave_type, year):
        return current
    if not _exists(session, member_id, leave_type, year):
        session.execute(
            insert(LeaveBalance).values(
                member_id=member_id,
                leave_type=leave_type,
                year=year,
                allocated=Decimal(0),
                held=Decimal(0),
                used=Decimal(0),
            )
        )
    delta = days - current.allocated
    session.execute(
        update(LeaveBalance)
        .where(*_key(member_id, leave_type, year))
        .values(allocated=_col(LeaveBalance.allocated) + _tenths(delta))
    )
    _entry(session, member_id, leave_type, year, "allocation", delta, None, None, now)
    return balance(session, member_id, leave_type, year)


def _exists(session: Session, member_id: int, leave_type: str, year: int) -> bool:
    return (
        session.scalar(select(LeaveBalance.year).where(*_key(member_id, leave_type, year)))
        is not None
    )


def _entry(
    session: Session,
    member_id: int,
    leave_type: str,
    year: int,
    kind: str,
    days: Decimal,
    request_id: int | None,
    version: int | None,
    now: datetime,
) -> None:
    session.add(
        LeaveEntry(
            member_id=member_id,
            leave_type=leave_type,
            year=year,
            kind=kind,
            days=days,
            request_id=request_id,
            version=version,
            at=now,
        )
    )
    session.flush()


def hold(session: Session, leave: LeaveOf, request_id: int, version: int, now: datetime) -> None:
    """Set the days aside while the request is decided; Conflict if too few are left."""
    if not is_tracked(session, leave.leave_type, leave.year):
        return
    d = _tenths(leave.days)
    b = LeaveBalance
    held = session.execute(
        update(b)
        .where(
            *_key(leave.member_id, leave.leave_type, leave.year),
            _col(b.allocated) - _col(b.used) - _col(b.held) >= d,
        )
        .values(held=_col(b.held) + d)
    )
    if held.rowcount != 1:  # type: ignore[attr-defined]
        left = balance(session, leave.member_id, leave.leave_type, leave.year).available
        raise Conflict(
            _("Not enough {type} leave in {year}: {left} days left, {days} asked."),
            type=leave.leave_type,
            year=leave.year,
            left=_plain(left),
            days=_plain(leave.days),
        )
    _entry(
        session,
        leave.member_id,
        leave.leave_type,
        leave.year,
        "hold",
        leave.days,
        request_id,
        version,
        now,
    )


def outstanding_hold(session: Session, request_id: int) -> Decimal:
    """Days a request still holds (held and not yet released)."""
    rows = session.execute(
        select(LeaveEntry.kind, LeaveEntry.days).where(
            LeaveEntry.request_id == request_id, LeaveEntry.kind.in_(("hold", "release"))
        )
    )
    return sum((d if k == "hold" else -d for k, d in rows), Decimal(0))


def used_by(session: Session, request_id: int) -> Decimal:
    """Days a request has used (deducted and not restored)."""
    rows = session.execute(
        select(LeaveEntry.kind, LeaveEntry.days).where(
            LeaveEntry.request_id == request_id, LeaveEntry.kind.in_(("deduction", "restore"))
        )
    )
    return sum((d if k == "deduction" else -d for k, d in rows), Decimal(0))


def release(session: Session, leave: LeaveOf, request_id: int, version: int, now: datetime) -> None:
    """Give back what a request holds (rejected, withdrawn or returned)."""
    days = outstanding_hold(session, request_id)
    if days <= 0:
        return
    _move(session, leave, held=-days)
    _entry(
        session,
        leave.member_id,
        leave.leave_type,
        leave.year,
        "release",
        days,
        request_id,
        version,
        now,
    )


def deduct(session: Session, leave: LeaveOf, request_id: int, version: int, now: datetime) -> None:
    """An approved request uses its days: its hold becomes use, exactly once."""
    if not is_tracked(session, leave.leave_type, leave.year) or used_by(session, request_id) > 0:
        return
    held = outstanding_hold(session, request_id)
    if held > 0:
        _move(session, leave, held=-held)
        _entry(
            session,
            leave.member_id,
            leave.leave_type,
            leave.year,
            "release",
            held,
            request_id,
            version,
            now,
        )
    _move(session, leave, used=leave.days)
    _entry(
        session,
        leave.member_id,
        leave.leave_type,
        leave.year,
        "deduction",
        leave.days,
        request_id,
        version,
        now,
    )


def restore(session: Session, leave: LeaveOf, request_id: int, version: int, now: datetime) -> None:
    """A withdrawn approved request gives its days back, once."""
    days = used_by(session, request_id)
    if days <= 0:
        return
    _move(session, leave, used=-days)
    _entry(
        session,
        leave.member_id,
        leave.leave_type,
        leave.year,
        "restore",
        days,
        request_id,
        version,
        now,
    )


def _move(
    session: Session, leave: LeaveOf, *, held: Decimal = Decimal(0), used: Decimal = Decimal(0)
) -> None:
    b = LeaveBalance
    session.execute(
        update(b)
        .where(*_key(leave.member_id, leave.leave_type, leave.year))
        .values(held=_col(b.held) + _tenths(held), used=_col(b.used) + _tenths(used))
    )


def react_to_leave(
    session: Session, leave: LeaveOf, before: str | None, after: RequestState, now: datetime
) -> str | None:
    """Move days as a leave request's status changes; returns what happened (for the caller)."""
    request_id, version = after.id, after.version
    if after.status == Status.PENDING and before in (None, Status.RETURNED):
        hold(session, leave, request_id, version, now)
        return "held"
    if after.status == Status.APPROVED and before != Status.APPROVED:
        deduct(session, leave, request_id, version, now)
        return "deducted"
    if after.status == Status.WITHDRAWN and before == Status.APPROVED:
        restore(session, leave, request_id, version, now)
        return "restored"
    if (
        after.status in (Status.REJECTED, Status.WITHDRAWN, Status.RETURNED)
        and before != after.status
    ):
        release(session, leave, request_id, version, now)
        return "released"
    return None


def _plain(days: Decimal) -> str:
    return format(days.normalize(), "f")


class AllocationSpec(BaseModel):
    """One allocation: a member's days of a type."""

    model_config = ConfigDict(extra="forbid")
    member: str
    type: str = Field(min_length=1, max_length=64)
    days: Decimal = Field(ge=0, le=366, decimal_places=1)


class AllocationFile(BaseModel):
    """``year:`` and ``allocations:``."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)
    allocations: list[AllocationSpec] = Field(max_length=10000)


def import_allocations(session: Session, text: str, now: datetime) -> list[Balance]:
    """Set every allocation a file lists (all or nothing); returns the new balances.

    Unknown members are found in the same run as the problems of shape, in every entry that
    names a member."""
    data, root = load_yaml(text)
    named = _named_members(data)
    ids = {i: member_id_by_handle(session, handle) for i, handle in named}
    unknown = [
        problem_at(root, ("allocations", i, "member"), f"unknown member {handle!r}")
        for i, handle in named
        if ids[i] is None
    ]
    try:
        spec = validate(AllocationFile, data, root)
    except DefinitionInvalid as exc:
        raise DefinitionInvalid(exc.problems + unknown) from exc
    if unknown:
        raise DefinitionInvalid(unknown)
    return [
        allocate(session, member_id, a.type, spec.year, a.days, now)
        for i, a in enumerate(spec.allocations)
        if (member_id := ids[i]) is not None
    ]


def _named_members(data: Any) -> list[tuple[int, str]]:
    """``(index, handle)`` of every allocation that names a member, however broken the rest."""
    entries = data.get("allocations") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []
    return [
        (i, entry["member"])
        for i, entry in enumerate(entries)
        if isinstance(entry, dict) and isinstance(entry.get("member"), str)
    ]
