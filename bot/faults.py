"""Named crash points for the crash-recovery tests (``BIZBOT_CRASH_AT``); inert unless set."""

from __future__ import annotations

import os
import sys

AFTER_COMMIT_BEFORE_SEND = "after_commit_before_send"
AFTER_SEND_BEFORE_MARK = "after_send_before_mark"
TIMER_BATCH_BEFORE_COMMIT = "timer_batch_before_commit"
CRASH_POINTS = (AFTER_COMMIT_BEFORE_SEND, AFTER_SEND_BEFORE_MARK, TIMER_BATCH_BEFORE_COMMIT)


def crash_point(configured: str, name: str) -> None:
    """Kill the process on the spot, as a power cut would, when ``name`` is the configured point."""
    if configured == name:
        sys.stderr.write(f"bizbot: crash point {name} reached, exiting\n")
        sys.stderr.flush()
        os._exit(137)
