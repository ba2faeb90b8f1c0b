"""The cards of a request: what an approver, the initiator or a copied member sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.formatting import money
from bot.i18n import _, t
from bot.replies import Action, Attachment, Button, ButtonStyle, Card, CardStatus
from bot.replies import Field as CardField
from commands.approvals.budget_facts import BudgetLine
from commands.approvals.present import (
    Names,
    Origins,
    field_lines,
    status_text,
    step_line,
    timeline,
)
from domain.approvals.labels import text_of
from domain.approvals.state import RequestState, Status
from domain.approvals.store import LoggedEvent
from domain.approvals.template import TemplateSpec
from domain.directory.roles import Permission, allows
from domain.directory.views import MemberView

BUTTON_TTL = timedelta(days=30)  # approvals wait longer than ordinary buttons live
CHINESE_COMMANDS = {
    "approve": "同意",
    "reject": "驳回",
    "transfer": "转交",
    "addsign": "加签",
    "return": "退回",
    "withdraw": "撤回",
    "urge": "催办",
    "resubmit": "重新提交",
    "approval": "审批详情",
}
HISTORY_ON_CARD = 6
CARD_STATUS = {
    Status.PENDING: CardStatus.PENDING,
    Status.APPROVED: CardStatus.SUCCESS,
    Status.REJECTED: CardStatus.DANGER,
    Status.WITHDRAWN: CardStatus.WARNING,
    Status.RETURNED: CardStatus.WARNING,
}


@dataclass(frozen=True, slots=True)
class View:
    """Everything a card of one request needs, for one reader."""

    state: RequestState
    spec: TemplateSpec
    log: list[LoggedEvent]
    reader: MemberView
    names: Names
    now: datetime
    budget: BudgetLine | None = None  # the requester's department's budget left, if any

    @property
    def locale(self) -> str:
        """The reader's language."""
        return self.reader.locale

    def t(self, msgid: str, **params: object) -> str:
        """Translate for the reader."""
        return t(self.locale, msgid, **params)


def title_of(view: View) -> str:
    """``Expense reimbursement #42 · 李博 Bob``."""
    state = view.state
    return f"{view.spec.title(view.locale)} #{state.id} · {view.names.name(state.initiator)}"


def request_card(view: View, *, buttons: tuple[Button, ...] = (), headline: str = "") -> Card:
    """The request with its fields, steps and recent history."""
    state = view.state
    origins = Origins.of(view.log)
    fields = [
        CardField(label, value)
        for label, value in field_lines(
            view.spec, state, view.locale, view.names, view.reader.timezone
        )
    ]
    fields += budget_fields(view)
    fields.append(
        CardField(
            view.t(_("Steps")),
            "\n".join(step_line(n, state, view.locale, view.names, origins) for n in state.nodes)
            or "—",
        )
    )
    files = attached(state)
    if files:
        names = "\n".join(f"📎 {f.name}" for f in files)
        fields.append(CardField(view.t(_("Attachments")), names))
    history = timeline(view.log, state, view.locale, view.reader.timezone, view.names, view.now)
    if history:
        fields.append(CardField(view.t(_("History")), "\n".join(history[-HISTORY_ON_CARD:])))
    return Card(
        title=title_of(view),
        body=headline or status_line(view),
        fields=tuple(fields),
        buttons=buttons,
        status=CARD_STATUS.get(Status(state.status), CardStatus.INFO),
        attachments=files,
    )


ATTACHED = "_files"  # the request's field holding the files sent with it (a receipt)


def attached(state: RequestState) -> tuple[Attachment, ...]:
    """The files sent with the request, as the cards carry them (every reader may see them)."""
    return tuple(
        Attachment(f["name"], f["type"], size=int(f["size"]), file_id=int(f["id"]))
        for f in state.fields.get(ATTACHED) or ()
        if isinstance(f, dict) and f.get("id")
    )


def budget_fields(view: View) -> list[CardField]:
    """The budget left this month, for readers who may see it: finance, the department's
    managers, and the request's approvers (who decide with it)."""
    line = view.budget
    if line is None or not _sees_budget(view, line):
        return []
    label = view.t(
        _("Budget left ({account}, {period})"),
        account=line.account_label(view.locale),
        period=line.period,
    )
    return [CardField(label, money(line.left, line.currency, view.locale))]


def _sees_budget(view: View, line: BudgetLine) -> bool:
    reader = view.reader
    if allows(reader.roles, Permission.FINANCE_READ):
        return True
    if allows(reader.roles, Permission.FINANCE_DEPARTMENT) and reader.department == line.department:
        return True
    return any(reader.id in node.approvers for node in view.state.nodes) or any(
        task.approver == reader.id for task in view.state.tasks
    )


def status_line(view: View) -> str:
    """Where the request stands, said to the reader."""
    state = view.state
    if state.status == Status.PENDING and state.active is not None:
        node = state.active
        position = [n.nid for n in state.nodes].index(node.nid) + 1
        mine = state.pending_for(view.reader.id) is not None
        msgid = (
            _("Waiting for you at step {n} of {total}: {step}")
            if mine
            else _("At step {n} of {total}: {step}")
        )
        return view.t(
            msgid, n=position, total=len(state.nodes), step=text_of(node.name, view.locale)
        )
    return view.t(_("Status: {status}"), status=status_text(state.status, view.locale))


def approver_buttons(view: View) -> tuple[Button, ...]:
    """Approve, Reject, Transfer, Add approver and Return, for the reader's pending task."""
    state = view.state
    task = state.pending_for(view.reader.id)
    if task is None:
        return ()
    n, args = state.id, {"tid": task.tid}

    def button(label: str, name: str, style: ButtonStyle, rest: str = "") -> Button:
        action = Action(f"approval.{name}", str(n), args, ttl=BUTTON_TTL)
        command = f"/{command_word(name, view.locale)} {n}{rest}"
        return Button(view.t(label), action, style, command=command)

    return (
        button(_("Approve"), "approve", ButtonStyle.PRIMARY),
        button(_("Reject"), "reject", ButtonStyle.DANGER, " REASON"),
        button(_("Transfer"), "transfer", ButtonStyle.DEFAULT, " @HANDLE"),
        button(_("Add approver"), "addsign", ButtonStyle.DEFAULT, " before|after @HANDLE"),
        button(_("Return"), "return", ButtonStyle.DEFAULT, " REASON"),
    )


def initiator_buttons(view: View) -> tuple[Button, ...]:
    """Urge and Withdraw while pending; when returned, Edit and resubmit (the form, filled in
    as it was; commands/approvals/editing.py), Resubmit as it is, and Withdraw. Editing opens a
    form and changes nothing, so it may be tapped again; it works until the card is redrawn."""
    state = view.state
    if view.reader.id != state.initiator:
        return ()
    n = state.id

    def button(label: str, name: str, style: ButtonStyle) -> Button:
        action = Action(f"approval.{name}", str(n), ttl=BUTTON_TTL)
        command = f"/{command_word(name, view.locale)} {n}"
        return Button(view.t(label), action, style, command=command)

    withdraw = button(_("Withdraw"), "withdraw", ButtonStyle.DANGER)
    if state.status == Status.PENDING:
        return (button(_("Urge"), "urge", ButtonStyle.DEFAULT), withdraw)
    if state.status == Status.RETURNED:
        edit = Button(
            view.t(_("Edit and resubmit")),
            Action("approval.edit", str(n), ttl=BUTTON_TTL, single_use=False),
            ButtonStyle.PRIMARY,
            command=f"/{command_word('resubmit', view.locale)} {n} field=value",
        )
        return (edit, button(_("Resubmit"), "resubmit", ButtonStyle.DEFAULT), withdraw)
    return ()


def command_word(name: str, locale: str) -> str:
    """A command's name as the reader types it: ``approve`` or ``同意``."""
    return CHINESE_COMMANDS.get(name, name) if locale.startswith("zh") else name


def card_for(view: View, purpose: str) -> Card:
    """The card a member sees for their part: buttons only for what they can do now."""
    if purpose == "approver":
        return request_card(view, buttons=approver_buttons(view))
    if purpose == "initiator":
        return request_card(view, buttons=initiator_buttons(view))
    return request_card(view)


def active_step_name(state: RequestState, locale: str) -> str:
    """The name of the step being decided (empty if none)."""
    node = state.active
    return text_of(node.name, locale) if node else ""
