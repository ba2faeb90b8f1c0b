"""Directory services: who a sender is, bind codes, web logins and member preferences."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Select, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from domain.directory.models import ChatIdentity, Department, Member, MemberRole, MemberToken, Org
from domain.directory.views import MemberView, OrgView
from domain.shared.errors import Conflict, NotFound

DEFAULT_ORG = OrgView(name="Bizbot", timezone="UTC", locale="en", currency="CNY")
BIND_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U
BIND_CODE_LENGTH = 8
SUPPORTED_LOCALES = ("en", "zh_CN")


def token_hash(secret: str) -> str:
    """How a secret is stored: its SHA-256, so a database copy holds no usable codes."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_bind_code(text: str) -> str:
    """Upper-case a typed code and drop the dashes and spaces people add."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_bind_code(code: str) -> str:
    """Show a code in two groups of four, ``K7PD-M3QX``."""
    return f"{code[:4]}-{code[4:]}"


def get_org(session: Session) -> OrgView:
    """The org's settings, or neutral defaults before an org is imported."""
    org = session.get(Org, 1)
    if org is None:
        return DEFAULT_ORG
    return OrgView(org.name, org.timezone, org.locale, org.currency)


MEMBERS = cast(Table, Member.__table__)
ROLES = cast(Table, MemberRole.__table__)
IDENTITIES = cast(Table, ChatIdentity.__table__)


@cache
def _member_rows() -> Select[Any]:
    """Members with department, manager, org defaults and roles: one row per role, one query.

    Core on the tables, built once: the ORM path (entities, an aliased manager, a selectin
    load of the roles and a separate org lookup) cost four statements' worth of Python.
    """
    departments = cast(Table, Department.__table__)
    org = cast(Table, Org.__table__)
    manager = MEMBERS.alias("manager")
    m = MEMBERS.c
    joined = (
        MEMBERS.outerjoin(departments, departments.c.id == m.department_id)
        .outerjoin(manager, manager.c.id == m.manager_id)
        .outerjoin(ROLES, ROLES.c.member_id == m.id)
        .outerjoin(org, org.c.id == 1)
    )
    return select(
        m.id,
        m.handle,
        m.name,
        m.email,
        m.phone,
        departments.c.name.label("department"),
        manager.c.handle.label("manager"),
        ROLES.c.role,
        m.locale,
        m.timezone,
        m.active,
        m.last_channel,
        org.c.locale.label("org_locale"),
        org.c.timezone.label("org_timezone"),
    ).select_from(joined)


def _views(rows: Iterable[Row[Any]]) -> list[MemberView]:
    """Fold one-row-per-role results (ordered by member, then role) into views."""
    views: list[MemberView] = []
    roles: list[str] = []
    previous: Row[Any] | None = None
    for row in [*rows, None]:
        if previous is not None and (row is None or row.id != previous.id):
            views.append(_view(previous, tuple(roles)))
            roles = []
        if row is not None and row.role is not None:
            roles.append(row.role)
        previous = row
    return views


def _view(row: Row[Any], roles: tuple[str, ...]) -> MemberView:
    return MemberView(
        id=row.id,
        handle=row.handle,
        name=row.name,
        email=row.email,
        phone=row.phone,
        department=row.department,
        manager=row.manager,
        roles=roles,
        locale=row.locale or row.org_locale or DEFAULT_ORG.locale,
        timezone=row.timezone or row.org_timezone or DEFAULT_ORG.timezone,
        active=row.active,
        last_channel=row.last_channel,
    )


def _member_views(
    session: Session, *criteria: ColumnElement[bool], order_by: Any = None
) -> list[MemberView]:
    """Members matching ``criteria`` (on the members table) with everything a view shows."""
    _flush_pending(session)
    query = _member_rows().where(*criteria)
    if order_by is not None:
        query = query.order_by(order_by)
    return _views(session.execute(query.order_by(MEMBERS.c.id, ROLES.c.role)))


@cache
def _by_handle() -> Select[Any]:
    return _member_rows().where(MEMBERS.c.handle == bindparam("handle")).order_by(ROLES.c.role)


@cache
def _by_identity() -> Select[Any]:
    """The member behind a chat account: an exact workspace match before a '' (any) one."""
    i = IDENTITIES.c
    member_id = (
        select(i.member_id)
        .where(
            i.channel == bindparam("channel"),
            i.platform_user_id == bindparam("user"),
            or_(i.workspace == bindparam("workspace"), i.workspace == ""),
        )
        .order_by(i.workspace.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _member_rows().where(MEMBERS.c.id == member_id).order_by(ROLES.c.role)


def _flush_pending(session: Session) -> None:
    """What the ORM's autoflush does before its own queries (Core statements skip it)."""
    if session.autoflush:
        session.flush()


def _one(views: list[MemberView]) -> MemberView | None:
    return views[0] if views else None


def member_view(session: Session, member_id: int) -> MemberView:
    """One member by id."""
    view = _one(_member_views(session, MEMBERS.c.id == member_id))
    if view is None:
        raise NotFound("No member with id {id}.", id=member_id)
    return view


def member_views(session: Session, member_ids: Collection[int]) -> dict[int, MemberView]:
    """Several members by id, in the same two queries as one (unknown ids are left out)."""
    return {m.id: m for m in _member_views(session, MEMBERS.c.id.in_(member_ids))}


def find_member(session: Session, handle: str) -> MemberView | None:
    """One member by handle (case-insensitive, a leading @ is ignored)."""
    _flush_pending(session)
    return _one(_views(session.execute(_by_handle(), {"handle": handle.lstrip("@").lower()})))


def members_named(session: Session, text: str) -> list[MemberView]:
    """Active members a person may mean by ``text``: the one with that handle, else those whose
    name is, or has a word that is, ``text`` (any case or width: ``bob`` -> ``李博 Bob``)."""
    wanted = unicodedata.normalize("NFKC", text).casefold().lstrip("@").strip()
    if not wanted:
        return []
    by_handle = find_member(session, wanted)
    if by_handle is not None and by_handle.active:
        return [by_handle]
    found = []
    for member in list_members(session):
        name = unicodedata.normalize("NFKC", member.name).casefold()
        if wanted == name or wanted in name.split() or (not wanted.isascii() and wanted in name):
            found.append(member)
    return found


def list_members(session: Session, *, active_only: bool = True) -> list[MemberView]:
    """Every member, by handle."""
    criteria = [MEMBERS.c.active.is_(True)] if active_only else []
    return _member_views(session, *criteria, order_by=MEMBERS.c.handle)


def holders_else_admins(session: Session, *roles: str) -> list[MemberView]:
    """The active members holding every one of ``roles``; the admins when nobody does (so a
    card meant for a role always reaches someone)."""
    members = list_members(session)
    wanted = set(roles)
    return [m for m in members if wanted <= set(m.roles)] or [
        m for m in members if "admin" in m.roles
    ]


def resolve_sender(
    session: Session, channel: str, workspace: str, platform_user_id: str, *, by_handle: bool
) -> MemberView | None:
    """The member behind a chat account, or None for a stranger; one query either way.

    Built-in channels (web chat, console) authenticate members themselves and pass the handle
    (``by_handle``); platforms are looked up through chat identities, exact workspace first.
    """
    if by_handle:
        return find_member(session, platform_user_id)
    _flush_pending(session)
    params = {"channel": channel, "user": platform_user_id, "workspace": workspace}
    return _one(_views(session.execute(_by_identity(), params)))


def set_locale(session: Session, member_id: int, locale: str, now: datetime) -> MemberView:
    """Change the language Bizbot speaks to a member."""
    if locale not in SUPPORTED_LOCALES:
        raise Conflict("Unsupported language {locale}.", locale=locale)
    session.execute(
        update(Member).where(Member.id == member_id).values(locale=locale, updated_at=now)
    )
    return member_view(session, member_id)


def _issue_token(
    session: Session, member: Member, purpose: str, secret: str, now: datetime, ttl: timedelta
) -> None:
    session.add(
        MemberToken(
            token_hash=token_hash(secret),
            purpose=purpose,
            member_id=member.id,
            created_at=now,
            expires_at=now + ttl,
        )
    )


def _active_member(session: Session, handle: str) -> Member:
    member = session.scalar(select(Member).where(Member.handle == handle.lstrip("@").lower()))
    if member is None:
        raise NotFound("No member with handle {handle}.", handle=handle)
    if not member.active:
        raise Conflict("{handle} is deactivated.", handle=member.handle)
    return member


def create_bind_code(session: Session, handle: str, now: datetime, ttl: timedelta) -> str:
    """A one-time code the member types as ``/bind CODE`` on a chat platform."""
    member = _active_member(session, handle)
    code = "".join(secrets.choice(BIND_CODE_ALPHABET) for _ in range(BIND_CODE_LENGTH))
    _issue_token(session, member, "invite", code, now, ttl)
    return format_bind_code(code)


def _redeem(session: Session, secret: str, purpose: str, now: datetime) -> Member:
    """Use a one-time token exactly once (compare-and-set on ``used_at``)."""
    hashed = token_hash(secret)
    used = session.execute(
        update(MemberToken)
        .where(
            MemberToken.token_hash == hashed,
            MemberToken.purpose == purpose,
            MemberToken.used_at.is_(None),
            MemberToken.expires_at > now,
        )
        .values(used_at=now)
    )
    token = session.get(MemberToken, hashed) if used.rowcount == 1 else None  # type: ignore[attr-defined]
    member = session.get(Member, token.member_id) if token else None
    if member is None or not member.active:
        raise NotFound("That code is unknown, used or expired.")
    return member


def bind_identity(
    session: Session, code: str, channel: str, workspace: str, platform_user_id: str, now: datetime
) -> MemberView:
    """Redeem a bind code: from now on this chat account acts as the code's member."""
    existing = resolve_sender(session, channel, workspace, platform_user_id, by_handle=False)
    if existing is not None:
        raise Conflict("This account is already bound to {handle}.", handle=existing.handle)
    member = _redeem(session, normalise_bind_code(code), "invite", now)
    session.add(
        ChatIdentity(
            member_id=member.id,
            channel=channel,
            workspace=workspace,
            platform_user_id=platform_user_id,
            created_at=now,
        )
    )
    return member_view(session, member.id)


def create_login_link(session: Session, handle: str, now: datetime, ttl: timedelta) -> str:
    """A one-time secret for ``/login/<secret>`` in the web chat."""
    member = _active_member(session, handle)
    secret = secrets.token_urlsafe(24)
    _issue_token(session, member, "login_link", secret, now, ttl)
    return secret


def start_web_session(
    session: Session, now: datetime, ttl: timedelta, *, handle: str = "", link: str = ""
) -> tuple[str, MemberView]:
    """Open a web chat session, either from a one-time link or (local login) for a handle."""
    member = _redeem(session, link, "login_link", now) if link else _active_member(session, handle)
    secret = secrets.token_urlsafe(32)
    _issue_token(session, member, "web_session", secret, now, ttl)
    return secret, member_view(session, member.id)


def _live_token(session: Session, secret: str, purpose: str, now: datetime) -> MemberToken | None:
    """The token for ``secret`` if it has this purpose and has not expired."""
    token = session.get(MemberToken, token_hash(secret))
    if token is None or token.purpose != purpose or token.expires_at <= now:
        return None
    return token


def _active_view(session: Session, member_id: int) -> MemberView | None:
    view = _one(_member_views(session, MEMBERS.c.id == member_id))
    return view if view and view.active else None


def web_session_member(session: Session, secret: str, now: datetime) -> MemberView | None:
    """The active member a web chat cookie belongs to, or None."""
    token = _live_token(session, secret, "web_session", now)
    return _active_view(session, token.member_id) if token else None


def login_link_member(session: Session, secret: str, now: datetime) -> MemberView | None:
    """The active member a login link would sign in, without using it (None: unknown, used,
    expired or deactivated)."""
    token = _live_token(session, secret, "login_link", now)
    return _active_view(session, token.member_id) if token and token.used_at is None else None


def end_web_session(session: Session, secret: str, now: datetime) -> None:
    """Log a web chat session out."""
    session.execute(
        update(MemberToken)
        .where(MemberToken.token_hash == token_hash(secret), MemberToken.purpose == "web_session")
        .values(expires_at=now)
    )


def member_roles(session: Session, member_id: int) -> list[str]:
    """The roles stored for a member (without the implicit ``employee``)."""
    return list(session.scalars(select(MemberRole.role).where(MemberRole.member_id == member_id)))


def identities_of(session: Session, member_id: int) -> list[str]:
    """A member's chat accounts as ``channel:user`` strings."""
    rows = session.execute(
        select(ChatIdentity.channel, ChatIdentity.platform_user_id)
        .where(ChatIdentity.member_id == member_id)
        .order_by(ChatIdentity.channel)
    )
    return [f"{channel}:{user}" for channel, user in rows]
