"""/contact add|edit|link|unlink, /log (communication records) and /note (internal notes)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _, normalise_locale
from bot.replies import Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from bot.router import CommandSpec, Router
from commands.crm.customer_cards import contact_line
from commands.crm.customer_common import contact_for, customer_for, split_list
from commands.crm.external_links import link_command, unlink_command
from commands.crm.verbs import action_of
from domain.crm.customers import CONTACT_KEYS, Value, add_contact, contact_view, edit_contact
from domain.crm.history import RECORD_KINDS, log_activity
from domain.crm.models import Contact, Customer
from domain.directory.roles import Permission
from domain.shared.errors import DomainError

CONTACT_OPTIONS = ("name", "title", "phone", "email", "channel", "lang", "prefs")
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
    ``/contact link|unlink N W`` (a WeCom customer)."""

    action: str = Field(description=_("add|edit|link|unlink"))
    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})
    name: str | None = Field(default=None, description=_("name="))
    title: str | None = Field(default=None, description=_("title="))
    phone: str | None = Field(default=None, description=_("phone=a,b"))
    email: str | None = Field(default=None, description=_("email=a,b"))
    channel: str | None = Field(default=None, description=_("channel="))
    lang: str | None = Field(default=None, description=_("lang=en|zh_CN"))
    prefs: str | None = Field(default=None, description=_("prefs="))


class LogArgs(BaseModel):
    """``/log CUSTOMER call|visit|meeting|message|email TEXT [contact=N]``."""

    customer: str = Field(description=_("customer"))
    kind: str = Field(description=_("call|visit|meeting|message|email"))
    text: str = Field(description=_("what happened"), json_schema_extra={"rest": True})
    contact: str | None = Field(default=None, description=_("contact=N"))


class NoteArgs(BaseModel):
    """``/note CUSTOMER TEXT``."""

    customer: str = Field(description=_("customer"))
    text: str = Field(description=_("note"), json_schema_extra={"rest": True})


def contact(ctx: CommandContext, args: ContactArgs) -> Message:
    """Add a contact to a customer, change one, or link or unlink a WeCom customer."""
    words = args.rest.split()
    action = action_of(args.action, ("add", "edit", "link", "unlink"))
    if action == "link":
        return link_command(ctx, words)
    if action == "unlink":
        return unlink_command(ctx, words)
    if action not in ("add", "edit") or not words:
        raise DomainError("For example: {example}", example="/contact add 12 Li Lei title=CTO")
    values = _values(args, words)
    if action == "add":
        customer = customer_for(ctx, words[0])
        name = " ".join(words[1:]) or str(values.pop("name", ""))
        contact_id = add_contact(
            ctx.session,
            customer,
            values={**values, "name": name},
            actor_id=ctx.actor.id,
            now=ctx.now,
        )
        title = ctx.t(
            _("Contact #{id} added to customer #{customer}"), id=contact_id, customer=customer.id
        )
        return _card(ctx, title, ctx.session.get_one(Contact, contact_id))
    row = contact_for(ctx, words[0])
    if len(words) > 1:
        raise DomainError(
            "Write changes as key=value. You can set: {allowed}.", allowed=", ".join(CONTACT_KEYS)
        )
    edit_contact(ctx.session, row, values, ctx.actor.id, ctx.now)
    return _card(ctx, ctx.t(_("Contact #{id} changed"), id=row.id), row)


def _values(args: ContactArgs, words: list[str]) -> dict[str, Value]:
    stray = next((w for w in words if "=" in w), None)
    if stray is not None:
        raise DomainError(
            "Unknown field {field}. You can set: {allowed}.",
            field=stray.split("=", 1)[0],
            allowed=", ".join(CONTACT_KEYS),
        )
    values: dict[str, Value] = {}
    for key in CONTACT_OPTIONS:
        raw = getattr(args, key)
        if raw is None:
            continue
        values[key] = split_list(raw) if key in ("phone", "email") else raw
    if args.lang is not None:
        values["lang"] = _language(args.lang)
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
    customer = customer_for(ctx, args.customer)
    kind = KIND_WORDS.get(args.kind, args.kind.lower())
    if kind not in RECORD_KINDS:
        raise DomainError("A record is one of: {choices}.", choices=", ".join(RECORD_KINDS))
    contact_id = None
    if args.contact is not None:
        row = contact_for(ctx, args.contact)
        if row.customer_id != customer.id:
            raise DomainError("Contact #{id} is not one of this customer's.", id=row.id)
        contact_id = row.id
    log_activity(
        ctx.session,
        customer_id=customer.id,
        contact_id=contact_id,
        kind=kind,
        direction="out",
        body=args.text,
        author_id=ctx.actor.id,
        now=ctx.now,
    )
    return Reply(
        ctx.t(_("Logged for customer #{id} ({name})."), id=customer.id, name=customer.name)
    )


def note(ctx: CommandContext, args: NoteArgs) -> Message:
    """Write an internal note on a customer (never shown to the customer)."""
    customer = customer_for(ctx, args.customer)
    log_activity(
        ctx.session,
        customer_id=customer.id,
        contact_id=None,
        kind="note",
        direction="internal",
        body=args.text,
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
                "/contact add 12 Li Lei title=CTO phone=13800000000 lang=zh_CN",
                '/contact edit 7 email=li@acme.cn prefs="calls after 2pm"',
                "/contact link 7 3",
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
            examples=("/log 12 call asked for a quote contact=7", "/跟进 12 拜访 带了样品"),
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
            examples=("/note 12 prefers to be called after 2pm",),
        )
    )
