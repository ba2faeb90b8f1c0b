"""Approvals in words: statuses, steps, field values and the timeline, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from sqlalchemy.orm import Session

from bot.formatting import moment
from bot.i18n import _, normalise_locale, t
from domain.approvals.fields import FieldSpec, FieldType
from domain.approvals.labels import text_of
from domain.approvals.people import Person, people
from domain.approvals.state import Event, Node, NodeStatus, RequestState, Status, TaskStatus
from domain.approvals.store import LoggedEvent
from domain.approvals.template import TemplateSpec
from domain.directory.services import get_org

STATUS = {
    Status.PENDING: _("pending"),
    Status.APPROVED: _("approved"),
    Status.REJECTED: _("rejected"),
    Status.WITHDRAWN: _("withdrawn"),
    Status.RETURNED: _("returned for correction"),
}
MODES = {"any": _("any one"), "all": _("everyone"), "quorum": _("{quorum} of {count}")}
NODE_MARKS = {
    NodeStatus.APPROVED: "✓",
    NodeStatus.REJECTED: "✗",
    NodeStatus.ACTIVE: "⏳",
    NodeStatus.SKIPPED: "↷",
    NodeStatus.WAITING: "·",
    NodeStatus.CANCELLED: "–",
}


@dataclass
class Names:
    """Members' names, looked up once per message."""

    session: Session
    known: dict[int, Person] = field(default_factory=dict)

    def load(self, ids: Iterable[int | None]) -> None:
        """Look up several members at once."""
        wanted = {i for i in ids if i is not None and i not in self.known}
        self.known.update(people(self.session, wanted))

    def name(self, member_id: int | None) -> str:
        """A member's name (``?`` for none)."""
        if member_id is None:
            return "?"
        if member_id not in self.known:
            self.load([member_id])
        found = self.known.get(member_id)
        return found.name if found else f"#{member_id}"

    def handle(self, member_id: int) -> str:
        """A member's handle."""
        self.name(member_id)
        found = self.known.get(member_id)
        return found.handle if found else str(member_id)


def status_text(status: str, locale: str) -> str:
    """``approved`` / ``已通过``."""
    return t(locale, STATUS.get(Status(status), status)) if status in STATUS else status


def mode_text(node: Node, locale: str) -> str:
    """How a step decides: ``any one``, ``everyone``, ``2 of 3``."""
    return t(locale, MODES[node.mode], quorum=node.quorum, count=len(node.approvers))


VIA_TEXT = {
    "transferred": _("{who} (for {whom}, transferred)"),
    "delegated": _("{who} (for {whom}, delegated)"),
    "escalated": _("{who} (for {whom}, escalated)"),
}
HELD = (NodeStatus.ACTIVE, NodeStatus.APPROVED, NodeStatus.REJECTED)
DECIDED = (TaskStatus.APPROVED, TaskStatus.REJECTED)


@dataclass(slots=True)
class Origins:
    """How parts and steps came about, read from a request's log: ``via`` says how a part
    reached someone acting for another member (``transferred``, ``delegated``, ``escalated``),
    ``added_by`` who added each added step."""

    via: dict[int, str] = field(default_factory=dict)
    added_by: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, logged: list[LoggedEvent]) -> Origins:
        """The origins a log tells of."""
        found = cls()
        for entry in logged:
            found.note(entry.event)
        return found

    def note(self, event: Event) -> None:
        """Remember what one event tells of where parts and steps came from."""
        data = event.data
        if event.kind == "node_started":
            for task in data["tasks"]:
                if task.get("on_behalf_of") is not None:
                    self.via[int(task["tid"])] = "delegated"
        elif event.kind in ("transferred", "escalated"):
            default = "escalated" if event.kind == "escalated" else "delegated"
            self.via[int(data["new_tid"])] = data.get("via", default)
        elif event.kind == "step_added" and event.actor is not None:
            self.added_by[int(data["new_nid"])] = event.actor


def step_line(node: Node, state: RequestState, locale: str, names: Names, origins: Origins) -> str:
    """``⏳ Finance: Fiona Finance, Frank CFO (any one)``; once the step started, who holds (or
    decided) it: ``✓ Manager: Hana HR (for Carol Chen, transferred)``."""
    who = ", ".join(_holders(node, state, locale, names, origins)) or "—"
    rule = f" ({mode_text(node, locale)})" if len(node.approvers) > 1 else ""
    mark = NODE_MARKS.get(NodeStatus(node.status), "·")
    return f"{mark} {text_of(node.name, locale)}: {who}{rule}"


def _holders(
    node: Node, state: RequestState, locale: str, names: Names, origins: Origins
) -> list[str]:
    """Who decided a decided step, who holds an active one, else who it is planned for."""
    adder = origins.added_by.get(node.nid)
    if node.status not in HELD:
        return [acting_text(m, None, "", locale, names, added_by=adder) for m in node.approvers]
    tasks = [t for t in state.current_tasks(node) if t.status != TaskStatus.TRANSFERRED]
    deciders = [t for t in tasks if t.status in DECIDED]
    shown = deciders if node.status != NodeStatus.ACTIVE and deciders else tasks
    return [
        acting_text(
            t.approver, t.on_behalf_of, origins.via.get(t.tid, ""), locale, names, added_by=adder
        )
        for t in shown
    ]


def money_text(value: str | Decimal, locale: str, currency: str) -> str:
    """``CN¥8,000.00`` / ``¥8,000.00``."""
    return format_currency(Decimal(value), currency, locale=normalise_locale(locale))


def day_text(day: date, locale: str) -> str:
    """``Dec 1, 2026`` / ``2026年12月1日``."""
    return format_date(day, "medium", locale=normalise_locale(locale))


def value_text(
    spec: FieldSpec, value: Any, locale: str, names: Names, *, currency: str, tz: str
) -> str:
    """A stored value as the reader reads it."""
    if value is None or value == [] or value == "":
        return "—"
    kind = spec.type
    if kind is FieldType.MONEY:
        return money_text(value, locale, currency)
    if kind is FieldType.NUMBER:
        return format_decimal(Decimal(value), locale=normalise_locale(locale))
    if kind is FieldType.DATE:
        return day_text(date.fromisoformat(value), locale)
    if kind is FieldType.DATETIME:
        return moment(datetime.fromisoformat(value), locale, tz)
    if kind is FieldType.DATERANGE:
        first, last = date.fromisoformat(value["from"]), date.fromisoformat(value["to"])
        if first == last:
            return day_text(first, locale)
        return f"{day_text(first, locale)} – {day_text(last, locale)}"
    if kind is FieldType.CHOICE:
        return _option_text(spec, value, locale)
    if kind is FieldType.MULTICHOICE:
        return ", ".join(_option_text(spec, v, locale) for v in value)
    if kind is FieldType.MEMBER:
        return f"{names.name(int(value))} (@{names.handle(int(value))})"
    if kind is FieldType.BOOLEAN:
        return t(locale, _("yes") if value else _("no"))
    if kind is FieldType.LINES:
        return "\n".join(_line_text(spec, line, locale, names, currency, tz) for line in value)
    return str(value)


def _option_text(spec: FieldSpec, value: str, locale: str) -> str:
    option = next((o for o in spec.options if o.value == value), None)
    return text_of(option.label, locale, value) if option else value


def _line_text(
    spec: FieldSpec, line: dict[str, Any], locale: str, names: Names, currency: str, tz: str
) -> str:
    parts = [
        value_text(c, line[c.key], locale, names, currency=currency, tz=tz)
        for c in spec.columns
        if c.key in line
    ]
    return "· " + " ".join(parts)


def field_lines(
    spec: TemplateSpec, state: RequestState, locale: str, names: Names, tz: str
) -> list[tuple[str, str]]:
    """``(label, value)`` of every filled-in field, in form order."""
    currency = get_org(names.session).currency
    return [
        (
            f.title(locale),
            value_text(f, state.fields[f.key], locale, names, currency=currency, tz=tz),
        )
        for f in spec.fields
        if state.fields.get(f.key) not in (None, "", [])
    ]


EVENT_TEXT = {
    "submitted": _("{who} submitted it"),
    "resubmitted": _("{who} submitted it again"),
    "approved": _("{who} approved"),
    "rejected": _("{who} rejected"),
    "transferred": _("{who} transferred it to {to}"),
    "escalated": _("Escalated to {to}: no decision in time"),
    "returned": _("{who} returned it to {to}"),
    "withdrawn": _("{who} withdrew it"),
    "urged": _("{who} urged the approvers"),
    "reminded": _("Reminded the approvers"),
    "node_skipped": _("Step {step} skipped: the initiator would approve it"),
    "step_before": _("{who} added {member} before themselves"),
    "step_after": _("{who} added {member} after themselves"),
}
AUTO_TEXT = {
    "repeat": _("{who} approved (they approved the step before)"),
    "sla": _("Decided automatically: no decision in time"),
}
SHOWN = frozenset({*EVENT_TEXT, "step_added"})


def acting_text(
    actor: int | None,
    on_behalf_of: int | None,
    via: str,
    locale: str,
    names: Names,
    *,
    added_by: int | None = None,
) -> str:
    """Who acted and for whom: ``Bob``, ``Bob (for Alice, transferred)``, ``Bob (added by
    Alice)``, or ``Bob on behalf of Alice`` when the log does not say how."""
    who = names.name(actor) if actor is not None else "Bizbot"
    if on_behalf_of is not None:
        msgid = VIA_TEXT.get(via, _("{who} on behalf of {whom}"))
        return t(locale, msgid, who=who, whom=names.name(on_behalf_of))
    if added_by is not None and added_by != actor:
        return t(locale, _("{who} (added by {adder})"), who=who, adder=names.name(added_by))
    return who


def timeline(
    logged: list[LoggedEvent],
    state: RequestState,
    locale: str,
    tz: str,
    names: Names,
    now: datetime,
) -> list[str]:
    """One line per event a member cares about: when, who (for whom), what, and the comment."""
    lines = []
    origins = Origins()
    for entry in logged:
        event = entry.event
        origins.note(event)
        if event.kind not in SHOWN:
            continue
        text = _event_text(event, state, locale, names, origins)
        lines.append(f"{moment(event.at, locale, tz, now=now)} · {text}")
    return lines


def _event_text(
    event: Event, state: RequestState, locale: str, names: Names, origins: Origins
) -> str:
    data = event.data
    via = origins.via.get(int(data["tid"]), "") if "tid" in data else ""
    adder = origins.added_by.get(event.nid) if event.nid is not None else None
    who = acting_text(event.actor, event.on_behalf_of, via, locale, names, added_by=adder)
    auto = data.get("auto")
    if auto in AUTO_TEXT:
        text = t(locale, AUTO_TEXT[auto], who=who)
        return (
            text
            if event.kind == "approved" or auto != "sla"
            else text + f" ({status_text(event.kind, locale)})"
        )
    if event.kind == "step_added":
        key = "step_before" if data.get("where") == "before" else "step_after"
        return t(locale, EVENT_TEXT[key], who=who, member=names.name(int(data["member"])))
    step = ""
    if event.kind == "node_skipped" and event.nid is not None:
        node = next((n for n in state.nodes if n.nid == event.nid), None)
        step = text_of(node.name, locale) if node else ""
    to = ""
    if event.kind in ("transferred", "escalated"):
        to = names.name(int(data["to"]))
    elif event.kind == "returned":
        target = data.get("to")
        node = next((n for n in state.nodes if n.nid == target), None)
        to = text_of(node.name, locale) if node else t(locale, _("the initiator"))
    text = t(locale, EVENT_TEXT[event.kind], who=who, to=to, step=step)
    comment = str(data.get("comment", "")).strip()
    return f"{text}: {comment}" if comment else text
