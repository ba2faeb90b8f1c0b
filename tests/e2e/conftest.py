"""The e2e fixtures around one ``bizbot serve``: the fake platforms (``fakes``) and the server on
them (``served``), its database prepared first by ``prepare_served`` (the test org; a test
module may override it with its own seed)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.fake_telegram import FakeBotApi
from tests.fakes import dingtalk as ding
from tests.fakes import wecom
from tests.fakes.slack import FakeSlack
from tests.processes import describe, run_cli
from tests.rigs import CN_ORG_YAML
from tests.served import Platforms, Prepare, Served, bizbot_serve, serve_env
from tests.wecom_messages import CORP_ID


@pytest.fixture
async def fakes(aiohttp_server: Callable[..., Any]) -> AsyncIterator[Platforms]:
    """All four fake platforms, started."""
    fake_slack, fake_telegram = await FakeSlack().start(), FakeBotApi()
    await fake_telegram.start()
    fake_ding, fake_wecom = ding.FakeDingTalk(), wecom.FakeWeCom(CORP_ID)
    ding_server: TestServer = await aiohttp_server(fake_ding.app)
    wecom_server: TestServer = await aiohttp_server(fake_wecom.app)
    fake_ding.base_url = str(ding_server.make_url("")).rstrip("/")
    wecom_url = str(wecom_server.make_url("/cgi-bin"))
    try:
        yield Platforms(fake_slack, fake_telegram, fake_ding, fake_wecom, wecom_url)
    finally:
        await fake_slack.stop()
        await fake_telegram.close()


def import_org_file(env: dict[str, str], directory: Path, text: str) -> None:
    """``bizbot org import`` of an org file's text (in this process)."""
    org = directory / "org.yaml"
    org.write_text(text, encoding="utf-8")
    imported = run_cli("org", "import", org, env=env)
    assert imported.returncode == 0, describe(imported)


@pytest.fixture
def prepare_served() -> Prepare:
    """What goes into the database before the server starts: the test org, with its members
    bound on the platforms."""
    return lambda env, directory: import_org_file(env, directory, CN_ORG_YAML)


@pytest.fixture
async def served(
    tmp_path: Path, sqlite_url: str, fakes: Platforms, prepare_served: Prepare
) -> AsyncIterator[Served]:
    """One server with every platform configured, on a migrated SQLite database that
    ``prepare_served`` filled."""
    env = serve_env(sqlite_url, fakes)
    prepare_served(env, tmp_path)
    async with (
        bizbot_serve(env, tmp_path / "serve.log") as url,
        aiohttp.ClientSession() as http,
    ):
        yield Served(url, http, fakes, sqlite_url)
