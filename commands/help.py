"""/help, /ping and /lang: finding your way and choosing your language."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from bot.context import CommandContext
from bot.dispatch import HOW_TO_BIND
from bot.i18n import _
from bot.pipeline.prompts import close_prompt
from bot.replies import Action, Button, Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from bot.router import ActionSpec, Audience, CommandSpec, NoArgs, Router
from domain.directory.services import set_locale

# fmt: off
LANGUAGE_WORDS = {
    "en": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "zh": "zh_CN",
    "zh_cn": "zh_CN",
    "zh-cn": "zh_CN",
    "cn": "zh_CN",
    "中文": "zh_CN",
    "汉语": "zh_CN",
    "chinese": "zh_CN",
}


class HelpArgs(BaseModel):
    """``/help [command]``."""

    command: str | None = Field(default=None, description=_("command"))


class LangArgs(BaseModel):
    """``/lang zh|en``."""

    language: Literal["en", "zh_CN"] | None = Field(default=None, description=_("language"))

    @field_validator("language", mode="before")
    @classmethod
    def _language_word(cls, value: Any) -> Any:
        return LANGUAGE_WORDS.get(str(value).lower(), value) if value is not None else None


def show_help(ctx: CommandContext, args: HelpArgs) -> Message:
    """The commands the asker may use, or the details of one."""
    if ctx.is_stranger:
        return Reply(ctx.t(HOW_TO_BIND))
    if args.command:
        return _command_help(ctx, args.command.lstrip("/"))
    return help_card(ctx)


AREAS = (  # the package a command lives in -> its area on the help card, in this order
    ("commands.help", _("Getting started")),
    ("commands.identity", _("Getting started")),
    ("commands.reminders", _("Time: reminders, meetings, notices")),
    ("commands.calendar", _("Time: reminders, meetings, notices")),
    ("commands.ding", _("Time: reminders, meetings, notices")),
    ("commands.digest", _("Time: reminders, meetings, notices")),
    ("commands.approvals", _("Approvals")),
    ("commands.crm", _("Customers and sales")),
    ("commands.finance", _("Finance")),
)


START_HERE = (  # what is going on around the reader: command, and its word in English, Chinese
    ("approvals", "", ""),
    ("deals", "", ""),
    ("tickets", "", ""),
    ("agenda", "week", "本周"),
    ("reminders", "", ""),
)


def start_here(ctx: CommandContext) -> str:
    """The line pointing a newcomer at what is going on, with the commands they may use."""
    chinese = ctx.locale.startswith("zh")
    tries = []
    for name, english, word in START_HERE:
        spec = ctx.router.find(name)
        if spec is not None and ctx.may(spec.permission):
            typed = f"/{spec.display_name(ctx.locale)} {word if chinese else english}"
            tries.append(typed.strip())
    return ctx.t(_("See what is going on: {commands}"), commands=" · ".join(tries))


def area_of(spec: CommandSpec) -> str:
    """The help card's area a command belongs to (by where it is written)."""
    module = getattr(spec.handler, "__module__", "")
    return next((area for prefix, area in AREAS if module.startswith(prefix)), _("More"))


def help_card(ctx: CommandContext) -> Card:
    """A card listing what the actor may do by area, with a button to switch language."""
    groups: dict[str, list[str]] = {}
    for spec in ctx.router.commands():
        if spec.serves(stranger=False) and ctx.may(spec.permission):
            line = f"/{spec.display_name(ctx.locale)} — {ctx.t(spec.summary)}"
            groups.setdefault(area_of(spec), []).append(line)
    order = [area for _prefix, area in AREAS] + [_("More")]
    lines: list[str] = []
    for area in dict.fromkeys(order):
        if area in groups:
            heading = f"【{ctx.t(area)}】" if ctx.locale.startswith("zh") else f"{ctx.t(area)}:"
            lines += ["", heading]
            lines += groups[area]
    other = "en" if ctx.locale.startswith("zh") else "zh_CN"
    switch = Button(
        "English" if other == "en" else "中文",
        Action("lang.set", args={"locale": other, "then": "help"}, single_use=False),
        command=f"/lang {other}",
    )
    return Card(
        title=ctx.t(_("What I can do for you")),
        body="\n".join([start_here(ctx), *lines]).strip(),
        buttons=(switch,),
        footer=ctx.t(_("Type /help COMMAND for details.")),
    )


def _command_help(ctx: CommandContext, name: str) -> Message:
    spec = ctx.router.find(name)
    if spec is None or not spec.serves(stranger=False) or not ctx.may(spec.permission):
        return Reply(ctx.t(_("I don't know /{name}."), name=name))
    body = [ctx.t(spec.summary)]
    if spec.details:
        body.append(ctx.t(spec.details))
    fields = [CardField(ctx.t(_("Usage")), spec.usage(ctx.locale))]
    if spec.aliases:
        fields.append(CardField(ctx.t(_("Also")), " ".join(f"/{a}" for a in spec.aliases)))
    if spec.examples:
        examples = dict.fromkeys(ctx.t(example) for example in spec.examples)
        fields.append(CardField(ctx.t(_("Examples")), "\n".join(examples)))
    return Card(
        title=f"/{spec.display_name(ctx.locale)}", body="\n".join(body), fields=tuple(fields)
    )


def ping(ctx: CommandContext, _args: NoArgs) -> Message:
    """Answer, to show the bot is alive."""
    return Reply(ctx.t(_("pong")))


def cancel(ctx: CommandContext, _args: NoArgs) -> Message:
    """Drop the question Bizbot is waiting for an answer to, if any."""
    if close_prompt(ctx.session, ctx.origin.key, ctx.actor.id):
        return Reply(ctx.t(_("Cancelled.")))
    return Reply(ctx.t(_("There is nothing to cancel.")))


def change_language(ctx: CommandContext, args: LangArgs) -> Message:
    """Set the language Bizbot speaks to the actor, or offer the choice."""
    if args.language is None:
        return Card(
            title=ctx.t(_("Choose your language")),
            buttons=(
                Button("English", Action("lang.set", args={"locale": "en"}), command="/lang en"),
                Button("中文", Action("lang.set", args={"locale": "zh_CN"}), command="/lang zh"),
            ),
        )
    return _apply_language(ctx, args.language)


def _apply_language(ctx: CommandContext, locale: str) -> Card:
    ctx.actor = set_locale(ctx.session, ctx.actor.id, locale, ctx.now)
    return Card(
        title=ctx.t(_("Language")),
        body=ctx.t(_("I will speak English with you from now on.")),
        status=CardStatus.SUCCESS,
    )


def language_button(ctx: CommandContext, _target: str, args: dict[str, Any]) -> Message | None:
    """A language button: switch, then redraw the card it was on in the new language."""
    confirmation = _apply_language(ctx, str(args["locale"]))
    ctx.edit_card(help_card(ctx) if args.get("then") == "help" else confirmation)
    return None


def register(router: Router) -> None:
    """Register /help, /ping and /lang."""
    router.add(
        CommandSpec(
            name="help",
            summary=_("Show what you can do, or how to use one command"),
            handler=show_help,
            args=HelpArgs,
            aliases=("帮助", "h"),
            examples=(_("/help"), _("/help whoami")),
            audience=Audience.EVERYONE,
        )
    )
    router.add(CommandSpec(name="ping", summary=_("Check that Bizbot is listening"), handler=ping))
    router.add(
        CommandSpec(
            name="cancel",
            summary=_("Stop answering the question Bizbot asked"),
            handler=cancel,
            aliases=("取消",),
        )
    )
    router.add(
        CommandSpec(
            name="lang",
            summary=_("Choose the language Bizbot speaks with you"),
            handler=change_language,
            args=LangArgs,
            aliases=("语言", "language"),
            examples=(_("/lang zh"), _("/lang en")),
        )
    )
    router.add_action(ActionSpec(name="lang.set", handler=language_button))
