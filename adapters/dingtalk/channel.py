"""The DingTalk channel: its client, and Stream mode (the default) or HTTP callback routes."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from adapters.dingtalk.client import DingTalkClient
from adapters.dingtalk.routes import Addressee, setup_routes
from adapters.dingtalk.stream import StreamReceiver
from bot.ports import ChannelClient, Ingest, SeenSignatures


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
    ) -> None:
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
            ingest=ingest,
            seen=self._seen,
            addressee=self._addressee,
            clock=self._clock,
        )

    async def start(self, ingest: Ingest) -> None:
        """Open the Stream mode connection when ``BIZBOT_DINGTALK_STREAM`` is on."""
        if self._stream:
            self._receiver = StreamReceiver(self._app_key, self._app_secret, self._api_url)
            self._receiver.start(ingest)

    async def stop(self) -> None:
        """Close the Stream mode connection."""
        if self._receiver is not None:
            await self._receiver.stop()
            self._receiver = None

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._client.close()
