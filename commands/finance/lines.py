"""How the finance commands read a line: their field names in both languages and parties
(customers, suppliers, employees) named by (part of) the name they have in the books."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.context import CommandContext
from bot.i18n import _
from bot.picking import Ambiguous, Option, pick_card, replaced
from bot.reader import Field, Kind
from commands.erp.lines import Known
from domain.finance.models import Account
from domain.finance.open_items import Party, find_parties
from domain.shared.errors import NotFound

PICK_LIMIT = 8
NAMES: dict[str, tuple[str, ...]] = {
    "party": ("客户", "供应商", "对方", "customer", "supplier", "payee"),
    "amount": ("金额",),
    "invoice": ("发票", "单据", "单号", "bill", "document", "invoices"),
    "date": ("日期", "收款日期", "付款日期", "on"),
    "ref": ("凭证号", "流水号", "备注", "reference", "note"),
}


def account_named(session: Session, text: str) -> Account | None:
    """An account by its code or its name in either language."""
    wanted = text.strip()
    query = select(Account).where(
        or_(Account.code == wanted, Account.name_zh == wanted, Account.name_en.ilike(wanted))
    )
    return session.scalars(query.order_by(Account.code).limit(1)).first()


def field(key: str, kind: Kind = Kind.TEXT, *, positional: bool = False) -> Field:
    """A finance field with its names from the table."""
    return Field(key, kind, NAMES.get(key, ()), positional=positional)


def knows_party(ctx: CommandContext, kinds: Sequence[str]) -> Known:
    """Whether a word names a party of these kinds (for the reader's positional words)."""

    def known(item: Field, text: str) -> bool:
        return item.key == "party" and bool(find_parties(ctx.session, kinds, text))

    return known


def party_of(ctx: CommandContext, kinds: Sequence[str], text: str) -> Party:
    """The party a member named: one match is it, several are offered as buttons, none is
    answered plainly (only parties with a document or a payment in the books are known)."""
    found = find_parties(ctx.session, kinds, text)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound("{name} has no documents in the books.", name=text[:64])
    options = [Option(p.name, replaced(ctx.event.text, text, p.name)) for p in found[:PICK_LIMIT]]
    question = ctx.t(_("Which one do you mean by {name}?"), name=text)
    raise Ambiguous(pick_card(question, options))
