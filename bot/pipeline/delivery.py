"""The relay's side of the outbox: claiming each conversation's due head, recording outcomes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Row,
    ScalarSelect,
    Select,
    String,
    Update,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause, UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlalchemy.sql.selectable import NamedFromClause

from bot.events import Address, Unreadable
from bot.logging import get_logger
from bot.pipeline.files import file_ids, load_bytes, with_bytes
from bot.pipeline.tables import (
    OPEN_ROWS,
    OUTBOX,
    OutboxStatus,
    as_text,
    is_postgresql,
    stored_json,
)
from bot.replies import Message, concealed, from_wire, to_wire
from domain.shared.db import UTCDateTime

log = get_logger("bizbot.outbox")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed outbox row, ready to send."""

    id: int
    address: Address
    kind: str
    message: Message
    attempts: int
    created_at: datetime
    context: Mapping[str, str]
    edit_of: int | None
    edit_target: str | None  # platform message id of the original, for edits


def claim_due(
    session: Session,
    *,
    channels: list[str],
    now: datetime,
    limit: int,
    lease: timedelta,
    claimer: str,
    skip_locked: bool,
    conversations: frozenset[str] | None = None,
    after: str = "",
) -> list[Delivery]:
    """Claim the first due row of each conversation that has nothing earlier still in flight.

    On PostgreSQL conversations are taken in turn by key, from the one after ``after`` (the
    last one the caller claimed) round to the start again, so each gets its turn and a claim
    reads only as many queues as it passes; on SQLite, which reads every queue's head anyway,
    the oldest due heads first. ``conversations`` limits the claim to some conversation keys (a
    console delivers only its own). Each row is read on its own: one this version cannot read
    (see ``bot.replies.from_wire``) is dead-lettered with the reason, and the claim goes on to
    the rows behind it.
    """
    postgresql = is_postgresql(session)
    query = _due(postgresql, skip_locked, conversations is not None)
    params: dict[str, Any] = {"now": now, "channels": channels}
    if conversations is not None:
        params["conversations"] = sorted(conversations)
    deliveries: list[Delivery] = []
    for start in dict.fromkeys((after, "")) if postgresql else ("",):
        while len(deliveries) < limit:
            room = {"after": start, "room": limit - len(deliveries)}
            claimed, parked = _claim_rows(session, query, params | room)
            if claimed:
                until = now + lease
                session.execute(
                    _mark_sending(),
                    [{"row_id": d.id, "until": until, "claimer": claimer} for d in claimed],
                )
            deliveries += claimed
            if not parked:
                break
    return deliveries


def _claim_rows(
    session: Session, query: Select[Any], params: dict[str, Any]
) -> tuple[list[Delivery], bool]:
    """The due heads the query finds, read; whether it parked rows this version cannot read."""
    rows = session.execute(query, params).all()
    targets = _edit_targets(session, [r.edit_of for r in rows if r.edit_of])
    unreadable: dict[int, str] = {}
    claimed: list[Delivery] = []
    for row in rows:
        try:
            claimed.append(_delivery(row, targets))
        except Unreadable as exc:
            unreadable[row.id] = str(exc)
    claimed = _with_files(session, claimed, unreadable)
    if unreadable:
        _park(session, unreadable)
    return claimed, bool(unreadable)


def _delivery(row: Row[Any], targets: dict[int, str | None]) -> Delivery:
    """A due row, read (``Unreadable`` if this version cannot)."""
    context = stored_json(row.context) or {}
    if not isinstance(context, dict):
        raise Unreadable(f"unreadable context ({type(context).__name__})")
    return Delivery(
        id=row.id,
        address=Address(row.channel, row.conversation, row.workspace),
        kind=row.kind,
        message=from_wire(stored_json(row.payload)),
        attempts=row.attempts,
        created_at=row.created_at,
        context=context,
        edit_of=row.edit_of,
        edit_target=targets.get(row.edit_of) if row.edit_of else None,
    )


def _with_files(
    session: Session, claimed: list[Delivery], unreadable: dict[int, str]
) -> list[Delivery]:
    """The deliveries with their files' bytes loaded (one query, only when some carry files);
    one whose file is gone joins ``unreadable``."""
    ids = file_ids(d.message for d in claimed)
    if not ids:
        return claimed
    data = load_bytes(session, ids)
    loaded: list[Delivery] = []
    for delivery in claimed:
        if not delivery.message.attachments:
            loaded.append(delivery)
            continue
        try:
            loaded.append(replace(delivery, message=with_bytes(delivery.message, data)))
        except Unreadable as exc:
            unreadable[delivery.id] = str(exc)
    return loaded


def _park(session: Session, unreadable: dict[int, str]) -> None:
    """Dead-letter rows this version cannot read, with the reason, so that the rest go on."""
    for row_id, reason in unreadable.items():
        log.warning("outbox.unreadable", outbox_id=row_id, error=reason)
    session.execute(
        _dead_unread(),
        [{"row_id": row_id, "error": reason} for row_id, reason in unreadable.items()],
    )


@cache
def _due(postgresql: bool, skip_locked: bool, scoped: bool) -> Select[Any]:
    """Up to ``:room`` due rows that are the first open (pending or sending) row of their
    conversation, of the conversations after ``:after``.

    The same set as "due, and nothing earlier in its conversation still open", found from the
    queues' heads alone (``_heads``), so rows waiting behind a head cost nothing. PostgreSQL
    walks the heads in key order only until it has ``:room`` due ones and returns them in that
    order, locked (it re-checks the conditions on each row it locks); SQLite walks them all
    and returns the oldest.
    """
    o = OUTBOX.c
    heads = _heads(postgresql)
    if postgresql:
        head = OUTBOX.alias("due_head")
        due_head = (  # a scalar subquery: a look-up by id for each head, whatever the statistics
            select(head.c.id)
            .where(head.c.id == heads.c.id, *_wanted(head, postgresql, scoped))
            .scalar_subquery()
        )
        walked = select(heads.c.id).where(due_head.is_not(None)).limit(bindparam("room"))
        first = o.id == any_(func.array(walked.scalar_subquery()))
        order = o.conversation_key
    else:
        first, order = o.id.in_(select(heads.c.id)), o.id
    query = (
        select(
            o.id,
            o.channel,
            o.conversation,
            o.workspace,
            o.kind,
            as_text(o.payload).label("payload"),
            as_text(o.context).label("context"),
            o.attempts,
            o.created_at,
            o.edit_of,
        )
        .where(first, *_wanted(OUTBOX, postgresql, scoped))
        .order_by(order)
        .limit(bindparam("room"))
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=OUTBOX)
    return query


def _wanted(rows: NamedFromClause, postgresql: bool, scoped: bool) -> list[ColumnElement[bool]]:
    """Due, on one of ``:channels`` (and of ``:conversations`` when ``scoped``).

    The status is written so that no index can serve it (``status || ''``, SQLite's
    ``+status``): without statistics on the table, both planners would otherwise read every
    due row through an index on the status and test it against the heads, instead of looking
    the heads up by id.
    """
    c = rows.c
    now = bindparam("now", type_=UTCDateTime())
    status = (
        c.status.concat(literal_column("''"))
        if postgresql
        else UnaryExpression(c.status, operator=custom_op("+"))
    )
    wanted = [
        c.channel.in_(bindparam("channels", expanding=True)),
        or_(
            and_(status == OutboxStatus.PENDING, c.next_attempt_at <= now),
            and_(status == OutboxStatus.SENDING, c.lease_until < now),
        ),
    ]
    if scoped:
        wanted.append(c.conversation_key.in_(bindparam("conversations", expanding=True)))
    return wanted


# a LIMIT written out, not bound: PostgreSQL plans a bound one less well
ONE: ColumnElement[int] = literal_column("1")


def _heads(postgresql: bool) -> CTE:
    """The first open row of each conversation that has open rows, by conversation key, from
    the first key after ``:after``.

    A loose index scan of ``ix_outbox_open`` (open rows by conversation key, then id): from one
    head, a single seek finds the next conversation's head, the first entry after the head's
    key. So a claim costs a step per conversation it passes, however long their queues (it
    used to read every open row).
    """
    first, after, current = (OUTBOX.alias(name) for name in ("first_head", "next_head", "head"))
    is_open = text(OPEN_ROWS["postgresql" if postgresql else "sqlite"])
    start = first.c.conversation_key > bindparam("after", type_=String)
    queues = select(_first_open(first, is_open, start).label("id")).cte("queues", recursive=True)
    key = (
        select(current.c.conversation_key)
        .where(current.c.id == queues.c.id)
        .correlate_except(current)
        .scalar_subquery()
    )
    step = _first_open(after, is_open, after.c.conversation_key > key)
    return queues.union_all(select(step).where(queues.c.id.is_not(None)))


def _first_open(
    rows: NamedFromClause, *where: ColumnElement[bool] | TextClause
) -> ScalarSelect[int]:
    """The open row first by conversation key, then id (an index seek in ``ix_outbox_open``)."""
    return (
        select(rows.c.id)
        .where(*where)
        .order_by(rows.c.conversation_key, rows.c.id)
        .limit(ONE)
        .scalar_subquery()
    )


@cache
def _dead_unread() -> Update:
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("row_id"))
        .values(
            status=OutboxStatus.DEAD,
            last_error=bindparam("error"),
            lease_until=None,
            claimed_by=None,
        )
    )


@cache
def _mark_sending() -> Update:
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("row_id"))
        .values(
            status=OutboxStatus.SENDING,
            lease_until=bindparam("until", type_=UTCDateTime()),
            claimed_by=bindparam("claimer"),
        )
    )


def _edit_targets(session: Session, ids: list[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    rows = session.execute(
        select(OUTBOX.c.id, OUTBOX.c.platform_message_id).where(OUTBOX.c.id.in_(ids))
    )
    return {row_id: message_id for row_id, message_id in rows}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one delivery attempt."""

    id: int
    sent: bool
    platform_message_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None  # None with an error: dead letter
    count_attempt: bool = True
    adopted_by: int | None = None  # an edit sent as a new message: the original now points at it
    kept: dict[str, Any] | None = None  # the payload to keep instead: the message's secrets blanked

    @property
    def result(self) -> str:
        """``sent``, ``retry`` or ``dead``."""
        if self.sent:
            return "sent"
        return "retry" if self.retry_at is not None else "dead"


def concealing(delivery: Delivery, outcome: Outcome) -> Outcome:
    """The outcome, set to keep the message with its secrets blanked once it is out (sent, or
    dead): only a message carrying secrets pays for this."""
    if not delivery.message.secrets or outcome.retry_at is not None:
        return outcome
    return replace(outcome, kept=to_wire(concealed(delivery.message)))


def record_outcomes(session: Session, outcomes: list[Outcome], now: datetime, claimer: str) -> None:
    """Mark rows sent, rescheduled or dead; only rows this claimer still holds are changed.

    Outcomes of the same kind share one statement, executed once per row by the driver. A
    message that carried secrets is then kept blanked (``concealing``), once it is sent or dead.
    """
    groups: defaultdict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
    for o in outcomes:
        params: dict[str, Any] = {"row_id": o.id, "claimer": claimer}
        if o.sent:
            params |= {"now": now, "message_id": o.platform_message_id}
        elif o.retry_at is not None:
            params |= {"retry_at": o.retry_at, "error": o.error}
        else:
            params |= {"error": o.error}
        groups[(o.result, o.count_attempt)].append(params)
    for (result, counted), rows in groups.items():
        session.execute(_record(result, counted), rows)
    adopted = [
        {"row_id": o.adopted_by, "message_id": o.platform_message_id}
        for o in outcomes
        if o.sent and o.adopted_by is not None
    ]
    if adopted:
        session.execute(_adopt(), adopted)
    kept = [{"row_id": o.id, "payload": o.kept} for o in outcomes if o.kept is not None]
    if kept:
        session.execute(_keep_concealed(), kept)


@cache
def _record(result: str, counted: bool) -> Update:
    o = OUTBOX.c
    values: dict[str, Any] = {"lease_until": None, "claimed_by": None}
    if result == "sent":
        values |= {
            "status": OutboxStatus.SENT,
            "sent_at": bindparam("now", type_=UTCDateTime()),
            "platform_message_id": bindparam("message_id"),
        }
    elif result == "retry":
        values |= {
            "status": OutboxStatus.PENDING,
            "next_attempt_at": bindparam("retry_at", type_=UTCDateTime()),
            "last_error": bindparam("error"),
        }
    else:
        values |= {"status": OutboxStatus.DEAD, "last_error": bindparam("error")}
    if counted:
        values["attempts"] = o.attempts + 1
    mine = and_(
        o.id == bindparam("row_id"),
        o.status == OutboxStatus.SENDING,
        o.claimed_by == bindparam("claimer"),
    )
    return update(OUTBOX).where(mine).values(**values)


@cache
def _adopt() -> Update:
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("row_id"))
        .values(platform_message_id=bindparam("message_id"))
    )


@cache
def _keep_concealed() -> Update:
    """A finished message's payload, replaced by its blanked copy (a row another relay claimed
    meanwhile, to send it again, is left alone)."""
    return (
        update(OUTBOX)
        .where(
            OUTBOX.c.id == bindparam("row_id"),
            OUTBOX.c.status.in_((OutboxStatus.SENT, OutboxStatus.DEAD)),
        )
        .values(payload=bindparam("payload", type_=OUTBOX.c.payload.type))
    )
