"""DingTalk's callback signature.

``sign`` = base64(HMAC-SHA256(key=appSecret, msg=timestamp + "\\n" + appSecret)).

The sign covers only the timestamp (milliseconds), not the body: a captured pair would carry any
body within the window. The routes therefore accept each pair once (``SeenSignatures``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

WINDOW_MS = 3_600_000  # DingTalk's rule: "相差1小时以上，则认为是非法的请求" (more than 1 h off)


class Refused(Exception):
    """A request that is not from DingTalk, or too old; ``reason`` names why (for the log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sign(timestamp: str, app_secret: str) -> str:
    """The ``sign`` header DingTalk sends with ``timestamp``."""
    message = f"{timestamp}\n{app_secret}".encode()
    digest = hmac.new(app_secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(timestamp: str | None, signature: str | None, app_secret: str, now_ms: int) -> None:
    """Raise ``Refused`` unless the headers are present, fresh (1 hour) and correctly signed."""
    if not timestamp or not signature:
        raise Refused("missing_signature")
    if not timestamp.isdigit():
        raise Refused("bad_timestamp")
    if abs(now_ms - int(timestamp)) > WINDOW_MS:
        raise Refused("stale_timestamp")
    if not hmac.compare_digest(sign(timestamp, app_secret).encode(), signature.encode()):
        raise Refused("bad_signature")
