"""Ticket SLA settings: hours by priority, and the deadlines they give in working hours."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from bot.app import ticket_policy
from bot.config import Settings
from domain.crm.ticket_sla import DEFAULT_SLA, DEFAULT_SLA_TEXT, SlaHours, parse_sla
from domain.worktime.calendar import WorkCalendar


def test_the_default_text_gives_the_default_hours() -> None:
    assert parse_sla(DEFAULT_SLA_TEXT) == DEFAULT_SLA
    assert DEFAULT_SLA["urgent"] == SlaHours(Decimal(1), Decimal(4))
    assert DEFAULT_SLA["low"] == SlaHours(Decimal(8), Decimal(40))


def test_priorities_left_out_keep_their_default() -> None:
    hours = parse_sla("urgent=0.5/2, high = 3/9")
    assert hours["urgent"] == SlaHours(Decimal("0.5"), Decimal(2))
    assert hours["high"] == SlaHours(Decimal(3), Decimal(9))
    assert hours["normal"] == DEFAULT_SLA["normal"]
    assert parse_sla("") == DEFAULT_SLA


@pytest.mark.parametrize("text", ["asap=1/2", "urgent=x/2", "urgent=4/1", "urgent=0/4", "urgent=1"])
def test_bad_sla_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ticket SLA"):
        parse_sla(text)


def test_a_bad_setting_stops_the_start() -> None:
    with pytest.raises(ValidationError):
        Settings(crm_ticket_sla="urgent=soon")
    with pytest.raises(ValueError, match="ticket SLA"):
        ticket_policy(Settings(crm_ticket_sla="urgent=4/1"))
    assert Settings().crm_ticket_sla == DEFAULT_SLA_TEXT
    policy = ticket_policy(Settings(crm_ticket_sla="low=10/50", crm_service_department="Support"))
    assert policy.sla["low"] == SlaHours(Decimal(10), Decimal(50))
    assert policy.service_department == "Support"


def test_deadlines_skip_nights_and_weekends() -> None:
    calendar = WorkCalendar(timezone="Asia/Shanghai")
    friday_5pm = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    hours = DEFAULT_SLA["urgent"]
    assert calendar.add_working_hours(friday_5pm, hours.response) == datetime(
        2026, 12, 4, 10, 0, tzinfo=UTC
    )
    assert calendar.add_working_hours(friday_5pm, hours.resolution) == datetime(
        2026, 12, 7, 4, 0, tzinfo=UTC
    )  # Monday 12:00: 1 hour on Friday, 3 on Monday
