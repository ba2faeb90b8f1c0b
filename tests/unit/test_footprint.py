"""What a process that serves only the web chat loads: no chat platform's SDK.

The platforms' adapters import their SDKs (python-telegram-bot, slack-bolt, dingtalk-stream), about
28 MB of idle memory; ``bot.app`` imports an adapter only when its platform is configured. This
needs a fresh interpreter: the test process has every adapter loaded already."""

from __future__ import annotations

import subprocess
import sys

PLATFORM_SDKS = ("telegram", "slack_bolt", "slack_sdk", "dingtalk_stream")


def test_the_composition_root_loads_no_platform_sdk_until_one_is_configured() -> None:
    probe = (
        f"import sys, bot.app; print(','.join(m for m in {PLATFORM_SDKS!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == ""
