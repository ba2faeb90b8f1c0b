"""Calling WeCom with a cached token: ``message/send`` and ``message/update_template_card`` to
answer, ``externalcontact/get`` to learn who an external contact is, and ``appchat/create``,
``appchat/get`` and ``appchat/send`` for group chats (deal rooms: ``appchat:CHATID``).

The ``access_token`` (``gettoken`` with the corp id and the app secret) is cached until shortly
before it expires, and fetched again when the API answers 40014/42001/40001.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import aiohttp

from adapters.tokens import AccessToken, Fetched
from adapters.wecom import render
from adapters.wecom.translate import CHANNEL, RESPONSE_CODE, TASK_ID, profile_from
from bot.events import Address
from bot.logging import get_logger
from bot.pacing import Limit, Pacer
from bot.ports import (
    DeliveryError,
    ExternalProfile,
    PermanentDeliveryError,
    RetryLater,
    RoomRequest,
)
from bot.replies import Attachment, Card, Message

log = get_logger("bizbot.wecom")

DEFAULT_RETRY_AFTER = 60.0
TOKEN_INVALID = frozenset({40001, 40014, 42001})
RATE_LIMITED = frozenset({45009, 45033, 45047, 41048})
BAD_RECIPIENT = frozenset({40003, 60111, 81013, 82001})
FORBIDDEN = frozenset({48002, 60020, 301002})
SYSTEM_BUSY = -1
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # media/upload: pictures up to 10 MB, other files 20 MB
MAX_FILE_BYTES = 20 * 1024 * 1024
MEDIA_REMEMBERED = 256  # media ids kept for retries, newest first out last
DUPLICATE_WINDOW = 1800  # seconds: message/send drops the same message sent again within it
KEEP_CODE = TOKEN_INVALID | {SYSTEM_BUSY}  # the card update failed, but its code is still good
APPCHAT = "appchat:"  # a group chat's conversation: appchat:CHATID
MAX_CHAT_NAME = 50  # appchat/create's limit, in characters
# Per app and member, from WeCom's message/send frequency rules.
PER_MEMBER = (Limit(30, 60.0), Limit(1000, 3600.0))


class WeComError(DeliveryError):
    """WeCom answered a non-zero ``errcode`` (retried with backoff unless a subclass says not)."""

    def __init__(self, path: str, errcode: int, errmsg: str) -> None:
        super().__init__(f"{path}: errcode {errcode} {errmsg}")
        self.errcode = errcode


class PermanentWeComError(WeComError, PermanentDeliveryError):
    """A WeCom refusal that retrying cannot fix (unknown user, API not allowed for the app)."""


class WeComClient:
    """The WeCom ChannelClient: one aiohttp session, one cached token, paced sends."""

    channel = CHANNEL

    def __init__(
        self,
        *,
        corp_id: str,
        agent_id: str,
        secret: str,
        api_url: str,
        link: str,
        clock: Callable[[], float] = time.time,
        pacer: Pacer | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._corp_id, self._secret = corp_id, secret
        self._agent_id: int | str = int(agent_id) if agent_id.isdigit() else agent_id
        self._api = api_url.rstrip("/")
        self._link = link
        self._clock = clock
        self._pacer = pacer or Pacer()
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._token = AccessToken(self._fetch_token, self._clock)
        self._media: dict[int, str] = {}  # stored file id -> its uploaded media id

    async def send(self, address: Address, message: Message, context: Mapping[str, str]) -> str:
        """Send an app message to the member; returns WeCom's ``msgid``.

        Files follow the message: each uploaded as temporary media (``media/upload``) and sent
        as an ``image`` or ``file`` app message.
        """
        if message.attachments:
            first = await self.send(address, replace(message, attachments=()), context)
            for file in message.attachments:
                await self._send_file(address.conversation, file)
            return first
        if address.conversation.startswith(APPCHAT):
            chat = {"chatid": address.conversation.removeprefix(APPCHAT)}
            await self._call("appchat/send", chat | render.chat_body(message))
            return ""  # appchat/send answers no message id: a group message is not edited
        user = address.conversation
        body = {"touser": user, "agentid": self._agent_id, **render.message_body(message)}
        data = await self._call("message/send", body)
        invalid = str(data.get("invaliduser", "")).split("|")
        if user in invalid:
            raise PermanentDeliveryError(f"WeCom does not know user {user}")
        return str(data.get("msgid", ""))

    async def open_room(self, room: RoomRequest) -> Address:
        """A group chat of the members (at least two) whose ``chatid`` is the room's name in
        the letters WeCom allows: a retry finds it with appchat/get instead of making another."""
        chat_id = re.sub(r"[^0-9A-Za-z]", "", room.name)[:32]
        if len(room.members) < 2 or not chat_id:
            raise PermanentDeliveryError("WeCom: a group chat needs two members and a name")
        if not await self._chat_exists(chat_id):
            body = {
                "name": room.title[:MAX_CHAT_NAME],
                "owner": room.members[0],
                "userlist": list(room.members),
                "chatid": chat_id,
            }
            await self._call("appchat/create", body)
        return Address(CHANNEL, f"{APPCHAT}{chat_id}", room.workspace)

    async def _chat_exists(self, chat_id: str) -> bool:
        try:
            await self._call("appchat/get", None, {"chatid": chat_id})
        except PermanentDeliveryError:
            raise
        except WeComError:  # no such chat (or WeCom is busy: creating then fails, and is retried)
            return False
        return True

    async def edit(
        self, address: Address, message_id: str, message: Message, context: Mapping[str, str]
    ) -> None:
        """Update a card with the tap's one-time ResponseCode; without a usable code, send anew."""
        code = context.get(RESPONSE_CODE, "")
        if code and isinstance(message, Card):
            try:
                await self._update_card(address.conversation, code, message, context)
                return
            except WeComError as exc:
                if exc.errcode in KEEP_CODE:
                    raise
                log.info("wecom.response_code_unusable", errcode=exc.errcode)
        await self.send(address, replace(message, attachments=()), context)  # files went before

    async def external_profile(self, external_user_id: str, staff_user_id: str) -> ExternalProfile:
        """Who an external contact is, and what the member who added them noted."""
        data = await self._call("externalcontact/get", None, {"external_userid": external_user_id})
        return profile_from(data, staff_user_id)

    async def download(self, media_id: str, limit: int) -> bytes | None:
        """A picture a member sent: ``media/get`` answers its bytes (or a JSON error); None when
        WeCom will not give it or it is larger than ``limit``."""
        for attempt in (1, 2):
            try:
                token = await self._token.get()
                params = {"access_token": token, "media_id": media_id}
                async with self._http().get(f"{self._api}/media/get", params=params) as resp:
                    if resp.status != 200 or (resp.content_length or 0) > limit:
                        return None
                    body = await resp.content.read(limit + 1)
                    is_json = resp.content_type in ("application/json", "text/plain")
            except (DeliveryError, aiohttp.ClientError, TimeoutError) as exc:
                log.info("wecom.download_failed", error=str(exc))
                return None
            if not is_json:
                return body if len(body) <= limit else None
            errcode = _errcode(json.loads(body or b"{}"))
            if errcode in TOKEN_INVALID and attempt == 1:
                self._token.forget(token)
                continue
            log.info("wecom.download_refused", errcode=errcode)
            return None
        return None

    def pace(self, address: Address) -> float:
        """30 messages a minute and 1,000 an hour per member."""
        return self._pacer.reserve((f"member:{address.key}", PER_MEMBER))

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _send_file(self, user: str, file: Attachment) -> None:
        """Upload (once per stored file: a retry reuses the media id) and send, with WeCom's
        duplicate check on, so a retry after a send WeCom did take is not shown twice."""
        kind = "image" if file.is_image and len(file.data) <= MAX_IMAGE_BYTES else "file"
        media_id = self._media.get(file.file_id or -1, "")
        if not media_id:
            media_id = await self._upload(kind, file)
            if file.file_id is not None:
                self._remember_media(file.file_id, media_id)
        media: dict[str, Any] = {"msgtype": kind, kind: {"media_id": media_id}}
        if user.startswith(APPCHAT):
            await self._call("appchat/send", {"chatid": user.removeprefix(APPCHAT)} | media)
            return
        body = {
            "touser": user,
            "agentid": self._agent_id,
            **media,
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_WINDOW,
        }
        data = await self._call("message/send", body)
        if user in str(data.get("invaliduser", "")).split("|"):
            raise PermanentDeliveryError(f"WeCom does not know user {user}")

    def _remember_media(self, file_id: int, media_id: str) -> None:
        """Keep the newest media ids (WeCom keeps media three days; a retry comes far sooner)."""
        self._media[file_id] = media_id
        while len(self._media) > MEDIA_REMEMBERED:
            self._media.pop(next(iter(self._media)))

    async def _upload(self, kind: str, file: Attachment) -> str:
        """``media/upload`` (multipart, part ``media``): a media id valid for three days."""
        if len(file.data) > MAX_FILE_BYTES:
            raise PermanentDeliveryError(f"{file.name} is larger than WeCom's 20 MB")
        for attempt in (1, 2):
            token = await self._token.get()
            form = aiohttp.FormData(quote_fields=False)  # a Chinese name stays readable
            form.add_field("media", file.data, filename=file.name, content_type=file.content_type)
            params = {"access_token": token, "type": kind}
            try:
                async with self._http().post(
                    f"{self._api}/media/upload", data=form, params=params
                ) as resp:
                    if resp.status >= 400:
                        raise DeliveryError(f"media/upload: HTTP {resp.status}")
                    data = json.loads(await resp.text())
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise DeliveryError(f"WeCom media/upload: {type(exc).__name__}: {exc}") from exc
            errcode = _errcode(data)
            if errcode in TOKEN_INVALID and attempt == 1:
                self._token.forget(token)
                continue
            _raise_for_errcode("media/upload", errcode, data)
            return str(data["media_id"])
        raise AssertionError("unreachable")  # pragma: no cover

    async def _update_card(
        self, user: str, code: str, card: Card, context: Mapping[str, str]
    ) -> None:
        body = {
            "userids": [user],
            "agentid": self._agent_id,
            "response_code": code,
            "template_card": render.template_card(card, context.get(TASK_ID, ""), self._link),
        }
        await self._call("message/update_template_card", body)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _call(
        self, path: str, body: dict[str, Any] | None, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST ``body`` (or GET, without one) with the token; a rejected token is replaced once."""
        method = "GET" if body is None else "POST"
        for attempt in (1, 2):
            token = await self._token.get()
            params = {**(query or {}), "access_token": token}
            data = await self._request(method, path, params, body)
            errcode = _errcode(data)
            if errcode in TOKEN_INVALID and attempt == 1:
                self._token.forget(token)
                continue
            _raise_for_errcode(path, errcode, data)
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    async def _fetch_token(self) -> Fetched:
        query = {"corpid": self._corp_id, "corpsecret": self._secret}
        data = await self._request("GET", "gettoken", query, None)
        _raise_for_errcode("gettoken", _errcode(data), data)
        if not data.get("access_token"):
            raise DeliveryError("WeCom returned no access token")
        lifetime = float(data.get("expires_in", 7200))
        log.info("wecom.token_fetched", expires_in=lifetime)
        return Fetched(str(data["access_token"]), lifetime)

    async def _request(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any] | None
    ) -> dict[str, Any]:
        url = f"{self._api}/{path}"
        try:
            async with self._http().request(method, url, params=query, json=body) as resp:
                if resp.status == 429:
                    raise RetryLater(_retry_after(resp.headers), f"{path}: HTTP 429")
                if resp.status >= 400:
                    raise DeliveryError(f"{path}: HTTP {resp.status}")
                text = await resp.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"WeCom unreachable: {type(exc).__name__}: {exc}") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise DeliveryError(f"{path}: not JSON") from exc
        if not isinstance(data, dict):
            raise DeliveryError(f"{path}: not a JSON object")
        return data


def _errcode(data: dict[str, Any]) -> int:
    try:
        return int(data.get("errcode", 0))
    except (TypeError, ValueError):
        return -1


def _raise_for_errcode(path: str, errcode: int, data: dict[str, Any]) -> None:
    """Map an ``errcode`` to the delivery errors the relay understands."""
    if errcode == 0:
        return
    errmsg = str(data.get("errmsg", ""))
    if errcode in RATE_LIMITED:
        raise RetryLater(DEFAULT_RETRY_AFTER, f"{path}: errcode {errcode} {errmsg}")
    if errcode in BAD_RECIPIENT or errcode in FORBIDDEN:
        raise PermanentWeComError(path, errcode, errmsg)
    raise WeComError(path, errcode, errmsg)


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        return max(0.0, float(headers.get("Retry-After", DEFAULT_RETRY_AFTER)))
    except ValueError:
        return DEFAULT_RETRY_AFTER
