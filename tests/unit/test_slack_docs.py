"""The Slack guide's app manifest and settings match the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from adapters.slack.channel import BOT_EVENTS, BOT_SCOPES, SLASH_COMMAND
from adapters.slack.routes import EVENTS_PATH
from bot.config import Settings

DOCS = Path(__file__).parents[2] / "docs"
GUIDE = (DOCS / "channels" / "slack.md").read_text(encoding="utf-8")
URL = f"https://YOUR-HOST{EVENTS_PATH}"


def manifest() -> dict[str, Any]:
    [block] = re.findall(r"```yaml\n(.*?)```", GUIDE, re.DOTALL)
    loaded: dict[str, Any] = yaml.safe_load(block)
    return loaded


def test_every_manifest_url_is_our_events_route() -> None:
    app = manifest()
    [command] = app["features"]["slash_commands"]
    settings = app["settings"]
    assert command["command"] == SLASH_COMMAND
    assert command["url"] == URL
    assert settings["event_subscriptions"]["request_url"] == URL
    assert settings["interactivity"] == {"is_enabled": True, "request_url": URL}


def test_the_manifest_subscribes_to_what_we_handle_with_the_scopes_it_needs() -> None:
    app = manifest()
    assert tuple(app["settings"]["event_subscriptions"]["bot_events"]) == BOT_EVENTS
    assert tuple(app["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert app["features"]["app_home"]["messages_tab_enabled"] is True  # DMs to the bot


def test_the_guides_name_every_slack_setting_and_the_route() -> None:
    settings = {f"BIZBOT_{n.upper()}" for n in Settings.model_fields if n.startswith("slack_")}
    channels = (DOCS / "CHANNELS.md").read_text(encoding="utf-8")
    section = channels[channels.index("## Slack") :]
    for page in (GUIDE, section):
        assert set(re.findall(r"BIZBOT_SLACK_[A-Z_]+", page)) == settings
        assert URL in page
