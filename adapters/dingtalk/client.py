"""Sending to DingTalk: the session webhook while it lives, else the robot OpenAPI.

Interactive cards always go through the OpenAPI (session webhooks cannot carry them).

The OpenAPI needs an app access token (``/v1.0/oauth2/accessToken``), cached and fetched again
shortly before it expires or when the API says it is no longer valid.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from adapters.dingtalk import render
from adapters.dingtalk.translate import (
    CHANNEL,
    CONVERSATION_TYPE,
    GROUP,
    SESSION_WEBHOOK,
    SESSION_WEBHOOK_EXPIRES,
    STAFF_ID,
)
from adapters.tokens import AccessToken, Fetched
from bot.events import Address
from bot.logging import get_logger
from bot.pacing import Limit, Pacer
from bot.ports import DeliveryError, PermanentDeliveryError, RetryLater
from bot.replies import Attachment, Card, Message

log = get_logger("bizbot.dingtalk")

DEFAULT_WEBHOOK_ORIGIN = "https://oapi.dingtalk.com"
DEFAULT_API = "https://api.dingtalk.com"
MAX_MEDIA_BYTES = 20 * 1024 * 1024  # /media/upload's limit for files and pictures
OAPI_TOKEN_REJECTED = (40014, 42001)  # invalid or expired access_token
OAPI_BUSY = -1  # "系统繁忙": try again later
CARD_PREFIX, MESSAGE_PREFIX, HOOK_PREFIX = "card:", "msg:", "hook:"
CALLBACK_ROUTE_KEY = "bizbot"
WEBHOOK_MARGIN_MS = 60_000  # a session webhook this close to expiry is not used
DEFAULT_RETRY_AFTER = 60.0
WEBHOOK_THROTTLED = 130101  # "send too fast"
PER_CONVERSATION = (Limit(20, 60.0),)  # 20 messages a minute per group robot
PER_APP = (Limit(20, 1.0),)  # OpenAPI calls per second for the whole app (conservative)


class CardsUnavailable(Exception):
    """The app may not send interactive cards here; the card goes out as markdown instead."""


class WebhookUnusable(Exception):
    """The session webhook refused the message (expired early); the OpenAPI is used instead."""


@dataclass(frozen=True, slots=True)
class RobotMessage:
    """A robot message given as its ``msgKey`` and ``msgParam`` (a file, a picture)."""

    key: str
    param: dict[str, str]


@dataclass(frozen=True, slots=True)
class Target:
    """Who an OpenAPI send goes to: a group (openConversationId) or one user (staff id)."""

    group: bool
    id: str


def target_of(address: Address, context: Mapping[str, str]) -> Target:
    """Replies go where the event came from; notifications (no context) go to the member."""
    if context.get(CONVERSATION_TYPE) == GROUP:
        return Target(True, address.conversation)
    return Target(False, context.get(STAFF_ID) or address.conversation)


class DingTalkClient:
    """The DingTalk ChannelClient: one aiohttp session, one cached token, paced sends."""

    channel = CHANNEL

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        robot_code: str,
        api_url: str,
        http_callbacks: bool = True,
        clock: Callable[[], float] = time.time,
        pacer: Pacer | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._app_key, self._app_secret = app_key, app_secret
        self._robot_code = robot_code or app_key
        self._api = api_url.rstrip("/")
        self._http_callbacks = http_callbacks
        self._clock = clock
        self._pacer = pacer or Pacer()
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._webhook_origins = {DEFAULT_WEBHOOK_ORIGIN, _origin(api_url)}
        # the older API (media uploads) lives on oapi; a test or gateway URL serves both
        self._oapi = DEFAULT_WEBHOOK_ORIGIN if _origin(api_url) == DEFAULT_API else self._api
        self._session: aiohttp.ClientSession | None = None
        self._token = AccessToken(self._fetch_token, self._clock)

    async def send(self, address: Address, message: Message, context: Mapping[str, str]) -> str:
        """Post a message; cards with buttons become interactive cards.

        Files follow the message, each uploaded (``/media/upload``) and sent as a robot file or
        picture message through the OpenAPI (session webhooks cannot carry files).
        """
        if message.attachments:
            first = await self.send(address, replace(message, attachments=()), context)
            for file in message.attachments:
                await self._send_file(target_of(address, context), file)
            return first
        if isinstance(message, Card) and render.has_buttons(message):
            try:
                return await self._send_card(address, message, context)
            except CardsUnavailable as exc:
                log.warning("dingtalk.cards_unavailable", detail=str(exc))
        webhook = self._live_webhook(context)
        if webhook:
            try:
                return await self._post_webhook(webhook, message, context)
            except WebhookUnusable as exc:
                log.info("dingtalk.webhook_unusable", detail=str(exc))
        return await self._send_robot_message(target_of(address, context), message)

    async def edit(
        self, address: Address, message_id: str, message: Message, context: Mapping[str, str]
    ) -> None:
        """Update an interactive card in place; other messages cannot be edited, so resend."""
        if message_id.startswith(CARD_PREFIX) and isinstance(message, Card):
            body = {
                "cardBizId": message_id.removeprefix(CARD_PREFIX),
                "cardData": json.dumps(render.card_data(message), ensure_ascii=False),
            }
            await self._openapi("PUT", "/v1.0/im/robots/interactiveCards", body)
            return
        await self.send(address, replace(message, attachments=()), context)  # files went before

    async def download(self, code: str, limit: int) -> bytes | None:
        """A member's picture or file: ``messageFiles/download`` gives a short-lived URL, which
        is then read (at most ``limit`` bytes); None when DingTalk will not give it."""
        try:
            data = await self._openapi(
                "POST",
                "/v1.0/robot/messageFiles/download",
                {"downloadCode": code, "robotCode": self._robot_code},
            )
            url = str(data.get("downloadUrl") or "")
            if not url.startswith(("https://", "http://")):
                return None
            async with self._http().get(url, allow_redirects=False) as resp:
                if resp.status != 200 or (resp.content_length or 0) > limit:
                    return None
                body = await resp.content.read(limit + 1)
        except (DeliveryError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("dingtalk.download_failed", error=str(exc))
            return None
        return body if len(body) <= limit else None

    def pace(self, address: Address) -> float:
        """20 messages a minute per conversation, and an app-wide cap on OpenAPI calls."""
        return self._pacer.reserve((f"conv:{address.key}", PER_CONVERSATION), ("app", PER_APP))

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    def _live_webhook(self, context: Mapping[str, str]) -> str:
        """The session webhook of the event being answered, if it is still valid and DingTalk's."""
        url, expires = context.get(SESSION_WEBHOOK, ""), context.get(SESSION_WEBHOOK_EXPIRES, "")
        if not url or not expires.isdigit():
            return ""
        if int(expires) - WEBHOOK_MARGIN_MS <= self._clock() * 1000:
            return ""
        if _origin(url) not in self._webhook_origins:
            log.warning("refused.session_webhook", origin=_origin(url))
            return ""
        return url

    async def _post_webhook(self, url: str, message: Message, context: Mapping[str, str]) -> str:
        staff = context.get(STAFF_ID, "") if context.get(CONVERSATION_TYPE) == GROUP else ""
        body = render.webhook_body(message, staff)
        status, headers, data = await self._request("POST", url, body, {})
        errcode = data.get("errcode", 0) if isinstance(data, dict) else 0
        if status == 429 or errcode == WEBHOOK_THROTTLED:
            raise RetryLater(_retry_after(headers), f"session webhook throttled ({errcode})")
        if status >= 500:
            raise DeliveryError(f"session webhook answered {status}")
        if status >= 400 or errcode:
            raise WebhookUnusable(f"HTTP {status}, errcode {errcode}")
        return f"{HOOK_PREFIX}{uuid.uuid4().hex}"

    async def _send_robot_message(self, target: Target, message: Message | RobotMessage) -> str:
        key, param = (
            (message.key, message.param)
            if isinstance(message, RobotMessage)
            else render.robot_message(message)
        )
        body: dict[str, Any] = {
            "robotCode": self._robot_code,
            "msgKey": key,
            "msgParam": json.dumps(param, ensure_ascii=False),
        }
        if target.group:
            data = await self._openapi(
                "POST", "/v1.0/robot/groupMessages/send", body | {"openConversationId": target.id}
            )
        else:
            data = await self._openapi(
                "POST", "/v1.0/robot/oToMessages/batchSend", body | {"userIds": [target.id]}
            )
            _check_recipients(data, target.id)
        return f"{MESSAGE_PREFIX}{data.get('processQueryKey', '')}"

    async def _send_file(self, target: Target, file: Attachment) -> None:
        media_id = await self._upload(file)
        if file.is_image:
            key, param = "sampleImageMsg", {"photoURL": media_id}
        else:
            key, param = "sampleFile", render.file_param(file, media_id)
        await self._send_robot_message(target, RobotMessage(key, param))

    async def _upload(self, file: Attachment) -> str:
        """``POST /media/upload`` (multipart, part ``media``): a media id valid for three days."""
        if len(file.data) > MAX_MEDIA_BYTES:
            raise PermanentDeliveryError(f"{file.name} is larger than DingTalk's 20 MB")
        kind = "image" if file.is_image else "file"
        for attempt in (1, 2):
            token = await self._token.get()
            form = aiohttp.FormData(quote_fields=False)  # a Chinese name stays readable
            form.add_field("media", file.data, filename=file.name, content_type=file.content_type)
            url = f"{self._oapi}/media/upload"
            params = {"access_token": token, "type": kind}
            try:
                async with self._http().post(url, data=form, params=params) as resp:
                    status, data = resp.status, _parse_json(await resp.text())
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise DeliveryError(f"DingTalk unreachable: {type(exc).__name__}: {exc}") from exc
            errcode = data.get("errcode", 0) if isinstance(data, dict) else 0
            if attempt == 1 and errcode in OAPI_TOKEN_REJECTED:
                self._token.forget(token)
                continue
            if status >= 500 or errcode == OAPI_BUSY:
                raise DeliveryError(f"/media/upload: HTTP {status}, errcode {errcode}")
            if status >= 400 or errcode or not data.get("media_id"):
                raise DingTalkApiError(f"/media/upload: HTTP {status}, errcode {errcode}", status)
            return str(data["media_id"])
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_card(self, address: Address, card: Card, context: Mapping[str, str]) -> str:
        target = target_of(address, context)
        biz_id = secrets.token_hex(16)
        body: dict[str, Any] = {
            "cardTemplateId": "StandardCard",
            "robotCode": self._robot_code,
            "cardBizId": biz_id,
            "cardData": json.dumps(render.card_data(card), ensure_ascii=False),
        }
        if self._http_callbacks:
            body["callbackRouteKey"] = CALLBACK_ROUTE_KEY
        if target.group:
            body["openConversationId"] = target.id
        else:
            body["singleChatReceiver"] = json.dumps({"userId": target.id})
        try:
            await self._openapi("POST", "/v1.0/im/v1.0/robot/interactiveCards/send", body)
        except DingTalkApiError as exc:
            if exc.status == 403:
                raise CardsUnavailable(str(exc)) from exc
            raise
        return f"{CARD_PREFIX}{biz_id}"

    async def _openapi(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Call the OpenAPI with the app token; a rejected token is replaced once."""
        for attempt in (1, 2):
            token = await self._token.get()
            headers = {"x-acs-dingtalk-access-token": token}
            status, answer, data = await self._request(method, self._api + path, body, headers)
            if attempt == 1 and _token_rejected(status, data):
                self._token.forget(token)
                continue
            _raise_for_openapi(status, answer, data, path)
            return data if isinstance(data, dict) else {}
        raise AssertionError("unreachable")  # pragma: no cover

    async def _fetch_token(self) -> Fetched:
        body = {"appKey": self._app_key, "appSecret": self._app_secret}
        url = self._api + "/v1.0/oauth2/accessToken"
        status, headers, data = await self._request("POST", url, body, {})
        _raise_for_openapi(status, headers, data, "/v1.0/oauth2/accessToken")
        if not isinstance(data, dict) or not data.get("accessToken"):
            raise DeliveryError("DingTalk returned no access token")
        lifetime = float(data.get("expireIn", 7200))
        log.info("dingtalk.token_fetched", expires_in=lifetime)
        return Fetched(str(data["accessToken"]), lifetime)

    async def _request(
        self, method: str, url: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, Mapping[str, str], Any]:
        try:
            async with self._http().request(method, url, json=body, headers=headers) as resp:
                text = await resp.text()
                return resp.status, resp.headers, _parse_json(text)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"DingTalk unreachable: {type(exc).__name__}: {exc}") from exc


class DingTalkApiError(PermanentDeliveryError):
    """DingTalk refused a request for good (bad recipient, no permission, bad parameters)."""

    def __init__(self, detail: str, status: int) -> None:
        super().__init__(detail)
        self.status = status


def _raise_for_openapi(status: int, headers: Mapping[str, str], data: Any, path: str) -> None:
    """Map an OpenAPI answer to the delivery errors the relay understands."""
    if status < 300:
        return
    code = str(data.get("code", "")) if isinstance(data, dict) else ""
    message = str(data.get("message", "")) if isinstance(data, dict) else ""
    detail = f"{path}: HTTP {status} {code} {message}".strip()
    if status == 429 or "throttl" in code.lower() or "ratelimit" in code.lower():
        raise RetryLater(_retry_after(headers), detail)
    if status >= 500 or status in (401, 408):
        raise DeliveryError(detail)
    raise DingTalkApiError(detail, status)


def _token_rejected(status: int, data: Any) -> bool:
    """Whether DingTalk no longer accepts the access token (expired or revoked)."""
    code = data.get("code") if isinstance(data, dict) else None
    return status == 401 or code == "InvalidAuthentication"


def _check_recipients(data: dict[str, Any], staff_id: str) -> None:
    """batchSend answers 200 but lists recipients it could not reach."""
    if staff_id in (data.get("flowControlledStaffIdList") or []):
        raise RetryLater(DEFAULT_RETRY_AFTER, f"DingTalk throttled messages to {staff_id}")
    if staff_id in (data.get("invalidStaffIdList") or []):
        raise PermanentDeliveryError(f"DingTalk does not know user {staff_id}")


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        return max(0.0, float(headers.get("Retry-After", DEFAULT_RETRY_AFTER)))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
