"""Where a request comes from, as local sign-in reads it, and this site's origin. Peers other than
loopback cannot be made in-process, so requests are built with aiohttp's own test helper."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from adapters.webchat.guard import local_refusal, public_origin


def request_from(peer: str, host: str = "127.0.0.1:8080") -> web.Request:
    """A POST /login that came from ``peer`` with this Host header."""
    return make_mocked_request("POST", "/login", headers={"Host": host}).clone(remote=peer)


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_loopback_peers_may_sign_in_locally(peer: str) -> None:
    assert local_refusal(request_from(peer)) is None


@pytest.mark.parametrize(
    "peer", ["203.0.113.7", "10.0.0.2", "192.168.1.5", "::ffff:10.0.0.2", "2001:db8::1", "", "x"]
)
def test_any_other_peer_may_not(peer: str) -> None:
    assert local_refusal(request_from(peer)) == "remote_peer"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:8080", "localhost", "LocalHost:80", "[::1]", "[::1]:8080"]
)
def test_loopback_host_names_are_local(host: str) -> None:
    assert local_refusal(request_from("127.0.0.1", host)) is None


@pytest.mark.parametrize(
    "host",
    [
        "",
        "bizbot.example.com",
        "127.0.0.2",
        "localhost.",
        "localhost:",
        "localhost:8080:1",
        "localhost:８０",
        "::1",
        "[::1]x",
        "evil@localhost",
        "localhost/x",
        "[::2]:8080",
    ],
)
def test_any_other_host_is_not(host: str) -> None:
    assert local_refusal(request_from("127.0.0.1", host)) == "host"


def test_the_public_url_gives_the_origin() -> None:
    assert public_origin("") == ""
    assert public_origin("https://Chat.Example.com/") == "https://chat.example.com"
    assert public_origin("https://chat.example.com:443/bizbot") == "https://chat.example.com"
    assert public_origin("http://10.0.0.5:8080") == "http://10.0.0.5:8080"
    for bad in ("chat.example.com", "ftp://chat.example.com", "https://"):
        with pytest.raises(ValueError, match="BIZBOT_PUBLIC_URL"):
            public_origin(bad)
