"""Handling one inbound event inside its transaction: who sent it, what it asks, and the answer."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.context import PROMPT_TTL, CommandContext, GuestResolver, GuestView, Policies
from bot.events import EventKind, InboundEvent
from bot.i18n import _, gettext, normalise_locale, t
from bot.logging import HeldLogs, get_logger
from bot.parsing import ArgumentError, CommandLine, bind_words, choice_labels, split_command
from bot.picking import MISSING_PROMPT, PICK_ACTION, Ambiguous, Missing
from bot.pipeline.inbox import Claimed, finish, finish_many, keep_blanked, recent_events
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.prompts import OpenPrompt, open_prompt, take_prompt
from bot.pipeline.tables import ActionTokenRow, InboxRow
from bot.replies import PLACEHOLDER, Message, Reply
from bot.router import ActionSpec, CommandSpec, PromptSpec, Router
from domain.directory.reach import note_last_channel
from domain.directory.services import get_org, resolve_sender
from domain.directory.views import MemberView, OrgView
from domain.shared.db import retryable, rows_changed
from domain.shared.errors import DomainError

log = get_logger("bizbot.dispatch")

TAP_COMMAND = "tap"
CANCEL_WORDS = frozenset({"cancel", "/cancel", "取消", "/取消", "算了", "stop"})
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what bot.pipeline.outbox.new_token makes


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one event, for metrics and logs."""

    inbox_id: int
    command: str
    outcome: str  # ok | refused | invalid | stranger | limited | error
    received_at: datetime
    replies: int
    kept_text: str | None = None  # the text to keep instead of the typed one (a secret blanked)


@dataclass
class Trace:
    """What is known about an event as it is routed, for the answer when it fails."""

    locale: str
    inbox_id: int = 0
    command: str = ""
    actor_id: int | None = None
    moved_to: str | None = None  # the channel a member wrote from, when not the one on record
    kept_text: str | None = None  # set when the typed words were a secret: ``/bind ••••``


@dataclass
class Dispatcher:
    """Resolves the sender, routes the event and writes the answers to the outbox."""

    router: Router
    handle_channels: frozenset[str]
    action_ttl: timedelta
    policies: Policies = field(default_factory=Policies)
    message_handler: Callable[[CommandContext], Message | None] | None = None
    guest_resolver: GuestResolver | None = None  # who, of the unknown senders, is a guest
    guest_message_handler: Callable[[CommandContext], Message | None] | None = None
    # what an unknown command name may mean (``/合同`` -> ``/申请 合同``), from the features
    suggest: Callable[[CommandContext, str], str | None] | None = None

    def __post_init__(self) -> None:
        if self.router.action(PICK_ACTION) is None:
            self.router.add_action(ActionSpec(PICK_ACTION, self._picked))
            self.router.add_prompt(PromptSpec(MISSING_PROMPT, self._missing_answered))

    def _ask_missing(
        self,
        session: Session,
        event: InboundEvent,
        outbox: OutboxWriter,
        now: datetime,
        missing: Missing,
        trace: Trace,
    ) -> None:
        if trace.actor_id is None:
            return
        state = {"line": missing.line, "key": missing.key}
        ttl = now + PROMPT_TTL
        open_prompt(session, event.address.key, trace.actor_id, MISSING_PROMPT, state, now, ttl)
        footer = t(trace.locale, _("Reply with the answer, or send cancel to stop."))
        outbox.send(event.address, missing.card(footer), recipient_id=trace.actor_id)

    def _missing_answered(self, ctx: CommandContext, text: str, state: dict[str, Any]) -> None:
        """The answer to a missing field: the command runs again with it."""
        line = f"{state['line']} {state['key']}={text.strip()}"
        self._picked(ctx, "", {"line": line})

    def _picked(self, ctx: CommandContext, _target: str, args: dict[str, Any]) -> None:
        """A record picked on a "which one?" card: the command runs again as if so typed."""
        line = split_command(str(args["line"]))
        if line is None:
            return
        event = replace(ctx.event, kind=EventKind.COMMAND, text=str(args["line"]))
        again = replace(ctx, event=event, card_id=None)
        self._command(again, line, Trace(locale=ctx.locale, actor_id=ctx.actor.id))

    def handle_batch(self, session: Session, batch: list[Claimed], now: datetime) -> list[Handled]:
        """Process claimed events in order, in the caller's transaction.

        Each event's changes must be undone alone when it fails. A savepoint per event costs a
        quarter to a third of an event's handling, so the batch first runs under one savepoint
        with a cheaper check: an event that fails without having written anything has nothing
        to undo and is answered as usual. Only when an event fails after writing (or with a
        database error) is the batch rolled back and run again with a savepoint per event; its
        earlier events are then handled twice but take effect once. They are logged once too:
        the first attempt's log lines are held back and dropped with it, and each event keeps
        its correlation id across both attempts. A deadlock or a serialization failure with
        another transaction is no event's failure: it leaves the batch, and the database runner
        runs the whole transaction again (no event is answered as a crash for it).

        The org's settings are read once per batch (no command changes them), and the events
        that went through are marked done together at the end, in the same transaction.
        """
        if not batch:
            return []
        org = get_org(session)
        cids = [new_correlation_id() for _ in batch]
        first_attempt = HeldLogs()
        try:
            with first_attempt.holding(), session.begin_nested():
                handled = [
                    self._handle(session, c, cid, now, org, isolated=False)
                    for c, cid in zip(batch, cids, strict=True)
                ]
        except _NeedsSavepoint:
            session.expire_all()  # what the first attempt loaded may be gone with it
            handled = [
                self._handle(session, c, cid, now, org, isolated=True)
                for c, cid in zip(batch, cids, strict=True)
            ]
        else:
            first_attempt.release()
        finish_many(session, [h.inbox_id for h in handled if h.outcome != "error"], now)
        keep_blanked(
            session,
            [
                (c.id, replace(c.event, text=h.kept_text))
                for c, h in zip(batch, handled, strict=True)
                if h.kept_text is not None
            ],
        )
        return handled

    def handle(self, session: Session, claimed: Claimed, now: datetime) -> Handled:
        """Process one claimed event (see ``handle_batch``)."""
        return self.handle_batch(session, [claimed], now)[0]

    def _handle(
        self,
        session: Session,
        claimed: Claimed,
        cid: str,
        now: datetime,
        org: OrgView,
        *,
        isolated: bool,
    ) -> Handled:
        """One event: a refusal or a bug undoes only its changes (see ``handle_batch``).

        Every outcome but ``error`` leaves the event to be marked done by the batch; a crash
        marks it failed here, with the correlation id the user is shown.
        """
        event = claimed.event
        outbox = OutboxWriter(session, now, claimed.id, self.action_ttl)
        trace = Trace(locale=normalise_locale(event.locale_hint), inbox_id=claimed.id)
        structlog.contextvars.bind_contextvars(correlation_id=cid, inbox_id=claimed.id)
        try:
            with _savepoint(session) if isolated else _undo_needs_nothing(session):
                outcome = self._route(session, event, org, outbox, now, cid, trace)
        except _NeedsSavepoint:
            raise
        except Ambiguous as exc:  # several records fit a name: ask which, with buttons
            outbox.written = 0
            outbox.send(event.address, exc.card, recipient_id=trace.actor_id)
            outcome = "asked"
        except Missing as exc:  # a field is missing: ask for it; the answer runs it again
            outbox.written = 0
            self._ask_missing(session, event, outbox, now, exc, trace)
            outcome = "asked"
        except (DomainError, ArgumentError) as exc:  # a refusal, or a fixable mistake
            outbox.written = 0
            outbox.send(
                event.address,
                Reply(refusal_text(trace.locale, exc)),
                recipient_id=trace.actor_id,
            )
            outcome = "refused"
        except Exception as exc:  # the one boundary that turns any bug into a reply
            if retryable(exc):  # a deadlock with another transaction: not this event's fault
                raise  # the database runner runs the whole batch again
            outbox.written = 0
            self._report_crash(session, claimed, outbox, now, cid, exc, trace.locale)
            outcome = "error"
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id", "inbox_id")
        if trace.moved_to is not None and trace.actor_id is not None:
            # after the event's own changes, so that a refusal does not undo it
            note_last_channel(session, trace.actor_id, trace.moved_to)
        return Handled(
            claimed.id,
            trace.command,
            outcome,
            claimed.received_at,
            outbox.written,
            trace.kept_text,
        )

    def _route(
        self,
        session: Session,
        event: InboundEvent,
        org: OrgView,
        outbox: OutboxWriter,
        now: datetime,
        cid: str,
        trace: Trace,
    ) -> str:
        actor = resolve_sender(
            session,
            event.address.channel,
            event.address.workspace,
            event.sender_id,
            by_handle=event.address.channel in self.handle_channels,
        )
        guest = (
            self.guest_resolver(session, event) if actor is None and self.guest_resolver else None
        )
        if guest is not None:
            view = _guest_view(guest, org)
            ctx = CommandContext(
                session, event, view, org, now, outbox, self.router, cid, self.policies
            )
            return self._guest(ctx, trace)
        if actor is None or not actor.active:
            trace.locale = (
                actor.locale if actor else normalise_locale(event.locale_hint or org.locale)
            )
            return self._stranger(session, event, org, actor, outbox, now, cid, trace)
        trace.locale, trace.actor_id = actor.locale, actor.id
        channel = event.address.channel
        if actor.last_channel != channel and self.policies.delivers_to(channel):
            trace.moved_to = channel
        ctx = CommandContext(
            session, event, actor, org, now, outbox, self.router, cid, self.policies
        )
        if event.kind is EventKind.ACTION:
            trace.command = TAP_COMMAND
            return self._tap(ctx, event.action_token)
        if event.files and not _files_usable(ctx):
            return "refused"
        line = split_command(event.text)
        if line is None:
            return self._message(ctx, trace)
        return self._command(ctx, line, trace)

    def _stranger(
        self,
        session: Session,
        event: InboundEvent,
        org: OrgView,
        member: MemberView | None,
        outbox: OutboxWriter,
        now: datetime,
        cid: str,
        trace: Trace,
    ) -> str:
        """Unknown senders may only bind; deactivated members may do nothing."""
        locale = trace.locale
        line = split_command(event.text) if event.kind is not EventKind.ACTION else None
        spec = self.router.find(line.name) if line else None
        typed = line or split_command("/" + event.text.strip())  # also "bind CODE", unslashed
        if typed is not None:
            self._blank_secret(typed, trace)  # however it is answered
        if self._over_stranger_limit(session, event, outbox, now, trace):
            return "limited"
        if member is not None:
            log.warning("refused.deactivated", member=member.handle, event_id=event.event_id)
            outbox.send(
                event.address, Reply(t(locale, DEACTIVATED)), recipient_id=None, context=event.extra
            )
            return "refused"
        if line is None or spec is None or not spec.serves(stranger=True):
            outbox.send(
                event.address, Reply(t(locale, HOW_TO_BIND)), recipient_id=None, context=event.extra
            )
            return "stranger"
        stranger = _stranger_view(event, locale, org)
        ctx = CommandContext(
            session, event, stranger, org, now, outbox, self.router, cid, self.policies
        )
        return self._command(ctx, line, trace)

    def _over_stranger_limit(
        self,
        session: Session,
        event: InboundEvent,
        outbox: OutboxWriter,
        now: datetime,
        trace: Trace,
    ) -> bool:
        """Whether this sender wrote more than their limit here in the last minute, counted on
        the inbox; past it, one notice in their language, then silence (no more answers)."""
        limit = self.policies.stranger_events_per_minute
        recent = recent_events(
            session,
            event.address.key,
            event.sender_id,
            up_to=trace.inbox_id,
            since=now - timedelta(minutes=1),
            at_most=limit + 2,
        )
        if recent <= limit:
            return False
        if recent == limit + 1:
            sender = event.sender_id[:64]
            log.warning("refused.stranger_rate", channel=event.address.channel, sender=sender)
            outbox.send(
                event.address,
                Reply(t(trace.locale, SLOW_DOWN)),
                recipient_id=None,
                context=event.extra,
            )
        return True

    def _guest(self, ctx: CommandContext, trace: Trace) -> str:
        """A guest: only what serves guests, within their rate limit."""
        trace.locale, trace.actor_id = ctx.locale, ctx.actor.id
        if self._over_guest_limit(ctx, trace):
            return "limited"
        if ctx.event.kind is EventKind.ACTION:
            trace.command = TAP_COMMAND
            return self._tap(ctx, ctx.event.action_token)
        line = split_command(ctx.event.text)
        if line is None:
            return self._guest_message(ctx, trace)
        if line.name == TAP_COMMAND and line.words:
            trace.command = TAP_COMMAND
            return self._tap(ctx, line.words[0])
        spec = self.router.find_for_guest(line.name)
        if spec is None:
            self._blank_secret(line, trace)
            trace.command = "unknown"
            if self.router.find(line.name) is not None:
                log.warning("refused.guest_command", guest=ctx.actor.id, command=line.name[:64])
            ctx.reply(Reply(sentences(ctx.locale, [ctx.t(UNKNOWN, name=line.name), ctx.t(HELP)])))
            return "unknown"
        trace.command = f"guest:{spec.name}"
        return self._run(ctx, spec, line)

    def _over_guest_limit(self, ctx: CommandContext, trace: Trace) -> bool:
        """Whether this conversation sent more than the limit in the last minute, counted on the
        inbox (so a restart forgets nothing); past it, one notice, then silence."""
        limit = self.policies.guest_commands_per_minute
        recent = ctx.session.scalar(
            select(func.count())
            .select_from(InboxRow)
            .where(
                InboxRow.conversation_key == ctx.origin.key,
                InboxRow.id <= trace.inbox_id,
                InboxRow.received_at > ctx.now - timedelta(minutes=1),
            )
        )
        if (recent or 0) <= limit:
            return False
        log.warning("refused.guest_rate", guest=ctx.actor.id, recent=recent)
        if recent == limit + 1:
            ctx.reply(Reply(ctx.t(SLOW_DOWN)))
        return True

    def _guest_message(self, ctx: CommandContext, trace: Trace) -> str:
        """A guest's plain text: the answer to a question put to them, or a message onwards."""
        prompt = take_prompt(ctx.session, ctx.origin.key, ctx.actor.id, ctx.now)
        spec = self.router.prompt(prompt.name) if prompt else None
        if prompt is not None and spec is not None and spec.guests:
            return self._answer_prompt(ctx, prompt, ctx.event.text.strip(), trace)
        if self.guest_message_handler is None:
            ctx.reply(Reply(ctx.t(HELP)))
            return "ok"
        trace.command = "guest:message"
        return _answer(ctx, self.guest_message_handler(ctx))

    def _command(self, ctx: CommandContext, line: CommandLine, trace: Trace) -> str:
        if line.name == TAP_COMMAND and line.words:
            trace.command = TAP_COMMAND
            return self._tap(ctx, line.words[0])
        spec = self.router.find(line.name)
        leading = self.router.find_leading(line.name) if spec is None else None
        if leading is not None:  # "/提醒我明天…": the command's Chinese name, then its words
            spec, words = leading
            text = f"/{line.name[: -len(words)]} {words} {line.rest}".strip()
            line = split_command(text) or line
            ctx = replace(ctx, event=replace(ctx.event, text=text))
        if spec is None:
            trace.command = "unknown"
            return self._unknown(ctx, line.name)
        trace.command = spec.name
        if spec.takes_secret and line.rest:
            trace.kept_text = f"/{line.name} {PLACEHOLDER}"
        if not spec.serves(stranger=ctx.is_stranger):
            me = ctx.actor
            ctx.reply(Reply(ctx.t(ALREADY_KNOWN, name=me.name, handle=me.handle)))
            return "refused"
        if not ctx.is_stranger and not ctx.may(spec.permission):
            log.warning("refused.permission", member=ctx.actor.handle, command=spec.name)
            name = spec.display_name(ctx.locale)
            ctx.reply(Reply(ctx.t(_("You may not use /{command}."), command=name)))
            return "refused"
        return self._run(ctx, spec, line)

    def _run(self, ctx: CommandContext, spec: CommandSpec, line: CommandLine) -> str:
        """Bind the words to the command's arguments and run it."""
        try:
            args = bind_words(spec.args, line.words)
        except ArgumentError as exc:
            reason = ctx.t(exc.message, **_labelled(spec, ctx.locale, exc.params))
            usage = ctx.t(_("Usage: {usage}"), usage=spec.usage(ctx.locale))
            ctx.reply(Reply(f"{reason}\n{usage}"))
            return "invalid"
        return _answer(ctx, spec.handler(ctx, args))

    def _blank_secret(self, line: CommandLine, trace: Trace) -> None:
        """Keep a command line whose words are a secret (``/bind CODE``, also run together as
        ``/绑定CODE``) as ``/bind ••••``, even when it is not run."""
        spec, name = self.router.find(line.name), line.name
        leading = self.router.find_leading(line.name) if spec is None else None
        if leading is not None:
            spec, words = leading
            name = line.name[: -len(words)]
        if spec is not None and spec.takes_secret and (line.rest or leading):
            trace.kept_text = f"/{name} {PLACEHOLDER}"

    def _unknown(self, ctx: CommandContext, name: str) -> str:
        meant = self.suggest(ctx, name) if self.suggest else None
        close = self.router.suggest(name)
        guess = meant or (f"/{close}" if close else None)
        parts = [ctx.t(UNKNOWN, name=name)]
        if guess:
            parts.append(ctx.t(_("Did you mean {guess}?"), guess=guess))
        parts.append(ctx.t(HELP))
        ctx.reply(Reply(sentences(ctx.locale, parts)))
        return "unknown"

    def _message(self, ctx: CommandContext, trace: Trace) -> str:
        """Plain text: the answer to an open question, a command typed without its slash in a
        direct chat (``help``, ``帮助``), or a hint."""
        prompt = take_prompt(ctx.session, ctx.origin.key, ctx.actor.id, ctx.now)
        text = ctx.event.text.strip()
        if prompt is not None:
            return self._answer_prompt(ctx, prompt, text, trace)
        first = text.split(maxsplit=1)[0].lower() if text else ""
        known = self.router.find(first) or self.router.find_leading(first)
        if ctx.event.is_direct and known is not None:
            line = split_command("/" + text)
            assert line is not None
            return self._command(ctx, line, trace)
        if self.message_handler is not None:
            return _answer(ctx, self.message_handler(ctx))
        ctx.reply(Reply(ctx.t(_("Type help (or /help) to see what you can do."))))
        return "ok"

    def _answer_prompt(
        self, ctx: CommandContext, prompt: OpenPrompt, text: str, trace: Trace
    ) -> str:
        trace.command = f"prompt:{prompt.name}"
        if text.lower() in CANCEL_WORDS:
            ctx.reply(Reply(ctx.t(_("Cancelled."))))
            return "ok"
        spec = self.router.prompt(prompt.name)
        if spec is None:
            raise LookupError(f"no prompt handler {prompt.name!r}")
        return _answer(ctx, spec.handler(ctx, text, prompt.state))

    def _tap(self, ctx: CommandContext, token: str) -> str:
        """A button tap: check the token, who taps it and whether it is still live, then act."""
        row = ctx.session.get(ActionTokenRow, token) if TOKEN_SHAPE.match(token) else None
        spec = self.router.action(row.action) if row else None
        if row is not None and spec is not None and ctx.is_guest and not spec.guests:
            log.warning("refused.guest_action", guest=ctx.actor.id, action=row.action)
            spec = None
        if row is None or spec is None:
            log.warning("refused.token_unknown", member=ctx.actor.handle, token=token[:64])
            ctx.reply(Reply(ctx.t(_("This button is not valid."))))
            return "refused"
        if row.allowed is not None and ctx.actor.id not in row.allowed:
            log.warning(
                "refused.token_not_yours",
                member=ctx.actor.handle,
                action=row.action,
                target=row.target,
            )
            ctx.reply(Reply(ctx.t(_("This button is not for you."))))
            return "refused"
        ctx.card_id = row.outbox_id
        if row.single_use and row.used_at is not None:
            return _stale(ctx, row, spec)
        if row.expires_at is not None and row.expires_at <= ctx.now:
            log.warning("refused.token_expired", member=ctx.actor.handle, action=row.action)
            ctx.reply(Reply(ctx.t(_("This button has expired."))))
            return "refused"
        if not ctx.is_guest and not ctx.may(spec.permission):
            log.warning("refused.permission", member=ctx.actor.handle, action=row.action)
            ctx.reply(Reply(ctx.t(_("You may not do that."))))
            return "refused"
        if row.single_use and not _use_token(ctx, row):
            return _stale(ctx, row, spec)
        return _answer(ctx, spec.handler(ctx, row.target, dict(row.args)))

    def _report_crash(
        self,
        session: Session,
        claimed: Claimed,
        outbox: OutboxWriter,
        now: datetime,
        cid: str,
        exc: Exception,
        locale: str,
    ) -> None:
        log.error("event.crashed", correlation_id=cid, inbox_id=claimed.id, exc_info=exc)
        text = t(locale, _("Sorry, something went wrong. Reference: {ref}"), ref=cid)
        outbox.send(claimed.event.address, Reply(text), recipient_id=None)
        finish(session, claimed.id, now, failed=True, correlation_id=cid, error=repr(exc)[:2000])


def new_correlation_id() -> str:
    """A short id that ties what a member is shown to what is logged (``Reference: 1A2B3C4D``)."""
    return secrets.token_hex(4).upper()


class _NeedsSavepoint(Exception):
    """An event failed after writing: the batch must run again with a savepoint per event."""


@contextmanager
def _savepoint(session: Session) -> Iterator[None]:
    """Run an event under a savepoint; if it fails, what the session holds is read again.

    Rolling back to a savepoint expires only the objects changed through the ORM, not those
    refreshed after a Core ``UPDATE`` (a compare-and-set), which would otherwise keep showing
    the undone change to the events after it.
    """
    try:
        with session.begin_nested():
            yield
    except Exception:
        session.expire_all()
        raise


@contextmanager
def _undo_needs_nothing(session: Session) -> Iterator[None]:
    """Run an event without a savepoint; if it fails, make sure there is nothing to undo.

    On success its ORM changes are flushed (as leaving a savepoint does), so that they are
    written, and any error in writing them surfaces, within this event. On failure, rows it
    changed, ORM changes it left pending, a database error (which on PostgreSQL aborts the
    transaction) or a failed flush (which rolls the session's transaction back, whatever the
    driver raised: SQLite's ``OverflowError`` is not a database error) mean its writes cannot
    be undone alone: ``_NeedsSavepoint``.
    """
    before = rows_changed(session)
    try:
        yield
        session.flush()
    except Exception as exc:
        if isinstance(exc, SQLAlchemyError) or not session.is_active:
            raise _NeedsSavepoint from exc
        if rows_changed(session) != before or session.new or session.dirty or session.deleted:
            raise _NeedsSavepoint from exc
        raise


def sentences(locale: str, parts: list[str]) -> str:
    """Join sentences: with spaces in English, without in Chinese."""
    return ("" if locale.startswith("zh") else " ").join(parts)


def refusal_text(locale: str, exc: DomainError | ArgumentError) -> str:
    """A refusal in the reader's language; an ``example`` it gives is a msgid too, so a Chinese
    reader is shown the Chinese way to type it."""
    params = dict(exc.params)
    if isinstance(params.get("example"), str):
        params["example"] = gettext(locale, params["example"])
    return t(locale, exc.message, **params)


def _labelled(spec: CommandSpec, locale: str, params: dict[str, Any]) -> dict[str, Any]:
    """Argument-error params with the field name shown as its label in the reader's language."""
    field = params.get("field")
    info = spec.args.model_fields.get(field) if isinstance(field, str) else None
    if info is None or not isinstance(field, str):
        return params
    labelled = {**params, "field": gettext(locale, info.description or field)}
    if "expected" in params:
        labelled["expected"] = " | ".join(choice_labels(spec.args, field, locale))
    return labelled


def _answer(ctx: CommandContext, answer: Message | None) -> str:
    if answer is not None:
        ctx.reply(answer)
    return "ok"


def _use_token(ctx: CommandContext, row: ActionTokenRow) -> bool:
    """Use a single-use token once (compare-and-set); its single-use siblings die too."""
    used = ctx.session.execute(
        update(ActionTokenRow)
        .where(ActionTokenRow.token == row.token, ActionTokenRow.used_at.is_(None))
        .values(used_at=ctx.now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if row.outbox_id is not None:
        ctx.session.execute(
            update(ActionTokenRow)
            .where(
                ActionTokenRow.outbox_id == row.outbox_id,
                ActionTokenRow.single_use.is_(True),
                ActionTokenRow.used_at.is_(None),
            )
            .values(used_at=ctx.now)
        )
    return True


def _stale(ctx: CommandContext, row: ActionTokenRow, spec: ActionSpec) -> str:
    """A button whose card moved on: show the current state if the action can, else say so."""
    if spec.on_stale is not None:
        return _answer(ctx, spec.on_stale(ctx, row.target, dict(row.args)))
    ctx.reply(Reply(ctx.t(_("That was already done."))))
    return "stale"


FILE_REFUSALS = {
    "too_big": _("{name} was not kept: files can be at most 10 MB."),
    "executable": _("{name} was not kept: programs and scripts are never accepted."),
    "type": _("{name} was not kept: send a photo (PNG, JPEG, GIF, WebP) or a PDF."),
    "unavailable": _("{name} could not be fetched from the chat app. Please send it again."),
    "stranger": _("{name} was not kept: only members can send files."),
}


def _files_usable(ctx: CommandContext) -> bool:
    """Whether the event's files let its command run. A refused file is bad input: the member
    is told why, and the command does not run without the file they meant to send. A kept
    file without a command is acknowledged."""
    refused = [f for f in ctx.event.files if f.refused]
    for file in refused:
        msgid = FILE_REFUSALS.get(file.refused, FILE_REFUSALS["type"])
        ctx.reply(Reply(ctx.t(msgid).format(name=file.name)))
        log.warning("refused.file", reason=file.refused, size=file.size)
    if refused:
        return False
    if not ctx.event.text.strip():
        ctx.reply(Reply(ctx.t(FILE_KEPT)))
        return False
    return True


FILE_KEPT = _("I have your file. Send it again with a command to use it, e.g. with /expense.")


def _guest_view(guest: GuestView, org: OrgView) -> MemberView:
    """A guest as commands see them: no handle, no roles, their own language."""
    return MemberView(
        id=guest.actor_id,
        handle="",
        name=guest.name,
        email=None,
        phone=None,
        department=None,
        manager=None,
        roles=(),
        locale=normalise_locale(guest.locale or org.locale),
        timezone=org.timezone,
        active=True,
    )


def _stranger_view(event: InboundEvent, locale: str, org: OrgView) -> MemberView:
    return MemberView(
        id=0,
        handle="",
        name=event.sender_name or event.sender_id,
        email=None,
        phone=None,
        department=None,
        manager=None,
        roles=(),
        locale=locale,
        timezone=org.timezone,
        active=False,
    )


UNKNOWN = _("I don't know /{name}.")
HELP = _("Type /help to see what you can do.")
HOW_TO_BIND = _(
    "Hello! I don't know you yet. Ask your administrator for a bind code, "
    "then send /bind CODE here."
)
SLOW_DOWN = _("You are writing faster than I can follow. Please wait a minute.")
ALREADY_KNOWN = _("You are already known here as {name} (@{handle}).")
DEACTIVATED = _("Your account is deactivated. Please contact your administrator.")
