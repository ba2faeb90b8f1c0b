"""The DingTalk channel: its client, and Stream mode (the default) or HTTP callback routes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from aiohttp import web

from adapters.dingtalk.client import DingTalkClient
from adapters.dingtalk.routes import Addressee, setup_routes
from adapters.dingtalk.stream import StreamReceiver
from adapters.dingtalk.translate import FILE_CODE, FILE_NAME
from bot.events import InboundEvent, InboundFile
from bot.ports import MAX_INBOUND_BYTES, Accepted, ChannelClient, Files, Ingest, SeenSignatures


class DingTalkChannel:
    """DingTalk as Bizbot sees it. Constructing it does no I/O."""

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        robot_code: str,
        api_url: str,
        seen: SeenSignatures,
        stream: bool = True,
        corp_id: str = "",
        clock: Callable[[], float] = time.time,
        files: Files | None = None,
    ) -> None:
        self._files = files
        self._app_key, self._app_secret, self._api_url = app_key, app_secret, api_url
        self._stream = stream
        self._seen = seen
        self._addressee = Addressee(corp_id=corp_id, robot_code=robot_code)
        self._clock = clock
        self._receiver: StreamReceiver | None = None
        self._client = DingTalkClient(
            app_key=app_key,
            app_secret=app_secret,
            robot_code=robot_code,
            api_url=api_url,
            http_callbacks=not stream,
            clock=clock,
        )
        self.client: ChannelClient = self._client

    def mount(self, app: web.Application, ingest: Ingest) -> None:
        """Add ``/dingtalk/callback`` and ``/dingtalk/card-callback``, in HTTP mode only."""
        if self._stream:
            return  # everything arrives over the connection: no public route to attack
        setup_routes(
            app,
            app_secret=self._app_secret,
            ingest=self._files_first(ingest),
            seen=self._seen,
            addressee=self._addressee,
            clock=self._clock,
        )

    async def start(self, ingest: Ingest) -> None:
        """Open the Stream mode connection when ``BIZBOT_DINGTALK_STREAM`` is on."""
        if self._stream:
            self._receiver = StreamReceiver(self._app_key, self._app_secret, self._api_url)
            self._receiver.start(self._files_first(ingest))

    async def stop(self) -> None:
        """Close the Stream mode connection."""
        if self._receiver is not None:
            await self._receiver.stop()
            self._receiver = None

    def _files_first(self, ingest: Ingest) -> Ingest:
        """Ingest that first fetches, checks and keeps the file a picture or file message
        names, so the stored event refers to it (and keeps no download code)."""

        async def take(event: InboundEvent) -> Accepted:
            code = event.extra.get(FILE_CODE)
            if code is None:
                return await ingest(event)
            name = event.extra.get(FILE_NAME, "file")
            extra = {k: v for k, v in event.extra.items() if k not in (FILE_CODE, FILE_NAME)}
            kept = await self._keep(event, code, name)
            return await ingest(replace(event, extra=extra, files=(kept,)))

        return take

    async def _keep(self, event: InboundEvent, code: str, name: str) -> InboundFile:
        data = await self._client.download(code, MAX_INBOUND_BYTES) if self._files else None
        if data is None or self._files is None:
            return InboundFile(name, "", 0, refused="unavailable")
        return await self._files.keep(event.address, event.sender_id, name, data)

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._client.close()
