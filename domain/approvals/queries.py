"""Reading approvals: who may see a request, members' lists, and the card copies shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.approvals.catalog import Versioned, template_version
from domain.approvals.labels import _
from domain.approvals.models import ApprovalCard, ApprovalRequest, ApprovalTask
from domain.approvals.state import RequestState, Status, TaskStatus
from domain.approvals.store import load
from domain.shared.errors import NotFound

LISTED = 20
INITIATOR, APPROVER, CC = "initiator", "approver", "cc"


@dataclass(frozen=True, slots=True)
class Seen:
    """A request with its template, as someone allowed to see it sees it."""

    state: RequestState
    template: Versioned


def involved(state: RequestState, member_id: int, cc_members: set[int]) -> bool:
    """Whether a member takes part: initiator, approver (or the one stood in for), or copied."""
    if member_id == state.initiator or member_id in cc_members:
        return True
    return any(member_id in (t.approver, t.on_behalf_of) for t in state.tasks)


def visible_request(session: Session, request_id: int, member_id: int, *, sees_all: bool) -> Seen:
    """A request the member may see; NotFound otherwise (whether or not it exists)."""
    state = load(session, request_id)
    if state is None or not (sees_all or involved(state, member_id, copied(session, request_id))):
        raise NotFound(_("There is no approval #{id} that you can see."), id=request_id)
    return Seen(state, template_version(session, state.template_key, state.template_version))


def request_state(
    session: Session, request_id: int, member_id: int, *, sees_all: bool
) -> str | None:
    """The status of a request the member may see (for reminders bound to it); None if there
    is none they can see, exactly as if it did not exist."""
    try:
        status = visible_request(session, request_id, member_id, sees_all=sees_all).state.status
    except NotFound:
        return None
    return None if status == "new" else str(status)


def copied(session: Session, request_id: int) -> set[int]:
    """The members a request was copied to (CC)."""
    return set(
        session.scalars(
            select(ApprovalCard.member_id).where(
                ApprovalCard.request_id == request_id, ApprovalCard.purpose == CC
            )
        )
    )


def waiting_for(session: Session, member_id: int) -> list[int]:
    """Requests with a task waiting for the member, oldest first."""
    return list(
        session.scalars(
            select(ApprovalTask.request_id)
            .join(ApprovalRequest, ApprovalRequest.id == ApprovalTask.request_id)
            .where(
                ApprovalTask.approver_id == member_id,
                ApprovalTask.status == TaskStatus.PENDING,
                ApprovalRequest.status == Status.PENDING,
            )
            .order_by(ApprovalTask.request_id)
            .distinct()
            .limit(LISTED)
        )
    )


def initiated_by(session: Session, member_id: int) -> list[int]:
    """The member's own requests, newest first."""
    return list(
        session.scalars(
            select(ApprovalRequest.id)
            .where(ApprovalRequest.initiator_id == member_id, ApprovalRequest.status != "new")
            .order_by(ApprovalRequest.id.desc())
            .limit(LISTED)
        )
    )


def copied_to(session: Session, member_id: int) -> list[int]:
    """Requests copied to the member, newest first."""
    return list(
        session.scalars(
            select(ApprovalCard.request_id)
            .where(ApprovalCard.member_id == member_id, ApprovalCard.purpose == CC)
            .order_by(ApprovalCard.request_id.desc())
            .distinct()
            .limit(LISTED)
        )
    )


def requests(session: Session, ids: list[int]) -> list[Seen]:
    """Several requests (by id, in the order given)."""
    found = []
    for request_id in ids:
        state = load(session, request_id)
        if state is not None:
            template = template_version(session, state.template_key, state.template_version)
            found.append(Seen(state, template))
    return found


@dataclass(frozen=True, slots=True)
class CardCopy:
    """A card about a request shown to a member; ``ref`` is the chat layer's reference."""

    id: int
    member_id: int
    ref: int
    purpose: str


def remember_card(
    session: Session, request_id: int, member_id: int, ref: int, purpose: str, now: datetime
) -> None:
    """Keep a card's reference so that it can be updated when the request moves on."""
    session.add(
        ApprovalCard(
            request_id=request_id,
            member_id=member_id,
            card_ref=ref,
            purpose=purpose,
            created_at=now,
        )
    )
    session.flush()


def cards_of(session: Session, request_id: int) -> list[CardCopy]:
    """Every card shown about a request."""
    rows = session.scalars(
        select(ApprovalCard).where(ApprovalCard.request_id == request_id).order_by(ApprovalCard.id)
    )
    return [CardCopy(r.id, r.member_id, r.card_ref, r.purpose) for r in rows]


def move_card(session: Session, copy_id: int, ref: int) -> None:
    """A card was shown anew (its old message is gone): keep the new reference."""
    session.execute(update(ApprovalCard).where(ApprovalCard.id == copy_id).values(card_ref=ref))
