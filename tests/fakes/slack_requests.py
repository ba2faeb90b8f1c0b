"""Requests as Slack sends them to us, signed with slack_sdk's own SignatureVerifier."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1-test"
TEAM = "T0TEST"
_ids = itertools.count(1)


def signed(
    body: str,
    *,
    timestamp: float | None = None,
    secret: str = SECRET,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers for a body: X-Slack-Request-Timestamp and X-Slack-Signature (v0 HMAC-SHA256)."""
    ts = str(int(time.time() if timestamp is None else timestamp))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def trigger_id() -> str:
    """A fresh trigger id, as Slack gives every slash command and click."""
    return f"{next(_ids)}.123456.{time.monotonic_ns():x}"


def command(
    text: str,
    *,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    command_name: str = "/biz",
    response_url: str = "",
    trigger: str = "",
) -> str:
    """A slash command's form body."""
    fields = {
        "token": "deprecated",
        "team_id": TEAM,
        "team_domain": "test",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": command_name,
        "text": text,
        "api_app_id": "A0TEST",
        "response_url": response_url,
        "trigger_id": trigger or trigger_id(),
    }
    return urlencode(fields)


def event(inner: dict[str, Any], *, event_id: str = "") -> str:
    """An Events API ``event_callback`` envelope (JSON)."""
    envelope = {
        "token": "deprecated",
        "team_id": TEAM,
        "api_app_id": "A0TEST",
        "event": inner,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True}],
    }
    return json.dumps(envelope)


def direct_message(text: str, *, user: str = "U0ALICE", channel: str = "D0ALICE") -> dict[str, Any]:
    """A ``message`` event in a DM with the bot."""
    return {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "team": TEAM,
    }


def action_payload(
    token: str,
    *,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    message_ts: str = "1700000001.000100",
    response_url: str = "",
    trigger: str = "",
) -> dict[str, Any]:
    """A ``block_actions`` payload for a tap on the button carrying ``token``."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0TEST",
        "token": "deprecated",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": trigger or trigger_id(),
        "team": {"id": TEAM, "domain": "test"},
        "channel": {"id": channel, "name": "general"},
        "message": {"ts": message_ts, "type": "message"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": token,
                "block_id": "b1",
                "value": token,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
                "text": {"type": "plain_text", "text": "tap"},
            }
        ],
    }


def action(token: str, **options: Any) -> str:
    """A ``block_actions`` form body (``payload=<json>``)."""
    return urlencode({"payload": json.dumps(action_payload(token, **options))})
