"""/contact add|edit|link|unlink, /log (communication records) and /note (internal notes)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _, normalise_locale
from bot.reader import Choice, Kind, Reading
from bot.replies import Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from bot.router import CommandSpec, Router
from commands.crm.customer_cards import contact_line
from commands.crm.customer_common import contact_for, split_list
from commands.crm.external_links import link_command, unlink_command
from commands.crm.lines import customer_named, field, read_line
from commands.crm.verbs import action_of
from domain.crm.customers import CONTACT_KEYS, Value, add_contact, contact_view, edit_contact
from domain.crm.history import RECORD_KINDS, log_activity
from domain.crm.models import Contact, Customer
from domain.directory.roles import Permission
from domain.shared.errors import DomainError

LANGUAGES = {"en": "en", "english": "en", "英文": "en", "英语": "en"}
KIND_WORDS = {
    "电话": "call",
    "拜访": "visit",
    "会议": "meeting",
    "消息": "message",
    "邮件": "email",
}


class ContactArgs(BaseModel):
    """``/contact add CUSTOMER NAME …``, ``/contact edit N key=value…``, or
    ``/contact link|unlink N W`` (a WeCom customer); the rest is read by ``commands/crm/lines``."""

    action: str = Field(description=_("add|edit|link|unlink"))
    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


CONTACT_FIELDS = tuple(
    field(key) for key in ("title", "phone", "email", "channel", "lang", "prefs")
)


class LogArgs(BaseModel):
    """``/log CUSTOMER call|visit|meeting|message|email TEXT [contact=N]`` (read by the reader)."""

    text: str = Field(
        description=_("customer, call|visit|meeting|message|email, what happened"),
        json_schema_extra={"rest": True},
    )


class NoteArgs(BaseModel):
    """``/note CUSTOMER TEXT``."""

    text: str = Field(description=_("customer, note"), json_schema_extra={"rest": True})


RECORD_CHOICES = tuple(
    Choice(kind, tuple(w for w, k in KIND_WORDS.items() if k == kind)) for kind in RECORD_KINDS
)
LOG_FIELDS = (
    field("customer", Kind.RECORD, positional=True),
    field("kind", Kind.CHOICE, positional=True, choices=RECORD_CHOICES),
    field("text", positional=True),
    field("contact", Kind.RECORD),
)
NOTE_FIELDS = (field("customer", Kind.RECORD, positional=True), field("text", positional=True))


def contact(ctx: CommandContext, args: ContactArgs) -> Message:
    """Add a contact to a customer, change one, or link or unlink a WeCom customer."""
    action = action_of(args.action, ("add", "edit", "link", "unlink"))
    text = ctx.typed.partition(" ")[2].strip()
    if action == "link":
        return link_command(ctx, text.split())
    if action == "unlink":
        return unlink_command(ctx, text.split())
    if action not in ("add", "edit") or not text:
        raise DomainError("For example: {example}", example=_("/contact add 12 Li Lei title=CTO"))
    if action == "add":
        return _add(ctx, text)
    fields = (field("contact", Kind.RECORD, positional=True), field("name"), *CONTACT_FIELDS)
    reading = read_line(ctx, fields, text)
    row = contact_for(ctx, reading.values.get("contact", ""))
    edit_contact(ctx.session, row, _values(reading), ctx.actor.id, ctx.now)
    return _card(ctx, ctx.t(_("Contact #{id} changed"), id=row.id), row)


def _add(ctx: CommandContext, text: str) -> Message:
    fields = (
        field("customer", Kind.RECORD, positional=True),
        field("name", positional=True),
        *CONTACT_FIELDS,
    )
    reading = read_line(ctx, fields, text)
    customer = customer_named(ctx, reading.values.get("customer", ""))
    contact_id = add_contact(
        ctx.session, customer, values=_values(reading), actor_id=ctx.actor.id, now=ctx.now
    )
    title = ctx.t(
        _("Contact #{id} added to customer #{customer}"), id=contact_id, customer=customer.id
    )
    return _card(ctx, title, ctx.session.get_one(Contact, contact_id))


def _values(reading: Reading) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for key, raw in reading.values.items():
        if key in ("phone", "email"):
            values[key] = split_list(raw)
        elif key == "lang":
            values[key] = _language(raw)
        elif key in CONTACT_KEYS:
            values[key] = raw
    return values


def _language(text: str) -> str:
    """``zh``, ``中文``, ``en`` … as a locale we speak; anything else is refused."""
    word = text.strip().lower()
    if not word:
        return ""
    if word.startswith("zh") or word in ("中文", "汉语", "chinese"):
        return normalise_locale("zh")
    if word.startswith("en") or word in LANGUAGES:
        return "en"
    raise DomainError("lang must be one of: {choices}.", choices="en, zh_CN")


def _card(ctx: CommandContext, title: str, row: Contact) -> Card:
    view = contact_view(row)
    customer = ctx.session.get(Customer, view.customer_id)
    pairs = [
        (_("Contact"), contact_line(view)),
        (_("Customer"), f"#{view.customer_id} {customer.name}" if customer else ""),
        (_("Preferred channel"), view.channel),
        (_("Language"), view.locale),
        (_("Preferences"), view.preferences),
    ]
    return Card(
        title=title,
        fields=tuple(CardField(ctx.t(label), value) for label, value in pairs if value),
        status=CardStatus.SUCCESS,
    )


def log(ctx: CommandContext, args: LogArgs) -> Message:
    """Record a call, visit, meeting, message or email with a customer."""
    reading = read_line(ctx, LOG_FIELDS, ctx.typed)
    if not {"customer", "kind", "text"} <= set(reading.values):
        raise DomainError("For example: {example}", example=_('/log 12 call "renewal in May"'))
    customer = customer_named(ctx, reading.values["customer"])
    contact_id = None
    if "contact" in reading.values:
        row = contact_for(ctx, reading.values["contact"])
        if row.customer_id != customer.id:
            raise DomainError("Contact #{id} is not one of this customer's.", id=row.id)
        contact_id = row.id
    log_activity(
        ctx.session,
        customer_id=customer.id,
        contact_id=contact_id,
        kind=reading.values["kind"],
        direction="out",
        body=reading.values["text"],
        author_id=ctx.actor.id,
        now=ctx.now,
    )
    return Reply(
        ctx.t(_("Logged for customer #{id} ({name})."), id=customer.id, name=customer.name)
    )


def note(ctx: CommandContext, args: NoteArgs) -> Message:
    """Write an internal note on a customer (never shown to the customer)."""
    reading = read_line(ctx, NOTE_FIELDS, ctx.typed)
    if not {"customer", "text"} <= set(reading.values):
        raise DomainError("For example: {example}", example=_("/note 12 prefers email"))
    customer = customer_named(ctx, reading.values["customer"])
    log_activity(
        ctx.session,
        customer_id=customer.id,
        contact_id=None,
        kind="note",
        direction="internal",
        body=reading.values["text"],
        author_id=ctx.actor.id,
        now=ctx.now,
    )
    return Reply(
        ctx.t(
            _("Internal note added to customer #{id} ({name})."), id=customer.id, name=customer.name
        )
    )


def register(router: Router) -> None:
    """Register /contact, /log and /note."""
    router.add(
        CommandSpec(
            name="contact",
            summary=_("Add a contact to a customer, change one, or link a WeCom customer to one"),
            handler=contact,
            args=ContactArgs,
            aliases=("联系人",),
            permission=Permission.CRM_USE,
            details=_(
                "Phones and emails take a,b lists; lang is en or zh_CN. link and unlink tie a "
                "WeCom customer (the number on their card) to the contact."
            ),
            examples=(
                _("/contact add 12 Li Lei title=CTO phone=13800000000 lang=zh_CN"),
                _('/contact edit 7 email=li@acme.cn prefs="calls after 2pm"'),
                _("/contact link 7 3"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="log",
            summary=_("Log a call, visit, meeting, message or email with a customer"),
            handler=log,
            args=LogArgs,
            aliases=("跟进",),
            permission=Permission.CRM_USE,
            examples=(_("/log 12 call asked for a quote contact=7"),),
        )
    )
    router.add(
        CommandSpec(
            name="note",
            summary=_("Write an internal note on a customer"),
            handler=note,
            args=NoteArgs,
            aliases=("备注",),
            permission=Permission.CRM_USE,
            examples=(_("/note 12 prefers to be called after 2pm"),),
        )
    )
