"""The demo company at work: what `make run` adds to the demo org (``org.yaml``) so that a
newcomer's first `/help` finds customers and their contacts, deals in several stages, an open
ticket, requests waiting for Alice (the member the local sign-in offers first, a sales manager),
meetings and reminders in the coming days, products in stock in two warehouses
(``catalog.yaml``), and books kept on the PRC small-enterprise chart, so that what the demo
ships and receives is booked (docs/FINANCE.md).

The tables below are the whole demo. Each row goes through the domain service its command uses
(``/customer add``, ``/deal add``, ``/ticket new``, ``/leave``, ``/meeting``, ``/remind``), so the
data is checked like typed data. Days count working days (Monday to Friday) from the clock's
today in the org's time zone, so the demo is always just ahead of now. It is loaded once, in the
transaction that imports the demo org into an empty directory (``bot.app.prepare_database``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from bot.context import Policies
from domain.approvals.catalog import find_template
from domain.approvals.form import read_pairs
from domain.approvals.services import inputs_for, prepare, submit_request
from domain.approvals.store import Cause
from domain.calendar.models import Response
from domain.calendar.services import MeetingRequest, create_meeting, respond
from domain.crm.customers import Value, add_contact, add_customer, existing_customer_ids
from domain.crm.deals import DealTerms, add_deal, move_deal
from domain.crm.history import log_activity
from domain.crm.models import Customer, Ticket
from domain.crm.scope import scope_of
from domain.crm.stages import DEFAULT_STAGES, Stages, parse_stages
from domain.crm.tickets import assign_ticket, open_ticket
from domain.directory.services import find_member, get_org
from domain.directory.views import MemberView
from domain.erp.importer import problems_in, read_erp_file, save_erp_file
from domain.finance.charts import install_chart
from domain.shared.recurrence import Frequency, Recurrence, local_to_utc, zone
from domain.timers.reminders import Guard, ReminderRequest, set_reminder

CAUSE = Cause(source="demo")
CATALOG = Path(__file__).with_name("catalog.yaml")
DEMO_CHART = "prc_small"  # 小企业会计准则, the demo org being a Chinese small enterprise
SATURDAY = 5


@dataclass(frozen=True, slots=True)
class Person:
    """A customer's contact."""

    name: str
    title: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Company:
    """A customer, owned by a member (by handle), with its contacts."""

    name: str
    owner: str
    industry: str
    tier: str
    contacts: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A deal its customer's owner opened and moved to ``stage`` (a default stage name), with
    the last call they logged with the customer's first contact."""

    customer: str
    name: str
    amount: str
    stage: str
    closes_in: int  # calendar days from today
    next_step: str
    call: str = ""


@dataclass(frozen=True, slots=True)
class Complaint:
    """An open ticket, opened by the customer's owner and assigned to a member."""

    customer: str
    contact: str
    subject: str
    priority: str
    assignee: str


@dataclass(frozen=True, slots=True)
class Request:
    """A submitted request, typed as ``key=value`` pairs; ``dates`` are the first and last
    working day of a leave."""

    initiator: str
    template: str
    fields: tuple[tuple[str, str], ...]
    dates: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Meeting:
    """A meeting on a working day at a local time; ``weekly`` repeats it on that weekday."""

    organiser: str
    title: str
    day: int
    at: time
    minutes: int
    attendees: tuple[str, ...]
    place: str
    accepted: tuple[str, ...] = ()
    weekly: bool = False


@dataclass(frozen=True, slots=True)
class Reminder:
    """A member's reminder; ``watches`` names the template of a demo request it is about, and it
    fires only while that request is pending (``{request}`` in the text is its number)."""

    member: str
    day: int
    at: time
    text: str
    watches: str = ""


MINGYUAN = "杭州明远科技有限公司"
NORTHWIND = "Northwind Traders"
HUACHEN = "上海华晨贸易有限公司"
XINGCHEN = "深圳星辰电子有限公司"
BLUE_HARBOR = "Blue Harbor Logistics GmbH"

CUSTOMERS = (
    Company(MINGYUAN, "alice", "制造业", "A", (
        Person("李娜", "采购经理", "+86 571 8765 4321", "lina@mingyuan.example"),
        Person("陈伟", "信息部主管", "+86 571 8765 4300"),
    )),
    Company(NORTHWIND, "alice", "Wholesale", "A", (
        Person("Sarah Miller", "Purchasing Manager", "+1 206 555 0134", "sarah@northwind.example"),
    )),
    Company(HUACHEN, "bob", "贸易", "B", (
        Person("王建国", "总经理", "+86 21 6543 2100", "wangjg@huachen.example"),
    )),
    Company(XINGCHEN, "bob", "电子", "B", (
        Person("周敏", "采购专员", email="zhoumin@xingchen.example"),
    )),
    Company(BLUE_HARBOR, "emma", "Logistics", "C", (
        Person("Tom Becker", "Head of Operations", "+49 40 555 0199", "tom@blueharbor.example"),
    )),
)  # fmt: skip

DEALS = (
    Opportunity(MINGYUAN, "MES 系统升级", "120000", "proposal", 30, "月底前发正式报价",
                "李娜：预算已批，要在月底前拿到报价"),
    Opportunity(MINGYUAN, "备件年度框架协议", "36000", "qualified", 60, "约陈伟做技术交流"),
    Opportunity(NORTHWIND, "Annual supply contract 2027", "85000", "negotiation", 21,
                "Agree the payment terms", "Sarah asked for 60-day payment terms"),
    Opportunity(NORTHWIND, "Warehouse scanner pilot", "18500", "lead", 45, "Book a demo"),
    Opportunity(HUACHEN, "办公设备采购", "52000", "qualified", 40, "下周上门演示"),
    Opportunity(XINGCHEN, "第四季度补货", "28000", "won", 7, "安排发货"),
    Opportunity(BLUE_HARBOR, "Fleet tracking rollout", "64000", "proposal", 35,
                "Send the rollout plan"),
)  # fmt: skip

TICKETS = (Complaint(MINGYUAN, "李娜", "3 台扫码枪到货外壳破损，需要换货", "high", "bob"),)

REQUESTS = (
    Request("bob", "leave", (("type", "annual"), ("reason", "回老家参加表弟的婚礼")), dates=(6, 7)),
    Request("bob", "expense", (
        ("category", "travel"), ("amount", "1280"), ("reason", "去杭州明远现场处理扫码枪破损"),
    )),
)  # fmt: skip

MEETINGS = (
    Meeting("alice", "Northwind renewal: pricing review", 1, time(10), 60, ("bob", "chen"),
            "Room 3", accepted=("chen",)),
    Meeting("alice", "Sales weekly", 1, time(16), 30, ("bob", "emma"), "Room 3",
            accepted=("bob", "emma"), weekly=True),
    Meeting("wang", "季度经营分析会", 2, time(14, 30), 90, ("alice", "chen", "zhao", "liu"),
            "大会议室", accepted=("chen", "liu")),
    Meeting("bob", "杭州明远 MES 方案交流", 3, time(9, 30), 60, ("alice",), "杭州明远 3 楼"),
)  # fmt: skip

REMINDERS = (
    Reminder("alice", 1, time(9), "Call Sarah Miller (Northwind) about the payment terms"),
    Reminder("alice", 1, time(17), "Decide on Bob's leave request #{request}", watches="leave"),
    Reminder("alice", 3, time(15), "Send the MES quote to 杭州明远"),
    Reminder("bob", 1, time(9, 30), "给杭州明远李娜回电话，确认换货时间"),
)


def load_company(session: Session, now: datetime, policies: Policies) -> None:
    """Add the demo company's records to the freshly imported demo org, through the services."""
    demo = _Demo(session, now, policies)
    for company in CUSTOMERS:
        demo.add_customer(company)
    for opportunity in DEALS:
        demo.add_deal(opportunity)
    for complaint in TICKETS:
        demo.add_ticket(complaint)
    for request in REQUESTS:
        demo.submit(request)
    for meeting in MEETINGS:
        demo.add_meeting(meeting)
    for reminder in REMINDERS:
        demo.add_reminder(reminder)
    load_catalog(session, now)
    install_chart(session, DEMO_CHART)


def load_catalog(session: Session, now: datetime) -> None:
    """The catalog and stock of ``catalog.yaml``, checked and written as ``bizbot erp import``
    does."""
    file = read_erp_file(CATALOG.name, CATALOG.read_bytes())
    problems = problems_in(session, file, existing_customer_ids, now.date())
    if problems:
        raise ValueError(f"the demo catalog has problems: {problems}")
    save_erp_file(session, file, now, lambda: None)


def working_day(today: date, count: int) -> date:
    """The ``count``-th working day (Monday to Friday: a new org has no holidays) after
    ``today``."""
    day = today
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < SATURDAY:
            count -= 1
    return day


def demo_stage(stages: Stages, name: str) -> str:
    """The configured stage a default stage name stands for: itself, or the open stage at its
    place (``BIZBOT_CRM_STAGES`` may name them otherwise)."""
    if stages.find(name) is not None:
        return name
    place = parse_stages(DEFAULT_STAGES).names().index(name)
    return stages.open[min(place, len(stages.open) - 1)].name


class _Demo:
    """Adds the rows of the tables, remembering what later rows refer to by name."""

    def __init__(self, session: Session, now: datetime, policies: Policies) -> None:
        self.session, self.now, self.policies = session, now, policies
        org = get_org(session)
        self.tz, self.currency = org.timezone, org.currency
        self.today = now.astimezone(zone(self.tz)).date()
        self.customers: dict[str, tuple[Customer, MemberView]] = {}  # with its owner
        self.contacts: dict[str, int] = {}
        self.requests: dict[str, int] = {}

    def member(self, handle: str) -> MemberView:
        """A member of the demo org by handle."""
        found = find_member(self.session, handle)
        if found is None:
            raise LookupError(f"the demo names @{handle}, who is not in the demo org")
        return found

    def at(self, day: int, at: time) -> datetime:
        """A local time on the ``day``-th working day from today, in UTC."""
        return local_to_utc(datetime.combine(working_day(self.today, day), at), self.tz)

    def add_customer(self, company: Company) -> None:
        """``/customer add``, then ``/contact add`` for each of its contacts."""
        owner = self.member(company.owner)
        values = {"name": company.name, "industry": company.industry, "tier": company.tier}
        customer_id = add_customer(
            self.session, values=values, owner_id=owner.id, actor_id=owner.id, now=self.now
        )
        customer = self.session.get_one(Customer, customer_id)
        self.customers[company.name] = (customer, owner)
        for person in company.contacts:
            self.contacts[person.name] = add_contact(
                self.session, customer, values=_contact_values(person), actor_id=owner.id,
                now=self.now,
            )  # fmt: skip

    def add_deal(self, opportunity: Opportunity) -> None:
        """``/deal add`` by the customer's owner, ``/deal move`` to its stage, and ``/log``."""
        customer, owner = self.customers[opportunity.customer]
        scope = scope_of(self.session, owner.id, owner.roles)
        terms = DealTerms(
            amount=Decimal(opportunity.amount),
            currency=self.currency,
            close=self.today + timedelta(days=opportunity.closes_in),
            next_step=opportunity.next_step,
        )
        rules = self.policies.deals
        deal = add_deal(
            self.session, scope, customer.id, opportunity.name, terms, rules, self.now, self.today
        )
        stage = demo_stage(rules.stages, opportunity.stage)
        if stage != deal.stage:
            move_deal(self.session, scope, deal.id, stage, rules, self.now)
        if opportunity.call:
            log_activity(
                self.session,
                customer_id=customer.id,
                contact_id=self.contacts[_first_contact(customer.name).name],
                kind="call",
                direction="out",
                body=opportunity.call,
                author_id=owner.id,
                now=self.now,
                deal_id=deal.id,
            )

    def add_ticket(self, complaint: Complaint) -> None:
        """``/ticket new`` by the customer's owner, then ``/ticket assign``."""
        customer, owner = self.customers[complaint.customer]
        opened = open_ticket(
            self.session,
            customer_id=customer.id,
            contact_id=self.contacts[complaint.contact],
            subject=complaint.subject,
            now=self.now,
            actor_id=owner.id,
            priority=complaint.priority,
            policy=self.policies.tickets,
        )
        ticket = self.session.get_one(Ticket, opened.id)
        assign_ticket(self.session, ticket, self.member(complaint.assignee), owner.id, self.now)

    def submit(self, request: Request) -> None:
        """``/apply TEMPLATE key=value …``: the form read as typed, then submitted."""
        initiator = self.member(request.initiator)
        template = find_template(self.session, request.template)
        pairs = list(request.fields)
        if request.dates is not None:
            first, last = (working_day(self.today, d).isoformat() for d in request.dates)
            pairs.append(("dates", f"{first}..{last}"))
        inputs = inputs_for(self.session, initiator.timezone, self.now)
        values, problems = read_pairs(template.spec, pairs, inputs, {})
        if problems:
            raise problems[0]
        draft = prepare(self.session, template, values, initiator.id)
        outcome = submit_request(self.session, draft, initiator.id, self.now, CAUSE)
        self.requests[request.template] = outcome.after.id

    def add_meeting(self, meeting: Meeting) -> None:
        """``/meeting``, and the answers of those who accepted."""
        starts_at = self.at(meeting.day, meeting.at)
        rule = None
        if meeting.weekly:
            local = working_day(self.today, meeting.day)
            weekly = Recurrence(
                Frequency.WEEKLY, meeting.at, self.tz, local, weekdays=(local.weekday(),)
            )
            rule = weekly.to_rrule()
        request = MeetingRequest(
            title=meeting.title,
            starts_at=starts_at,
            duration=timedelta(minutes=meeting.minutes),
            organiser_id=self.member(meeting.organiser).id,
            attendee_ids=tuple(self.member(h).id for h in meeting.attendees),
            place=meeting.place,
            recurrence=rule,
        )
        event = create_meeting(self.session, request, self.now)
        for handle in meeting.accepted:
            respond(self.session, event.id, self.member(handle).id, Response.ACCEPTED, self.now)

    def add_reminder(self, reminder: Reminder) -> None:
        """``/remind me …`` (about a request: while it is pending)."""
        member = self.member(reminder.member)
        guard = None
        text = reminder.text
        if reminder.watches:
            request_id = self.requests[reminder.watches]
            guard = Guard("approval", str(request_id), "pending")
            text = text.format(request=request_id)
        request = ReminderRequest(
            text=text,
            due_at=self.at(reminder.day, reminder.at),
            set_by=member.id,
            for_member=member.id,
            guard=guard,
        )
        set_reminder(self.session, request, self.now, self.policies.record_states)


def _contact_values(person: Person) -> dict[str, Value]:
    return {key: value for key, value in asdict(person).items() if value}


def _first_contact(customer: str) -> Person:
    return next(c for c in CUSTOMERS if c.name == customer).contacts[0]
