"""Quantities typed with a unit, in the product's unit: the same rules for Chinese and English
unit words (a purchase unit converted, the own unit or a plain counter taken as it is, any other
unit refused, a word that could be either unit refused)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commands.erp.lines import in_stock_units
from domain.erp.models import Product
from domain.shared.errors import DomainError

SEALS = Product(sku="SEAL-KIT", uom="套", purchase_uom="箱", purchase_factor=Decimal(20))
BOLTS = Product(sku="BOLT-M6", uom="pcs", purchase_uom="box", purchase_factor=Decimal(12))
PUMPS = Product(sku="PUMP-1", uom="台", purchase_uom="", purchase_factor=Decimal(1))
SMALL = Product(sku="CLIP", uom="盒", purchase_uom="箱", purchase_factor=Decimal(10))


@pytest.mark.parametrize(
    ("product", "typed", "quantity", "meant"),
    [
        (SEALS, "/收货 PO2026-00001 2箱", 2, 40),
        (SEALS, "/receive PO2026-00001 2 boxes", 2, 40),
        (SEALS, "/receive PO2026-00001 2 cartons", 2, 40),
        (SEALS, "/count SEAL-KIT 3套", 3, 3),
        (SEALS, "/count SEAL-KIT 3 sets", 3, 3),
        (BOLTS, "/adjust BOLT-M6 -3 boxes SH", -3, -36),
        (BOLTS, "/盘盈盘亏 BOLT-M6 盘亏 3箱 SH", 3, 36),
        (BOLTS, "/count BOLT-M6 12 pcs", 12, 12),
        (BOLTS, "/点数 BOLT-M6 12个", 12, 12),
        (BOLTS, "/count BOLT-M6 12 pieces", 12, 12),
        (BOLTS, "/count BOLT-M6 12", 12, 12),
        (PUMPS, "/order Acme PUMP-1 3 units", 3, 3),
        (PUMPS, "/订单 华东 PUMP-1 3台", 3, 3),
        (SMALL, "/count CLIP 2盒", 2, 2),
        (SMALL, "/count CLIP 2箱", 2, 20),
    ],
)
def test_a_unit_in_either_language_is_read_in_the_products_unit(
    product: Product, typed: str, quantity: int, meant: int
) -> None:
    assert in_stock_units(product, typed, Decimal(quantity)) == Decimal(meant)


@pytest.mark.parametrize(
    ("product", "typed", "refusal"),
    [
        (PUMPS, "/order Acme PUMP-1 3 pcs", "PUMP-1 is counted in 台, not pcs."),
        (PUMPS, "/订单 华东 PUMP-1 3个", "PUMP-1 is counted in 台, not 个."),
        (SEALS, "/count SEAL-KIT 3 pcs", "SEAL-KIT is counted in 套, not pcs."),
        (BOLTS, "/count BOLT-M6 3 rolls", "BOLT-M6 is counted in pcs, not rolls."),
        (SMALL, "/count CLIP 3 boxes", "boxes could be 盒 or 箱 of CLIP; say which."),
        (BOLTS, "/count BOLT-M6 3 boxes 3箱", "Give the quantity in one unit"),
    ],
)
def test_another_unit_or_one_that_could_be_either_is_refused(
    product: Product, typed: str, refusal: str
) -> None:
    with pytest.raises(DomainError) as refused:
        in_stock_units(product, typed, Decimal(3))
    assert str(refused.value).startswith(refusal)
