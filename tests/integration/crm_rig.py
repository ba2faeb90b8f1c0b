"""The CRM test office: two sales teams and a service team (tests/fixtures/crm_org.yaml), the
bundled approval templates, and a clock the test moves. The generic helpers (say, tap, card,
advance, run, count, member_id, button) are the approvals office's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import Settings
from tests.integration.approvals_rig import Office, running_office
from tests.support import FIXTURES

CRM_ORG = (FIXTURES / "crm_org.yaml").read_text(encoding="utf-8")


@asynccontextmanager
async def running_shop(settings: Settings) -> AsyncIterator[Office]:
    """A CRM office for the length of a test."""
    async with running_office(settings, extra=(), org=CRM_ORG) as office:
        yield office
