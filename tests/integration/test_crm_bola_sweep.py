"""A rep's sweep over every CRM command: bob (Sales East) types each command the router knows
that needs ``crm.use``, with every subcommand word, against the ids of gina's records (Sales
West) and guessed ids, and taps every button on her cards. No answer may show anything of
gina's, and none of her records may change. (The per-area tests check the refusals and their
logs; this one checks that nothing any command can be made to say leaks, including commands
added later.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.contacts import DirectoryExternalContacts
from bot.i18n import t
from bot.ports import ExternalContactChange, ExternalProfile
from bot.replies import as_text
from domain.crm.models import (
    Activity,
    Contact,
    Customer,
    Deal,
    DealStageChange,
    ExternalLink,
    GuestInvite,
    Lead,
    Ticket,
    TicketEvent,
)
from domain.directory.models import ChatIdentity
from domain.directory.roles import Permission
from tests.integration.approvals_rig import Office, member_id
from tests.integration.crm_rig import running_shop
from tests.integration.sweeps import tokens_on_cards

GINAS = [
    '/customer add "Zeta Secret Corp" phone=139-9999-0000 email=zeta@secret.example',
    '/contact add 1 "Zed Hidden" phone=137-7777-0000 email=zed@secret.example',
    "/note 1 secret-note-xyz",
    '/log 1 call "secret-call-abc" contact=1',
    '/deal add 1 "Hidden Deal" amount=99999 close=2026-12-31',
    '/ticket new 1 "Hidden ticket subject" contact=1',
    '/lead add "Hidden Lead" company=HiddenCo phone=136-6666-0000',
]
SECRETS = (
    "Zeta Secret", "zeta@secret", "139-9999", "13999990000", "Zed Hidden", "zed@secret",
    "137-7777", "secret-note-xyz", "secret-call-abc", "Hidden Deal", "99,999", "Hidden ticket",
    "Hidden Lead", "HiddenCo", "136-6666", "Zed WeChat",
)  # fmt: skip
VERBS = (
    "", "show", "edit", "assign", "transfer", "invite", "find", "move", "won", "lost", "update",
    "resolve", "close", "assign", "report", "convert", "drop", "list", "all", "team", "mine",
    "link", "unlink", "查看", "修改", "关联",
)  # fmt: skip
pytestmark = pytest.mark.slow
GUESSES = ("0", "-1", "99999", "#abc")
TAILS = ("", "name=Pwned amount=1 reason=x status=in_progress", "@bob", "won")


async def ginas_rows(office: Office) -> Any:
    """Everything of gina's, as plain values, to compare before and after the sweep."""

    def work(session: Session) -> Any:
        rows = [
            session.get(Customer, 1), session.get(Contact, 1), session.get(Deal, 1),
            session.get(Ticket, 1), session.get(Lead, 1),
        ]  # fmt: skip
        values = [
            {k: v for k, v in vars(row).items() if not k.startswith("_")} for row in rows if row
        ]
        counts = [
            session.scalar(select(func.count()).select_from(model).where(where))
            for model, where in (
                (Activity, Activity.customer_id == 1),
                (DealStageChange, DealStageChange.deal_id == 1),
                (TicketEvent, TicketEvent.ticket_id == 1),
                (GuestInvite, GuestInvite.contact_id == 1),
                (ExternalLink, ExternalLink.contact_id == 1),
            )
        ]
        return values, counts

    return await office.run(work)


async def ginas_wecom_customer(office: Office) -> None:
    """gina adds Zed on WeCom; he is matched to her contact #1 by the phone she noted."""
    gina, now = await member_id(office, "gina"), office.clock.now()
    await office.run(
        lambda s: s.add(
            ChatIdentity(member_id=gina, channel="wecom", platform_user_id="gina", created_at=now)
        )
    )
    profile = ExternalProfile("Zed WeChat", phones=("13777770000",))
    change = ExternalContactChange("wecom", "corp", "gina", "wmZED", True, "", now, profile)
    await DirectoryExternalContacts(office.runtime.db, office.clock).record(change)
    await office.advance(timedelta(seconds=1))


async def test_no_crm_command_shows_or_changes_another_teams_records(
    sqlite_settings: Settings,
) -> None:
    # the scoping is the same ORM query on either database: swept on SQLite (docs/DEVELOPING.md)
    settings = sqlite_settings
    async with running_shop(settings) as office:
        for line in GINAS:
            posted = await office.say("gina", line)
            assert "#1" in posted.text, (line, posted.text)  # each of gina's records is #1
        await ginas_wecom_customer(office)
        await office.say("bob", '/customer add "Bob Own Co"')  # bob's own records exist too
        before = await ginas_rows(office)
        assert len(before[0]) == 5
        assert before[1][-1] == 1  # gina's WeCom customer #1 is linked to her contact

        commands = [
            spec.name
            for spec in office.runtime.router.commands()
            if spec.permission is Permission.CRM_USE
        ]
        assert {"customer", "contact", "deal", "ticket", "lead", "campaign", "pipeline"} <= set(
            commands
        )
        lines = [
            f"/{name} {verb} 1 {tail}" for name in commands for verb in VERBS for tail in TAILS
        ]
        lines += [f"/{name} show {guess}" for name in commands for guess in GUESSES]
        lines += [f"/customer find {text}" for text in ("Zeta", "Hidden", "139", "secret")]
        answers = await office.say_many("bob", lines)
        await office.say_many("gina", [f"/{n} show 1" for n in ("deal", "ticket", "customer")])
        tokens = tokens_on_cards(office, ["gina"])  # her cards' buttons: stages, assign, log…
        assert len(tokens) >= 10
        taps = await office.tap_many("bob", tokens)
        assert {p.text for p in taps} == {t("zh_CN", "This button is not for you.")}  # bob's

        said = [as_text(version) for a in answers + taps for version in a.versions]
        leaks = [(text, s) for text in said for s in SECRETS if s in text]
        assert leaks == []
        assert len(lines) > 1000 and len(answers) >= len(lines)  # every line was answered
        assert await ginas_rows(office) == before
        assert "Zeta Secret Corp" in (await office.say("frank", "/customer show 1")).text
