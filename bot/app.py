"""The composition root: the only module that wires the kernel, the adapters and the commands."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import sys
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr
from rich.console import Console
from sqlalchemy.orm import Session

from adapters.console.client import ConsoleClient
from adapters.console.repl import run_console
from adapters.console.translate import address_of as console_address
from adapters.webchat.client import Hub, WebChatClient
from adapters.webchat.routes import WebChat, setup_routes
from bot import migrate
from bot.calendar_feed import add_calendar_feed
from bot.config import Settings
from bot.contacts import DirectoryExternalContacts
from bot.context import Policies
from bot.demo.company import load_company
from bot.dispatch import Dispatcher
from bot.events import Address, InboundEvent
from bot.filestore import DatabaseFiles
from bot.logging import configure_logging, get_logger
from bot.metrics import Metrics
from bot.pipeline.admin import backlog, outbox_counts, prune
from bot.pipeline.batching import GroupCommit
from bot.pipeline.flows import Flows
from bot.pipeline.inbox import store_events
from bot.pipeline.progress import Progress
from bot.pipeline.relay import Relay
from bot.pipeline.rooms import Rooms, opening_channels
from bot.pipeline.worker import Workers
from bot.ports import (
    Accepted,
    Channel,
    ChannelClient,
    ExternalContacts,
    Files,
    SeenSignatures,
)
from bot.router import Router
from bot.signatures import DatabaseSeenSignatures, forget_expired_signatures
from bot.web import add_ops_routes, errors_middleware
from bot.webauth import DirectoryWebAuth, PipelineHistory, TableRoomMembers
from commands import (
    flow_consumers,
    guest_messages,
    guest_resolver,
    register_all,
    suggest_command,
    timer_handlers,
)
from domain.approvals.catalog import ensure_bundled
from domain.approvals.queries import request_state
from domain.crm.deals import DealRules
from domain.crm.stages import parse_stages
from domain.crm.ticket_sla import TicketPolicy, parse_sla
from domain.digest.services import sync_digest_timers
from domain.directory.importer import import_org
from domain.directory.reach import HANDLE_CHANNELS
from domain.directory.roles import Permission, allows
from domain.directory.services import list_members, member_view
from domain.flows.consumers import Backoff
from domain.shared.clock import Clock, SystemClock
from domain.shared.db import Database, open_database
from domain.shared.recurrence import Recurrence
from domain.timers.retries import Retries
from scheduler.jobs import JobRunner, PeriodicJob, hourly
from scheduler.runner import build_scheduler
from scheduler.tick import TimerTick

if TYPE_CHECKING:  # the platforms' adapters (and their SDKs) load only when configured
    from adapters.dingtalk.channel import DingTalkChannel
    from adapters.slack.channel import SlackChannel
    from adapters.wecom.channel import WeComChannel

log = get_logger("bizbot.app")

DEMO_ORG = Path(__file__).parent / "demo" / "org.yaml"


def configured_platforms(settings: Settings) -> list[str]:
    """The chat platforms whose settings are present."""
    wecom_secrets = (settings.wecom_secret, settings.wecom_token, settings.wecom_encoding_aes_key)
    enabled = {
        "slack": bool(settings.slack_bot_token and settings.slack_signing_secret),
        "telegram": bool(settings.telegram_bot_token),
        "dingtalk": bool(settings.dingtalk_app_key and _secret(settings.dingtalk_app_secret)),
        "wecom": bool(settings.wecom_corp_id and all(_secret(s) for s in wecom_secrets)),
    }
    return [name for name, on in enabled.items() if on]


def platform_channels(settings: Settings, db: Database) -> list[Channel]:
    """The configured chat platforms (constructing them does no I/O)."""
    builders: dict[str, Callable[[], Channel]] = {
        "slack": lambda: slack_channel(settings, DatabaseFiles(db, SystemClock())),
        "telegram": lambda: telegram_channel(settings, DatabaseFiles(db, SystemClock())),
        "dingtalk": lambda: dingtalk_channel(
            settings, DatabaseSeenSignatures(db), DatabaseFiles(db, SystemClock())
        ),
        "wecom": lambda: wecom_channel(
            settings, DirectoryExternalContacts(db), DatabaseFiles(db, SystemClock())
        ),
    }
    return [builders[name]() for name in configured_platforms(settings)]


def dingtalk_channel(
    settings: Settings, seen: SeenSignatures, files: Files | None = None
) -> DingTalkChannel:
    """DingTalk, from ``BIZBOT_DINGTALK_*``: Stream mode unless ``BIZBOT_DINGTALK_STREAM=0``."""
    from adapters.dingtalk.channel import DingTalkChannel

    return DingTalkChannel(
        app_key=settings.dingtalk_app_key,
        app_secret=_secret(settings.dingtalk_app_secret),
        robot_code=settings.dingtalk_robot_code,
        api_url=settings.dingtalk_api_url,
        seen=seen,
        stream=settings.dingtalk_stream,
        corp_id=settings.dingtalk_corp_id,
        files=files,
    )


def wecom_channel(
    settings: Settings, contacts: ExternalContacts | None, files: Files | None = None
) -> WeComChannel:
    """WeCom, from ``BIZBOT_WECOM_*``."""
    from adapters.wecom.channel import WeComChannel

    return WeComChannel(
        corp_id=settings.wecom_corp_id,
        agent_id=settings.wecom_agent_id,
        secret=_secret(settings.wecom_secret),
        token=_secret(settings.wecom_token),
        encoding_aes_key=_secret(settings.wecom_encoding_aes_key),
        api_url=settings.wecom_api_url,
        link=settings.base_url(),
        contacts=contacts,
        files=files,
    )


def slack_channel(settings: Settings, files: Files | None = None) -> SlackChannel:
    """Slack, from the ``BIZBOT_SLACK_*`` settings (``files``: where members' files are kept)."""
    from adapters.slack.channel import SlackChannel, SlackConfig

    return SlackChannel(
        SlackConfig(
            bot_token=_secret(settings.slack_bot_token),
            signing_secret=_secret(settings.slack_signing_secret),
            app_token=_secret(settings.slack_app_token),
            api_url=settings.slack_api_url,
        ),
        files,
    )


def telegram_channel(settings: Settings, files: Files | None = None) -> Channel:
    """Telegram, from ``BIZBOT_TELEGRAM_*``."""
    from adapters.telegram.channel import TelegramChannel, TelegramConfig

    return TelegramChannel(TelegramConfig.from_settings(settings), files=files)


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def deliverable_channels(settings: Settings) -> frozenset[str]:
    """Channels this installation delivers to: the web chat, and every configured platform."""
    return frozenset({"webchat", *configured_platforms(settings)})


def build_router() -> Router:
    """Every command and action."""
    router = Router()
    register_all(router)
    return router


@dataclass
class Runtime:
    """The running pipeline: inbox, workers, relay, and the channel clients it delivers through."""

    settings: Settings
    db: Database
    clock: Clock
    metrics: Metrics
    router: Router
    clients: dict[str, ChannelClient]
    dispatcher: Dispatcher
    workers: Workers
    relay: Relay
    inbox: GroupCommit[InboundEvent, Accepted]
    progress: Progress
    flows: Flows
    rooms: Rooms

    async def start(self) -> None:
        """Start accepting, handling and delivering."""
        self.inbox.start()
        self.workers.start(self.settings.workers if self.db.dialect == "postgresql" else 1)
        self.relay.start()
        self.flows.start()
        self.rooms.start()

    async def stop(self) -> None:
        """Finish what was acknowledged to the pipeline, then stop."""
        await self.inbox.stop()
        await self.workers.stop()
        await self.flows.stop()
        await self.rooms.stop()
        await self.relay.stop()

    async def ingest(self, event: InboundEvent) -> Accepted:
        """Make an event durable (the caller may acknowledge once this returns)."""
        started = time.perf_counter()
        accepted = await self.inbox.submit(event)
        self.metrics.ingest_latency.observe(time.perf_counter() - started)
        self.metrics.events_in.labels(event.address.channel, str(not accepted.new).lower()).inc()
        if accepted.new:
            self.workers.wake()
        return accepted

    async def settle(self, address: Address | None = None) -> None:
        """Wait until the events and replies of a conversation (or of all) are through."""
        channels = sorted(self.clients)
        key = address.key if address else None
        poll = self.settings.poll_interval
        while True:
            await self._quiet(poll)  # count the backlog only when nothing is in hand
            moved = self.progress.next_move()
            pending, consuming = await self.db.run(lambda s: self._backlogs(s, channels, key))
            if not pending and not consuming:
                return
            self.workers.wake()
            self.relay.wake()
            if consuming:
                self.flows.wake()
                self.rooms.wake()
            # a row due later (a retry, a paced send) moves nothing: look again after a poll
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await moved.wait()

    def _backlogs(self, session: Session, channels: list[str], key: str | None) -> tuple[int, int]:
        """What is still to handle and deliver, and what the consumers have still to apply.
        On PostgreSQL each count sees what was committed when it ran, so a cause is counted
        before its effects and the chat backlog again after the consumers': a consumer pass
        committing between the counts cannot hide the messages it wrote."""
        before = backlog(session, channels, key)
        consuming = self.flows.backlog(session) + self.rooms.backlog(session)
        return before + backlog(session, channels, key), consuming

    async def _quiet(self, bound: float) -> None:
        """Until the workers, the consumers and the relay have nothing in hand (or ``bound``
        seconds)."""
        idle = (self.workers.idle, self.flows.idle, self.rooms.idle, self.relay.idle)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(bound):
                while not all(event.is_set() for event in idle):
                    for event in idle:
                        await event.wait()

    async def readiness(self) -> dict[str, str]:
        """Problems that make this process unfit for traffic ({} when ready)."""
        try:
            revision = await self.db.run(migrate.revision_of)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return {"database": f"unreachable: {type(exc).__name__}"}
        if revision != migrate.head_revision():
            return {"migrations": f"database at {revision}, code at {migrate.head_revision()}"}
        return {}

    async def refresh_gauges(self) -> None:
        """Read the outbox counts into the gauges."""
        counts = await self.db.run(outbox_counts)
        self.metrics.outbox_pending.set(counts.get("pending", 0) + counts.get("sending", 0))
        self.metrics.outbox_dead.set(counts.get("dead", 0))


def build_runtime(
    settings: Settings,
    clients: list[ChannelClient],
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    deliver_only: frozenset[str] | None = None,
) -> Runtime:
    """Wire the pipeline for the given channel clients (``deliver_only``: conversation keys)."""
    rules = deal_rules(settings)  # a bad setting stops the start before anything opens
    db = db or open_database(
        settings.database_url.get_secret_value(), pool_size=settings.db_pool_size
    )
    clock = clock or SystemClock()
    metrics = Metrics()
    router = build_router()
    by_channel = {client.channel: client for client in clients}
    progress = Progress()
    relay = Relay(
        db,
        by_channel,
        clock,
        metrics,
        concurrency=settings.outbox_concurrency,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        max_attempts=settings.outbox_max_attempts,
        poll_interval=settings.poll_interval,
        crash_at=settings.crash_at,
        conversations=deliver_only,
        on_progress=progress.moved,
    )
    dispatcher = Dispatcher(
        router,
        HANDLE_CHANNELS,
        timedelta(hours=settings.action_ttl_hours),
        Policies(
            invite_ttl=timedelta(hours=settings.invite_ttl_hours),
            notify_channels=deliverable_channels(settings) | (set(by_channel) - {"console"}),
            record_states={"approval": approval_state},
            public_url=settings.base_url(),
            deals=rules,
            tickets=ticket_policy(settings),
            telegram_bot=settings.telegram_bot_username if settings.telegram_bot_token else "",
            guest_invite_ttl=timedelta(days=settings.guest_invite_days),
            guest_commands_per_minute=settings.guest_commands_per_minute,
            guest_relay_after_hours=settings.guest_relay_after_hours,
            stranger_events_per_minute=settings.stranger_events_per_minute,
            room_channels=opening_channels(by_channel),
        ),
        guest_resolver=guest_resolver,
        guest_message_handler=guest_messages,
        suggest=suggest_command,
    )
    workers = Workers(
        db,
        dispatcher,
        clock,
        metrics,
        batch=settings.inbox_batch,
        poll_interval=settings.poll_interval,
        crash_at=settings.crash_at,
        on_replies=relay.wake,
        on_progress=progress.moved,
    )
    rooms = Rooms(
        db,
        by_channel,
        clock,
        metrics,
        lambda: dispatcher.policies,
        poll_interval=settings.flow_poll_seconds,
        max_attempts=settings.flow_max_attempts,
        on_messages=relay.wake,
        on_progress=progress.moved,
    )
    flows = Flows(
        db,
        flow_consumers(),
        clock,
        metrics,
        lambda: dispatcher.policies,  # tests replace the policies after building
        action_ttl=timedelta(hours=settings.action_ttl_hours),
        poll_interval=settings.flow_poll_seconds,
        backoff=Backoff(max_attempts=settings.flow_max_attempts),
        on_messages=partial(_wake_all, relay, rooms),
        on_progress=progress.moved,
    )
    workers.on_domain_events(flows.wake)
    inbox: GroupCommit[InboundEvent, Accepted] = GroupCommit(
        db,
        lambda s, events: store_events(s, events, db.dialect, clock.now()),
        name="inbox",
        urgent=True,  # the platform's acknowledgement waits on it
    )
    return Runtime(
        settings,
        db,
        clock,
        metrics,
        router,
        by_channel,
        dispatcher,
        workers,
        relay,
        inbox,
        progress,
        flows,
        rooms,
    )


def _wake_all(*loops: Relay | Rooms) -> None:
    """A consumer pass queued messages (for the relay) and maybe rooms (for the opener)."""
    for loop in loops:
        loop.wake()


def build_web(runtime: Runtime, hub: Hub) -> web.Application:
    """The HTTP server: ops routes plus every enabled adapter's routes."""
    settings = runtime.settings
    app = web.Application(middlewares=[errors_middleware], client_max_size=1024**2)
    add_ops_routes(app, runtime.metrics, runtime.readiness, runtime.refresh_gauges)
    chat = WebChat(
        ingest=runtime.ingest,
        auth=DirectoryWebAuth(runtime.db, runtime.clock, timedelta(days=settings.web_session_days)),
        history=PipelineHistory(runtime.db),
        hub=hub,
        files=DatabaseFiles(runtime.db, runtime.clock),
        rooms=TableRoomMembers(runtime.db, runtime.clock),
        local_login=settings.local_login,
        public_url=settings.public_url,
        secure_cookies=settings.base_url().startswith("https://"),
    )
    setup_routes(app, chat)
    add_calendar_feed(app, runtime.db, runtime.clock, settings.base_url())
    return app


def deal_rules(settings: Settings) -> DealRules:
    """The deal stages and idle period; ``ValueError`` naming the setting if the stages are bad."""
    try:
        stages = parse_stages(settings.crm_stages)
    except ValueError as exc:
        raise ValueError(f"BIZBOT_CRM_STAGES: {exc}") from exc
    return DealRules(stages, timedelta(days=settings.crm_deal_idle_days))


def approval_state(session: Session, record_id: str, member_id: int) -> str | None:
    """The status of approval ``record_id`` if the member may see it, for reminders bound to it."""
    if not record_id.isdigit():
        return None
    sees_all = allows(member_view(session, member_id).roles, Permission.AUDIT_APPROVALS)
    return request_state(session, int(record_id), member_id, sees_all=sees_all)


async def prepare_database(settings: Settings, db: Database, clock: Clock) -> None:
    """Migrate, store the bundled approval templates that are missing, then load the demo
    organisation into an empty directory when demo mode is on."""
    await migrate.upgrade(settings.database_url.get_secret_value())
    await db.run(lambda s: ensure_bundled(s, clock.now()))
    policies = Policies(
        deals=deal_rules(settings),
        tickets=ticket_policy(settings),
        record_states={"approval": approval_state},
    )
    if settings.demo and await db.run(lambda s: _load_demo(s, clock.now(), policies)):
        log.info("demo.loaded", members="wang, alice, bob, chen, zhao, liu, emma")


def _load_demo(session: Session, now: datetime, policies: Policies) -> bool:
    """Import the demo org and its company at work into an empty directory, in one
    transaction; False if it has members already (so a database with data is left alone)."""
    migrate.hold_startup_lock(session.connection())  # another process may be loading it now
    if list_members(session, active_only=False):
        return False
    import_org(session, DEMO_ORG.read_text(encoding="utf-8"), now)
    load_company(session, now, policies)
    return True


def next_occurrence(rule: str, after: datetime) -> datetime:
    """The next time a stored recurrence falls due after ``after``."""
    return Recurrence.from_rrule(rule).next_after(after)


def build_tick(runtime: Runtime) -> TimerTick:
    """The timer tick, with every feature's timer handlers."""
    return TimerTick(
        runtime.db,
        runtime.clock,
        timer_handlers(),
        runtime.dispatcher.policies,
        runtime.metrics,
        action_ttl=timedelta(hours=runtime.settings.action_ttl_hours),
        next_due=next_occurrence,
        on_messages=runtime.relay.wake,
        retries=Retries(max_attempts=runtime.settings.timer_max_attempts),
        crash_at=runtime.settings.crash_at,
    )


def build_scheduler_for(runtime: Runtime) -> AsyncIOScheduler:
    """The timer tick and the periodic jobs of a serving process."""
    settings = runtime.settings
    tick = build_tick(runtime)
    retention = timedelta(days=settings.retention_days)
    dead_retention = timedelta(days=settings.dead_row_retention_days)

    def prune_old_rows(session: Session, now: datetime) -> int:
        return prune(session, now - retention, now - dead_retention)

    jobs = [
        PeriodicJob("prune", {"minute": 17}, hourly, prune_old_rows),
        PeriodicJob("digest-sync", {"minute": 5}, hourly, sync_digest_timers),
        PeriodicJob("seen-signatures", {"minute": 23}, hourly, forget_expired_signatures),
    ]
    return build_scheduler(tick, JobRunner(runtime.db, runtime.clock), jobs)


class CannotListen(Exception):
    """The web server could not take its address (the port is in use, the host is not ours)."""


async def serve(settings: Settings) -> None:
    """``bizbot serve``: migrate, start the pipeline and the web server, run until a signal.

    Whatever has started is stopped again, in reverse order, on a signal or on a failure
    while starting (so a busy port ends the process instead of leaving the workers running).
    """
    configure_logging(json=settings.log_json, level=settings.log_level)
    hub = Hub()
    db = open_database(settings.database_url.get_secret_value(), pool_size=settings.db_pool_size)
    channels = platform_channels(settings, db)
    web_chat = WebChatClient(hub, TableRoomMembers(db, SystemClock()))
    runtime = build_runtime(settings, [web_chat, *(c.client for c in channels)], db=db)
    async with AsyncExitStack() as started:
        started.push_async_callback(runtime.db.dispose)
        await prepare_database(settings, runtime.db, runtime.clock)
        await runtime.db.run(lambda s: sync_digest_timers(s, runtime.clock.now()))  # then hourly
        for channel in channels:
            started.push_async_callback(channel.close)
        await runtime.start()
        started.push_async_callback(runtime.stop)
        clock_work = build_scheduler_for(runtime)
        clock_work.start()
        started.callback(clock_work.shutdown, wait=False)
        app = build_web(runtime, hub)
        for channel in channels:
            channel.mount(app, runtime.ingest)
            await channel.start(runtime.ingest)
            started.push_async_callback(channel.stop)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        started.push_async_callback(runner.cleanup)
        started.push_async_callback(hub.close_all)
        await _listen(runner, settings)
        log.info("serving", url=settings.base_url(), database=runtime.db.dialect)
        print(
            f"Bizbot is running at {settings.base_url()}  (Ctrl+C to stop)",
            file=sys.stderr,
            flush=True,
        )
        await _until_signal()
        log.info("stopping")


async def _listen(runner: web.AppRunner, settings: Settings) -> None:
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        hint = (
            "stop the program using it or set BIZBOT_PORT"
            if exc.errno == errno.EADDRINUSE
            else "check BIZBOT_HOST and BIZBOT_PORT"
        )
        raise CannotListen(
            f"cannot listen on {settings.host}:{settings.port} ({reason}); {hint}"
        ) from exc


async def set_telegram_webhook(settings: Settings, url: str, *, drop_pending: bool) -> None:
    """``bizbot telegram set-webhook URL``: register the webhook with the secret token."""
    from adapters.telegram import channel as telegram
    from adapters.telegram.channel import TelegramConfig

    config = TelegramConfig.from_settings(settings)
    await telegram.set_webhook(config, url, drop_pending=drop_pending)


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def console(
    settings: Settings, handle: str, stdin: TextIO, interactive: bool, out: Console
) -> int:
    """``bizbot console --as HANDLE``: the pipeline in this process, printing to ``out``."""
    client = ConsoleClient(out, Path(settings.console_files_dir))
    handle = handle.lstrip("@").lower()
    mine = frozenset({console_address(handle).key})  # other consoles' replies are theirs
    runtime = build_runtime(settings, [client], deliver_only=mine)
    await prepare_database(settings, runtime.db, runtime.clock)
    members = {m.handle: m for m in await runtime.db.run(list_members)}
    if handle not in members:
        print(f"bizbot: no active member with handle {handle!r}", file=sys.stderr)
        await runtime.db.dispose()
        return 2
    await runtime.start()
    try:
        await run_console(
            handle,
            client,
            runtime.ingest,
            runtime.settle,
            stdin=stdin,
            console=out,
            interactive=interactive,
        )
    finally:
        await runtime.stop()
        await runtime.db.dispose()
    return 0


def ticket_policy(settings: Settings) -> TicketPolicy:
    """SLA hours by priority and the service department, for tickets (a bad SLA stops the start)."""
    return TicketPolicy(parse_sla(settings.crm_ticket_sla), settings.crm_service_department)
