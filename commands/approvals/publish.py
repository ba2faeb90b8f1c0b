"""After a transition: new approvers get their cards, every other copy is updated in place to
what its reader may do now, and the initiator and copied members get their notices."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from bot.context import CommandContext, Policies
from bot.formatting import moment
from bot.i18n import _, t
from bot.pipeline.outbox import OutboxWriter
from bot.replies import Button, Card, CardStatus, Message
from commands.approvals.budget_facts import budget_line
from commands.approvals.cards import View, card_for, initiator_buttons, request_card, title_of
from commands.approvals.present import Names, status_text
from domain.approvals import queries
from domain.approvals.catalog import Versioned
from domain.approvals.queries import APPROVER, CC, INITIATOR, CardCopy
from domain.approvals.services import Outcome
from domain.approvals.sla import subject_of
from domain.approvals.state import RequestState, Status
from domain.approvals.store import LoggedEvent, log_of
from domain.directory.services import member_view


class Speaker(Protocol):
    """What publishing needs: a command's or a timer's context."""

    session: Session
    now: datetime
    outbox: OutboxWriter
    policies: Policies

    def notify(self, member_id: int, message: Message, *, subject: str | None = None) -> int:
        """Send to a member where they are (``bot.context.address_of``)."""
        ...


class Publisher:
    """Renders one request for each reader, with the log read once."""

    def __init__(self, speaker: Speaker, state: RequestState, template: Versioned) -> None:
        self.speaker = speaker
        self.state = state
        self.template = template
        self.names = Names(speaker.session)
        self.log: list[LoggedEvent] = log_of(speaker.session, state.id)
        self.budget = budget_line(
            speaker.session, template.spec.budget_account, state.initiator, speaker.now
        )
        self.names.load(
            [
                state.initiator,
                *(t.approver for t in state.tasks),
                *(n for node in state.nodes for n in node.approvers),
            ]
        )

    def view(self, member_id: int) -> View:
        """The request as one member sees it."""
        reader = member_view(self.speaker.session, member_id)
        spec, now = self.template.spec, self.speaker.now
        return View(self.state, spec, self.log, reader, self.names, now, self.budget)

    def card(self, member_id: int, purpose: str) -> Card:
        """The card for a member's part."""
        return card_for(self.view(member_id), purpose)

    def send(self, member_id: int, purpose: str, message: Message | None = None) -> int:
        """Show a new card to a member and remember it."""
        message = message or self.card(member_id, purpose)
        ref = self.speaker.notify(member_id, message, subject=subject_of(self.state.id))
        queries.remember_card(
            self.speaker.session, self.state.id, member_id, ref, purpose, self.speaker.now
        )
        return ref

    def update(self, copy: CardCopy) -> None:
        """Replace one copy in place (or show it anew if its message is gone)."""
        message = self.card(copy.member_id, copy.purpose)
        speaker = self.speaker
        if isinstance(speaker, CommandContext) and speaker.card_id == copy.ref:
            speaker.edit_card(message)
            return
        try:
            speaker.outbox.edit(copy.ref, message, recipient_id=copy.member_id)
        except LookupError:  # pruned from the outbox: show it anew
            ref = speaker.notify(copy.member_id, message, subject=subject_of(self.state.id))
            queries.move_card(speaker.session, copy.id, ref)


def publish(speaker: Speaker, outcome: Outcome) -> Publisher | None:
    """Cards and notices for a transition (nothing for a transition that did nothing)."""
    if not outcome.events:
        return None
    out = Publisher(speaker, outcome.after, outcome.template)
    new_holders = list(dict.fromkeys(t.approver for t in outcome.new_tasks()))
    kept = _untouched_holders(outcome)
    for copy in queries.cards_of(speaker.session, outcome.after.id):
        if copy.purpose == APPROVER and copy.member_id in kept:
            continue  # their buttons stay as they are: their task did not change
        out.update(copy)
    for member in new_holders:
        out.send(member, APPROVER)
    _notices(out, outcome)
    return out


def _untouched_holders(outcome: Outcome) -> set[int]:
    """Members whose pending task was pending before too."""
    before = outcome.before
    if before is None:
        return set()
    old = {t.tid for t in before.tasks if t.status == "pending"}
    return {t.approver for t in outcome.after.tasks if t.status == "pending" and t.tid in old}


def _notices(out: Publisher, outcome: Outcome) -> None:
    state, kinds = outcome.after, outcome.kinds
    actor = next((e.actor for e in outcome.events if e.actor is not None), None)
    if "submitted" in kinds or "resubmitted" in kinds:
        for member in state.cc.get("submit", []):
            out.send(member, CC)
    if "finished" in kinds:
        if actor != state.initiator:
            out.speaker.notify(
                state.initiator, outcome_notice(out, state), subject=subject_of(state.id)
            )
        for member in state.cc.get("finish", []):
            out.send(member, CC)
    elif "returned" in kinds and state.status == Status.RETURNED:
        # a card of the initiator's (redrawn on the next transition), with Edit and resubmit
        out.send(state.initiator, INITIATOR, outcome_notice(out, state))
    if kinds & {"urged", "reminded"}:
        _nudge(out, outcome)


def outcome_notice(out: Publisher, state: RequestState) -> Card:
    """What the initiator is told when their request is decided or returned."""
    view = out.view(state.initiator)
    status = status_text(state.status, view.locale)
    reason = _last_comment(out.log)
    body = view.t(_("Your request is {status}."), status=status)
    if reason and state.status in (Status.REJECTED, Status.RETURNED):
        body += "\n" + view.t(_("Reason: {reason}"), reason=reason)
    buttons: tuple[Button, ...] = ()
    if state.status == Status.RETURNED:
        body += "\n" + view.t(
            _("Correct it and send /resubmit {id} FIELD=VALUE …, or /withdraw {id}."), id=state.id
        )
        buttons = initiator_buttons(view)
    card = request_card(view, headline=body)
    return Card(
        title=title_of(view),
        body=body,
        fields=card.fields[-1:],
        buttons=buttons,
        status=card.status,
    )


def _last_comment(log: list[LoggedEvent]) -> str:
    for entry in reversed(log):
        if entry.event.kind in ("rejected", "returned"):
            return str(entry.event.data.get("comment", ""))
    return ""


def _nudge(out: Publisher, outcome: Outcome) -> None:
    """A reminder card (with live buttons) to each member the step still waits for."""
    state = outcome.after
    node = state.active
    if node is None:
        return
    for task in state.current_tasks(node):
        if task.status != "pending":
            continue
        view = out.view(task.approver)
        card = card_for(view, APPROVER)
        headline = t(
            view.locale,
            _("⏰ Waiting for your decision since {since}."),
            since=_since(out, task.created_at, view),
        )
        out.send(
            task.approver,
            APPROVER,
            Card(card.title, headline, card.fields, card.buttons, card.footer, CardStatus.WARNING),
        )


def _since(out: Publisher, at: datetime, view: View) -> str:
    return moment(at, view.locale, view.reader.timezone, now=out.speaker.now)
