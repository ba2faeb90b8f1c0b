"""DingTalk's sign against a vector computed by hand with the documented algorithm."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from adapters.dingtalk import signing

SECRET = "test-app-secret"
TIMESTAMP = "1577262236757"
# base64(HMAC-SHA256(key=secret, msg=timestamp + "\n" + secret)), research/protocols.md §3.5
VECTOR = "XbMT4mXjew04brIN5f9EjwUAOTHY6Gp6ui2bhlkV8kQ="


def test_the_vector_is_what_the_documented_algorithm_gives() -> None:
    message = (TIMESTAMP + "\n" + SECRET).encode("utf-8")
    by_hand = base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest())
    assert by_hand.decode() == VECTOR


def test_signer_and_verifier_agree_with_the_vector() -> None:
    assert signing.sign(TIMESTAMP, SECRET) == VECTOR
    signing.verify(TIMESTAMP, VECTOR, SECRET, now_ms=int(TIMESTAMP))
    signing.verify(TIMESTAMP, VECTOR, SECRET, now_ms=int(TIMESTAMP) + 3_600_000)


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        # DingTalk's docs give the inputs (the timestamp of the callback example, the secret of
        # the robot signing example) but no output; these outputs are the ones asserted by two
        # unrelated open-source DingTalk clients (one in Swift, one in Rust).
        ("this is secret", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="),
        ("this is a secret", "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA="),
    ],
)
def test_signer_agrees_with_published_vectors(secret: str, expected: str) -> None:
    assert signing.sign(TIMESTAMP, secret) == expected


@pytest.mark.parametrize(
    ("timestamp", "sign", "now_ms", "reason"),
    [
        (TIMESTAMP, VECTOR, int(TIMESTAMP) + 3_600_001, "stale_timestamp"),
        (TIMESTAMP, VECTOR, int(TIMESTAMP) - 3_600_001, "stale_timestamp"),
        (TIMESTAMP, VECTOR[:-2] + "A=", int(TIMESTAMP), "bad_signature"),
        (TIMESTAMP, signing.sign(TIMESTAMP, "other"), int(TIMESTAMP), "bad_signature"),
        (None, VECTOR, int(TIMESTAMP), "missing_signature"),
        (TIMESTAMP, "", int(TIMESTAMP), "missing_signature"),
        ("12ab", VECTOR, int(TIMESTAMP), "bad_timestamp"),
    ],
)
def test_verifier_refuses(timestamp: str | None, sign: str, now_ms: int, reason: str) -> None:
    with pytest.raises(signing.Refused) as refused:
        signing.verify(timestamp, sign, SECRET, now_ms=now_ms)
    assert refused.value.reason == reason
