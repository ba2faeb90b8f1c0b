"""/whoami, /bind and /invite: who you are to Bizbot, and bringing colleagues in."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.dispatch import sentences
from bot.i18n import _
from bot.replies import Action, Button, Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from bot.router import ActionSpec, Audience, CommandSpec, NoArgs, Router
from domain.directory.reach import (
    accounts_of,
    note_last_channel,
    reach_of,
    set_preferred_channel,
)
from domain.directory.roles import Permission
from domain.directory.services import bind_identity, create_bind_code, identities_of


class BindArgs(BaseModel):
    """``/bind CODE``."""

    code: str = Field(description=_("code"), min_length=4, max_length=32)


class PreferArgs(BaseModel):
    """``/prefer [channel]``."""

    channel: str | None = Field(default=None, description=_("channel"), max_length=32)


class InviteArgs(BaseModel):
    """``/invite HANDLE``."""

    handle: str = Field(description=_("handle"), min_length=1, max_length=65)


CHANNEL_NAMES = {
    "webchat": _("Web chat"),
    "slack": "Slack",
    "telegram": "Telegram",
    "dingtalk": "DingTalk 钉钉",
    "wecom": "WeCom 企业微信",
}


def whoami(ctx: CommandContext, _args: NoArgs) -> Message:
    """The actor's directory entry and linked chat accounts."""
    me = ctx.actor
    none = ctx.t(_("none"))
    accounts = identities_of(ctx.session, me.id)
    fields = [
        CardField(ctx.t(_("Handle")), f"@{me.handle}"),
        CardField(ctx.t(_("Department")), me.department or none),
        CardField(ctx.t(_("Manager")), f"@{me.manager}" if me.manager else none),
        CardField(ctx.t(_("Roles")), ", ".join(me.roles) or "employee"),
        CardField(ctx.t(_("Language")), "中文" if me.locale.startswith("zh") else "English"),
        CardField(ctx.t(_("Time zone")), me.timezone),
        CardField(ctx.t(_("Chat accounts")), ", ".join(accounts) or none),
    ]
    if me.email:
        fields.insert(1, CardField(ctx.t(_("Email")), me.email))
    return Card(title=me.name, fields=tuple(fields), status=CardStatus.INFO)


def bind(ctx: CommandContext, args: BindArgs) -> Message:
    """Link the sender's chat account to the member a bind code was made for."""
    address, event = ctx.origin, ctx.event
    member = bind_identity(
        ctx.session, args.code, address.channel, address.workspace, event.sender_id, ctx.now
    )
    ctx.actor = member
    if ctx.policies.delivers_to(address.channel):
        note_last_channel(ctx.session, member.id, address.channel)  # they are here now
    return Reply(
        ctx.t(
            _("Welcome, {name}! This account is now linked to @{handle}. Type /help to begin."),
            name=member.name,
            handle=member.handle,
        )
    )


def invite(ctx: CommandContext, args: InviteArgs) -> Message:
    """Make a one-time bind code for a colleague (sent to a direct chat only)."""
    code = create_bind_code(ctx.session, args.handle, ctx.now, ctx.policies.invite_ttl)
    return Card(
        title=ctx.t(_("Bind code for @{handle}"), handle=args.handle.lstrip("@").lower()),
        body=ctx.t(
            _("Ask them to send this to Bizbot on their chat app. It works once, for {days} days."),
            days=max(1, ctx.policies.invite_ttl.days),
        ),
        fields=(CardField(ctx.t(_("Command")), f"/bind {code}"),),
        status=CardStatus.SUCCESS,
        secrets=(code,),
    )


AUTOMATIC_WORDS = frozenset({"auto", "automatic", "自动"})  # /prefer auto: no fixed choice


def prefer(ctx: CommandContext, args: PreferArgs) -> Message:
    """Choose the chat app notifications go to, go back to automatic, or show the choice."""
    if args.channel:
        return _choose(ctx, args.channel.strip().lower())
    _note_here(ctx)
    return _preference_card(ctx, CardStatus.INFO)


def _note_here(ctx: CommandContext) -> None:
    """This message is from where the member is now: the automatic choice counts it already
    (the dispatcher records it only after the command)."""
    if ctx.policies.delivers_to(ctx.origin.channel):
        note_last_channel(ctx.session, ctx.actor.id, ctx.origin.channel)


def _choose(ctx: CommandContext, channel: str) -> Card:
    automatic = channel in AUTOMATIC_WORDS
    set_preferred_channel(
        ctx.session,
        ctx.actor.id,
        None if automatic else channel,
        ctx.now,
        ctx.policies.built_in_channel,
    )
    if automatic:
        _note_here(ctx)
    return _preference_card(ctx, CardStatus.SUCCESS)


def _preference_card(ctx: CommandContext, status: CardStatus) -> Card:
    """Where notifications go now and why, with a button for each other way."""
    built_in = ctx.policies.built_in_channel
    reach = reach_of(ctx.session, ctx.actor.id, ctx.policies.notify_channels, built_in)
    channel = _channel_name(ctx, reach.account.channel)
    chosen = reach.by == "chosen"
    if chosen:
        where = ctx.t(_("Notifications go to {channel}, as you chose."), channel=channel)
    else:
        where = ctx.t(
            _("Automatic: notifications go to the chat app you last wrote from, now {channel}."),
            channel=channel,
        )
    answers = ctx.t(_("Answers to commands always come back where you typed them."))
    channels = sorted({a.channel for a in accounts_of(ctx.session, ctx.actor.id, built_in)})
    buttons = [
        Button(_channel_name(ctx, c), Action("prefer.set", target=c), command=f"/prefer {c}")
        for c in channels
        if not (chosen and c == reach.account.channel)
    ]
    if chosen:
        automatic = Action("prefer.set", target="auto")
        buttons.append(Button(ctx.t(_("Automatic (last used)")), automatic, command="/prefer auto"))
    return Card(
        title=ctx.t(_("Where should I reach you?")),
        body=sentences(ctx.locale, [where, answers]),
        buttons=tuple(buttons),
        status=status,
    )


def _channel_name(ctx: CommandContext, channel: str) -> str:
    """A channel as the member knows it (the web chat's name in their language)."""
    return ctx.t(CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel


def prefer_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """A button on the /prefer card: choose that channel (or automatic) and redraw the card."""
    ctx.edit_card(_choose(ctx, target))
    return None


def register(router: Router) -> None:
    """Register /whoami, /bind and /invite."""
    router.add(
        CommandSpec(
            name="whoami",
            summary=_("Show who you are to Bizbot"),
            handler=whoami,
            aliases=("我是谁",),
        )
    )
    router.add(
        CommandSpec(
            name="bind",
            summary=_("Link this chat account to your member entry with a bind code"),
            handler=bind,
            args=BindArgs,
            aliases=("绑定",),
            examples=(_("/bind K7PD-M3QX"),),
            audience=Audience.STRANGERS,
            takes_secret=True,
        )
    )
    router.add(
        CommandSpec(
            name="prefer",
            summary=_("Choose the chat app where Bizbot notifies you"),
            handler=prefer,
            args=PreferArgs,
            aliases=("偏好",),
            examples=(_("/prefer"), _("/prefer telegram"), _("/prefer auto")),
        )
    )
    router.add_action(ActionSpec(name="prefer.set", handler=prefer_button))
    router.add(
        CommandSpec(
            name="invite",
            summary=_("Make a bind code for a colleague"),
            handler=invite,
            args=InviteArgs,
            aliases=("邀请",),
            permission=Permission.INVITE_MEMBERS,
            examples=(_("/invite alice"),),
        )
    )
