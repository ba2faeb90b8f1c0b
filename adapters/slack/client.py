"""Delivering to Slack with slack_sdk: chat.postMessage, chat.update, and a command's response_url.

Message ids are ``CHANNEL_ID:TS`` (chat.update needs both, and chat.postMessage to a user id
answers with the direct-message channel's id). A message that went out through a response_url
has no ``ts`` (``CHANNEL_ID:``); it can only be replaced through the response_url of a tap on it.

Failures become the kernel's delivery errors: 429 / ``ratelimited`` -> ``RetryLater`` (the
``Retry-After`` seconds), errors that retrying cannot fix -> ``PermanentDeliveryError`` (dead
letter at once), 5xx, network errors and timeouts -> ``DeliveryError`` (retried with backoff).
slack_sdk's own retry handlers are off: the relay is the one place that decides retries.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.render import message_arguments
from adapters.slack.translate import CHANNEL
from bot.events import Address
from bot.logging import get_logger
from bot.pacing import Limit, Pacer
from bot.ports import DeliveryError, PermanentDeliveryError, RetryLater, RoomRequest
from bot.replies import Attachment, Card, Message

log = get_logger("bizbot.slack")
DEFAULT_API_URL = "https://slack.com/api/"
FILES_ORIGIN = "https://files.slack.com"
DEFAULT_RETRY_AFTER = 1.0
# chat.postMessage: about one message per second per channel, short bursts allowed.
PER_CONVERSATION = (Limit(3, 3.0),)
# Answers of conversations.invite that mean the members are in the room already.
ALREADY_IN = frozenset({"already_in_channel", "cant_invite_self"})
# The bot is not in the channel of a slash command: answer through the command's response_url.
UNREACHABLE = frozenset({"channel_not_found", "not_in_channel"})
TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "team_access_not_granted",
        "ekm_access_denied",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "cannot_reply_to_message",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "expired_url",
        "used_url",
        "no_service",
    }
)


class SlackRefused(PermanentDeliveryError):
    """Slack answered with an error that retrying cannot fix; ``code`` is Slack's error code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"slack: {code}")
        self.code = code


def message_id(channel: str, ts: str) -> str:
    """Our id for a Slack message."""
    return f"{channel}:{ts}"


def delivery_error(status: int, code: str, retry_after: str | None) -> DeliveryError:
    """The kernel's view of a failed Slack call (HTTP status, Slack error code, Retry-After)."""
    if status == 429 or code == "ratelimited":
        return RetryLater(_seconds(retry_after), f"slack: rate limited ({code or status})")
    if status >= 500 or code in TRANSIENT:
        return DeliveryError(f"slack: HTTP {status} {code}".rstrip())
    if code in PERMANENT or 400 <= status < 500:
        return SlackRefused(code or f"HTTP {status}")
    return DeliveryError(f"slack: {code or status}")


def _seconds(retry_after: str | None) -> float:
    try:
        seconds = float(retry_after) if retry_after else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_RETRY_AFTER


class SlackClient:
    """The Slack ChannelClient. Its HTTP session is opened on first use and closed by ``close``."""

    channel = CHANNEL

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token = token
        self._api_url = api_url
        self._timeout = timeout
        self._pacer = Pacer(clock)
        self._session: aiohttp.ClientSession | None = None
        self._web: AsyncWebClient | None = None

    async def send(self, address: Address, message: Message, context: Mapping[str, str]) -> str:
        """chat.postMessage; a slash command in a channel without the bot uses its response_url.

        A message with files: a text goes with them as the upload's comment (one post, so a
        retry after a failed upload posts nothing twice); a card is posted first, then its files
        are uploaded to the same conversation.
        """
        if message.attachments:
            return await self._send_with_files(address, message, context)
        arguments = message_arguments(message)
        thread = context.get("thread_ts") or None
        web = self._api()
        try:
            posted = await self._call(
                web.chat_postMessage(channel=address.conversation, thread_ts=thread, **arguments)
            )
        except SlackRefused as refused:
            url = context.get("response_url")
            if refused.code not in UNREACHABLE or not url:
                raise
            await self._respond(url, {**arguments, "response_type": "ephemeral"})
            return message_id(address.conversation, "")
        return message_id(str(posted["channel"]), str(posted["ts"]))

    async def edit(
        self, address: Address, message_id: str, message: Message, context: Mapping[str, str]
    ) -> None:
        """chat.update of the message (its buttons replaced by the outcome)."""
        arguments = {"blocks": [], **message_arguments(message)}  # no blocks: remove the old ones
        channel, _, ts = message_id.partition(":")
        if ts:
            await self._call(self._api().chat_update(channel=channel, ts=ts, **arguments))
            return
        url = context.get("response_url")
        if not url:
            raise PermanentDeliveryError("slack: message has no ts and there is no response_url")
        await self._respond(url, {**arguments, "replace_original": True})

    async def open_room(self, room: RoomRequest) -> Address:
        """A private channel named ``room.name`` (conversations.create; when the name is taken,
        the one made before, found with conversations.list), with the members invited."""
        web = self._api()
        try:
            created = await web.conversations_create(name=room.name, is_private=True)
            channel = str(created["channel"]["id"])
        except SlackApiError as exc:
            if _error_code(exc) != "name_taken":
                raise _refusal(exc) from exc
            channel = await self._channel_named(room.name)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"slack: {type(exc).__name__}: {exc}") from exc
        if room.members:
            await self._invite(channel, room.members)
        return Address(CHANNEL, channel, room.workspace)

    async def _channel_named(self, name: str) -> str:
        """The id of the channel called ``name`` that the bot can see (a room it made)."""
        cursor = ""
        while True:
            page = await self._call(
                self._api().conversations_list(
                    types="public_channel,private_channel", exclude_archived=True,
                    limit=200, cursor=cursor or None,
                )
            )  # fmt: skip
            for found in page.get("channels") or []:
                if found.get("name") == name:
                    return str(found["id"])
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                raise PermanentDeliveryError(f"slack: {name} is taken by a channel we cannot see")

    async def _invite(self, channel: str, members: tuple[str, ...]) -> None:
        try:
            await self._api().conversations_invite(channel=channel, users=",".join(members))
        except SlackApiError as exc:
            if _error_code(exc) not in ALREADY_IN:
                raise _refusal(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"slack: {type(exc).__name__}: {exc}") from exc

    async def _send_with_files(
        self, address: Address, message: Message, context: Mapping[str, str]
    ) -> str:
        thread = context.get("thread_ts") or None
        if isinstance(message, Card):
            card_id = await self.send(address, replace(message, attachments=()), context)
            channel = card_id.partition(":")[0] or address.conversation
            await self._upload(channel, message.attachments, "", thread)
            return card_id
        channel = await self._conversation(address.conversation)
        await self._upload(channel, message.attachments, message.text, thread)
        return message_id(channel, "")  # Slack answers with the files, not the message's ts

    async def _conversation(self, conversation: str) -> str:
        """A conversation id for an upload: a user id (a notification) becomes their DM's id."""
        if not conversation.startswith(("U", "W")):
            return conversation
        opened = await self._call(self._api().conversations_open(users=conversation))
        return str(opened["channel"]["id"])

    async def _upload(
        self, channel: str, files: tuple[Attachment, ...], comment: str, thread: str | None
    ) -> None:
        """files_upload_v2: getUploadURLExternal, the bytes, completeUploadExternal in one go."""
        uploads = [{"filename": f.name, "content": f.data, "title": f.name} for f in files]
        try:
            await self._call(
                self._api().files_upload_v2(
                    file_uploads=uploads,
                    channel=channel,
                    initial_comment=comment or None,
                    thread_ts=thread,
                )
            )
        except SlackRequestError as exc:  # the bytes were refused by the upload URL
            raise DeliveryError(f"slack: upload failed: {exc}") from exc

    async def download(self, url: str, limit: int) -> bytes | None:
        """A member's file, with the bot token; None if it is not Slack's, too big or gone.

        The token goes only to Slack's file host (or the configured API host, a test server):
        a forged event cannot make us send it elsewhere.
        """
        if _origin(url) not in (FILES_ORIGIN, _origin(self._api_url)):
            log.warning("refused.slack_file_url", origin=_origin(url))
            return None
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            async with self._http().get(url, headers=headers, allow_redirects=False) as resp:
                if resp.status != 200 or (resp.content_length or 0) > limit:
                    return None
                data = await resp.content.read(limit + 1)
        except (aiohttp.ClientError, TimeoutError):
            return None
        return data if len(data) <= limit else None

    def pace(self, address: Address) -> float:
        """Book a send slot: about one message a second per conversation, bursts of three."""
        key = f"{address.workspace}/{address.conversation}"
        return self._pacer.reserve((key, PER_CONVERSATION))

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
        self._session, self._web = None, None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self._timeout)
            self._session = aiohttp.ClientSession(timeout=timeout)
            self._web = None
        return self._session

    def _api(self) -> AsyncWebClient:
        session = self._http()
        if self._web is None:
            self._web = AsyncWebClient(
                token=self._token,
                base_url=self._api_url,
                session=session,
                timeout=math.ceil(self._timeout),
                retry_handlers=[],
            )
        return self._web

    async def _call(self, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        try:
            return await call
        except SlackApiError as exc:
            raise _refusal(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"slack: {type(exc).__name__}: {exc}") from exc

    async def _respond(self, url: str, body: dict[str, Any]) -> None:
        """POST to a response_url (it answers ``ok`` in plain text, or an error word)."""
        hook = AsyncWebhookClient(
            url, timeout=math.ceil(self._timeout), session=self._http(), retry_handlers=[]
        )
        try:
            answer = await hook.send_dict(body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"slack: {type(exc).__name__}: {exc}") from exc
        if answer.status_code != 200:
            code = (answer.body or "").strip()[:100]
            raise delivery_error(answer.status_code, code, answer.headers.get("Retry-After"))


def _error_code(exc: SlackApiError) -> str:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    return str(data.get("error") or "")


def _refusal(exc: SlackApiError) -> DeliveryError:
    """The kernel's view of a Slack API error."""
    status, retry_after = exc.response.status_code, exc.response.headers.get("Retry-After")
    return delivery_error(status, _error_code(exc), retry_after)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
