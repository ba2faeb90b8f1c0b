"""Open questions: Bizbot asked a member something and their next message in that conversation
is the answer (a missing form field, a reason for a rejection, whom to transfer to)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.pipeline.tables import PromptRow


@dataclass(frozen=True, slots=True)
class OpenPrompt:
    """A question waiting for its answer: which handler takes it, and what it remembers."""

    name: str
    state: dict[str, Any]


def open_prompt(
    session: Session,
    conversation_key: str,
    member_id: int,
    name: str,
    state: dict[str, Any],
    now: datetime,
    expires_at: datetime,
) -> None:
    """Ask: the member's next message here goes to ``name`` (replacing any earlier question)."""
    close_prompt(session, conversation_key, member_id)
    session.add(
        PromptRow(
            conversation_key=conversation_key,
            member_id=member_id,
            name=name,
            state=state,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()


def take_prompt(
    session: Session, conversation_key: str, member_id: int, now: datetime
) -> OpenPrompt | None:
    """The open question for this member here, removed as it is answered (None if none)."""
    row = session.scalars(
        select(PromptRow).where(
            PromptRow.conversation_key == conversation_key, PromptRow.member_id == member_id
        )
    ).first()
    if row is None:
        return None
    prompt = OpenPrompt(row.name, dict(row.state)) if row.expires_at > now else None
    session.delete(row)
    session.flush()
    return prompt


def close_prompt(session: Session, conversation_key: str, member_id: int) -> bool:
    """Drop the open question, if any; True if there was one."""
    result = session.execute(
        delete(PromptRow).where(
            PromptRow.conversation_key == conversation_key, PromptRow.member_id == member_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
