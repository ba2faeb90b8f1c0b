"""The WeCom channel: its client and its callback route."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from adapters.wecom.client import WeComClient
from adapters.wecom.routes import setup_routes
from adapters.wecom.signing import WeComCrypto
from bot.ports import ChannelClient, ExternalContacts, Ingest


class WeComChannel:
    """WeCom as Bizbot sees it. Constructing it does no I/O."""

    def __init__(
        self,
        *,
        corp_id: str,
        agent_id: str,
        secret: str,
        token: str,
        encoding_aes_key: str,
        api_url: str,
        link: str,
        contacts: ExternalContacts | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._crypto = WeComCrypto(token, encoding_aes_key, corp_id)
        self._contacts = contacts
        self._clock = clock
        self._client = WeComClient(
            corp_id=corp_id,
            agent_id=agent_id,
            secret=secret,
            api_url=api_url,
            link=link,
            clock=clock,
        )
        self.client: ChannelClient = self._client

    def mount(self, app: web.Application, ingest: Ingest) -> None:
        """Add ``GET``/``POST /wecom/callback``."""
        setup_routes(
            app,
            crypto=self._crypto,
            ingest=ingest,
            contacts=self._contacts,
            profiles=self._client.external_profile,
            clock=self._clock,
        )

    async def start(self, ingest: Ingest) -> None:
        """Nothing runs in the background: WeCom calls us."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._client.close()
