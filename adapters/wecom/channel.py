"""The WeCom channel: its client and its callback route."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from aiohttp import web

from adapters.wecom.client import WeComClient
from adapters.wecom.routes import setup_routes
from adapters.wecom.signing import WeComCrypto
from adapters.wecom.translate import MEDIA_ID
from bot.events import InboundEvent, InboundFile
from bot.ports import MAX_INBOUND_BYTES, Accepted, ChannelClient, ExternalContacts, Files, Ingest


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
        files: Files | None = None,
    ) -> None:
        self._files = files
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
            ingest=self._files_first(ingest),
            contacts=self._contacts,
            profiles=self._client.external_profile,
            clock=self._clock,
        )

    def _files_first(self, ingest: Ingest) -> Ingest:
        """Ingest that first fetches, checks and keeps a picture a member sent, so the stored
        event refers to it (and keeps no media id)."""

        async def take(event: InboundEvent) -> Accepted:
            media_id = event.extra.get(MEDIA_ID)
            if media_id is None:
                return await ingest(event)
            name = f"picture-{event.event_id}.jpg"
            data = await self._client.download(media_id, MAX_INBOUND_BYTES) if self._files else None
            if data is None or self._files is None:
                kept = InboundFile(name, "", 0, refused="unavailable")
            else:
                kept = await self._files.keep(event.address, event.sender_id, name, data)
            return await ingest(replace(event, extra={}, files=(kept,)))

        return take

    async def start(self, ingest: Ingest) -> None:
        """Nothing runs in the background: WeCom calls us."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._client.close()
