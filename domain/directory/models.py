"""Tables of the org directory: the org, departments, members, roles and chat identities."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.shared.db import Base, UTCDateTime


class Org(Base):
    """The one organisation this installation serves."""

    __tablename__ = "org"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))


class Department(Base):
    """A unit of the org chart; departments form a tree."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", use_alter=True, name="fk_departments_head_id_members")
    )


class Member(Base):
    """A person Bizbot acts for."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    preferred_channel: Mapped[str | None] = mapped_column(String(32))  # chosen with /prefer
    last_channel: Mapped[str | None] = mapped_column(String(32))  # the one they last wrote from
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    roles: Mapped[list[MemberRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MemberRole.role"
    )


class MemberRole(Base):
    """One role a member holds."""

    __tablename__ = "member_roles"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class ChatIdentity(Base):
    """A member's account on one chat platform (workspace '' matches any workspace)."""

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("channel", "workspace", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128), default="")
    platform_user_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberToken(Base):
    """A one-time or session secret for a member, stored only as its SHA-256.

    Purposes: ``invite`` (a bind code typed in chat), ``login_link`` (a one-time web chat link)
    and ``web_session`` (a web chat cookie).
    """

    __tablename__ = "member_tokens"
    __table_args__ = (Index("ix_member_tokens_member_purpose", "member_id", "purpose"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ExternalContact(Base):
    """A customer's account (e.g. a WeCom external contact) and the member's account it added."""

    __tablename__ = "external_contacts"
    __table_args__ = (
        UniqueConstraint(
            "channel",
            "workspace",
            "external_user_id",
            "staff_user_id",
            name="uq_external_contacts_account",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128), default="")
    external_user_id: Mapped[str] = mapped_column(String(128), index=True)
    staff_user_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(128), default="")
    active: Mapped[bool] = mapped_column(default=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What the platform tells of the customer: their own name, the member's remark (often the
    # real name), their company, and the phone numbers the member noted.
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    remark: Mapped[str] = mapped_column(String(200), default="", server_default="")
    corp_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    phones: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
