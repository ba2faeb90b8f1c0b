"""Guests' pure parts: their own command names, deep-link payloads, web chat guest handles."""

from __future__ import annotations

import pytest

from adapters.telegram.translate import start_as_help_or_bind
from bot.app import build_router
from bot.router import Audience, CommandSpec, Router
from domain.crm.invites import web_handle
from domain.directory.orgfile import MemberSpec


def _noop(_ctx: object, _args: object) -> None:
    return None


def test_a_guests_command_may_share_a_members_name_and_neither_finds_the_other() -> None:
    router = Router()
    members = CommandSpec(name="ticket", summary="members'", handler=_noop)
    guests = CommandSpec(name="ticket", summary="guests'", handler=_noop, audience=Audience.GUESTS)
    router.add(members)
    router.add(guests)
    assert router.find("ticket") is members
    assert router.find_for_guest("ticket") is guests
    assert router.find_for_guest("TICKET") is guests
    assert list(router.commands()) == [members]
    assert list(router.guest_commands()) == [guests]
    assert not guests.serves(stranger=False)
    assert not guests.serves(stranger=True)
    with pytest.raises(ValueError, match="taken"):
        router.add(guests)


def test_guests_reach_only_their_own_commands_in_the_real_router() -> None:
    router = build_router()
    offered = {spec.name for spec in router.guest_commands()}
    assert offered == {"help", "tickets", "ticket", "orders", "order", "join"}
    assert router.find_for_guest("guest-invite") is None
    assert router.find_for_guest("reply") is None
    assert router.find("guest-invite") is not None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/start guest-Ab_3-x", "/join guest-Ab_3-x"),
        ("/start K7PD-M3QX", "/bind K7PD-M3QX"),
        ("/start", "/help"),
        ("/startguest-x", "/startguest-x"),
    ],
)
def test_a_deep_link_with_a_guest_invitation_joins_and_others_bind(text: str, command: str) -> None:
    assert start_as_help_or_bind(text) == command


def test_a_web_guest_handle_is_never_a_members_and_reveals_no_cookie() -> None:
    cookie = "s3cret-cookie-value"
    handle = web_handle(cookie)
    assert handle.startswith("guest~")
    assert cookie not in handle
    assert handle == web_handle(cookie)
    with pytest.raises(ValueError, match="handle"):
        MemberSpec(handle=handle, name="Mallory")
