"""The MRP engine against a record published with its answer.

Source: L. J. Krajewski, L. P. Ritzman and M. K. Malhotra, *Operations Management: Processes and
Supply Chains*, the chapter on resource planning (MRP). The book's running example is a family of
chairs (ladder-back, kitchen, desk) whose bill of materials shares the seat subassembly, item C;
the ladder-back chair is A = B (ladder-back subassembly) + C (seat subassembly) + 2 D (front legs)
+ 4 E (leg supports). The book then works the inventory record of item C:

    Item: C, seat subassembly        lot size: 230 units (fixed order quantity)
                                     lead time: 2 weeks
    week                    1    2    3    4    5    6    7    8
    gross requirements    150    0    0  120    0  150  120    0
    scheduled receipts    230    0    0    0    0    0    0    0
    projected on hand 37

and gives the completed record:

    projected on hand     117  117  117  227  227   77  187  187
    planned receipts                    230            230
    planned order releases    230            230

The inputs above are as the book prints them (they are also in course slides drawn from it, e.g.
https://it.scribd.com/presentation/353225171/Mrp, "Figure 1.5 Inventory Record"); the completed
record is the book's answer.

C's gross requirements come from the planned order releases of the two chairs that use it. The
book takes them as given; to run them through the engine as a multi-level case, this test puts the
ladder-back chair (150 due in weeks 2 and 7) and the kitchen chair (120 due in weeks 5 and 8)
above C, each lot-for-lot with a one-week lead time and no stock, which releases exactly the
book's gross requirements of C: those parents are this test's, the record of C is the book's.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain.erp.mrp import LotRule, Need, Part, Supply, Usage, plan
from domain.erp.mrp_records import Bucket, record
from domain.worktime.calendar import WorkCalendar

D = Decimal
MONDAY = date(2027, 1, 4)  # "today" and the first day of week 1
LADDER_BACK, KITCHEN, SEAT = 1, 2, 3


def week(n: int) -> date:
    return MONDAY + timedelta(days=7 * (n - 1))


def test_the_seat_subassembly_record_gives_the_books_planned_order_releases() -> None:
    parts = [
        Part(LADDER_BACK, "A", make=True, lead_days=7, calendar_days=True, on_hand=D(0)),
        Part(KITCHEN, "K", make=True, lead_days=7, calendar_days=True, on_hand=D(0)),
        Part(SEAT, "C", True, 14, True, D(37), lot_rule=LotRule.FIXED, lot_quantity=D(230)),
    ]
    usages = [Usage(LADDER_BACK, SEAT, D(1)), Usage(KITCHEN, SEAT, D(1))]
    needs = [
        Need(LADDER_BACK, week(2), D(150), "MPS-A-2"),
        Need(LADDER_BACK, week(7), D(150), "MPS-A-7"),
        Need(KITCHEN, week(5), D(120), "MPS-K-5"),
        Need(KITCHEN, week(8), D(120), "MPS-K-8"),
    ]
    supplies = [Supply(SEAT, week(1), D(230), "MO-C")]

    result = plan(parts, usages, needs, supplies, today=MONDAY, calendar=WorkCalendar())

    rows = record(result, SEAT, Bucket.WEEK, week(1), week(8))
    assert [r.gross for r in rows] == [150, 0, 0, 120, 0, 150, 120, 0]
    assert [r.scheduled for r in rows] == [230, 0, 0, 0, 0, 0, 0, 0]
    assert [r.projected for r in rows] == [117, 117, 117, 227, 227, 77, 187, 187]
    assert [r.planned_receipts for r in rows] == [0, 0, 0, 230, 0, 0, 230, 0]
    assert [r.planned_releases for r in rows] == [0, 230, 0, 0, 230, 0, 0, 0]
    seat_orders = [o for o in result.orders if o.part_id == SEAT]
    assert [(o.release, o.due, o.quantity) for o in seat_orders] == [
        (week(2), week(4), D(230)),
        (week(5), week(7), D(230)),
    ]
    assert result.low_level_codes[SEAT] == 1
    assert result.exceptions == []
