"""Templates, fields, conditions and the work calendar, checked without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest

from domain.approvals.catalog import BUNDLED_DIR, parse_templates
from domain.approvals.conditions import evaluate, names_in, problems_in
from domain.approvals.fields import FieldProblem, FieldSpec, FieldType, Inputs, parse_value
from domain.approvals.form import missing_slots, read_pairs, with_computed
from domain.approvals.template import TemplateSpec
from domain.shared.yamlfile import DefinitionInvalid
from domain.worktime.calendar import WorkCalendar

INPUTS = Inputs("Asia/Shanghai", date(2026, 11, 30), 2, lambda h: {"bob": 7}.get(h))
CHINA = WorkCalendar(
    timezone="Asia/Shanghai",
    holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5)}),
    workdays=frozenset({date(2026, 10, 10)}),  # a Saturday worked in exchange
)


def test_working_days_skip_weekends_and_holidays_and_count_make_up_days() -> None:
    assert CHINA.working_days(date(2026, 11, 30), date(2026, 12, 6)) == 5  # Mon-Sun
    assert CHINA.working_days(date(2026, 9, 28), date(2026, 10, 11)) == 8  # 10 weekdays - 3 + 1
    assert CHINA.working_days(date(2026, 12, 3), date(2026, 12, 1)) == 0


def test_working_days_before_step_over_weekends_and_holidays_onto_make_up_days() -> None:
    assert CHINA.working_days_before(date(2026, 11, 30), 1) == date(2026, 11, 27)  # Mon -> Fri
    # Tue 6 Oct: Mon 5, Fri 2 and Thu 1 are holidays, so two working days back is Tue 29 Sep
    assert CHINA.working_days_before(date(2026, 10, 6), 2) == date(2026, 9, 29)
    assert CHINA.working_days_before(date(2026, 10, 12), 1) == date(2026, 10, 10)  # a Saturday
    assert CHINA.working_days_before(date(2026, 12, 6), 0) == date(2026, 12, 6)  # a Sunday
    with pytest.raises(ValueError, match="negative"):
        CHINA.working_days_before(date(2026, 12, 6), -1)


def test_working_days_after_step_over_weekends_and_holidays_onto_make_up_days() -> None:
    assert CHINA.working_days_after(date(2026, 11, 27), 2) == date(2026, 12, 1)  # Fri -> Tue
    # Tue 29 Sep: Thu 1, Fri 2 and Mon 5 Oct are holidays; Sat 10 Oct is a make-up day
    assert CHINA.working_days_after(date(2026, 9, 29), 2) == date(2026, 10, 6)
    assert CHINA.working_days_after(date(2026, 10, 9), 1) == date(2026, 10, 10)  # a Saturday
    assert CHINA.working_days_after(date(2026, 12, 6), 0) == date(2026, 12, 6)
    with pytest.raises(ValueError, match="negative"):
        CHINA.working_days_after(date(2026, 12, 6), -1)


def test_working_hours_run_from_nine_to_six_on_working_days() -> None:
    friday_4pm = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
    assert CHINA.add_working_hours(friday_4pm, Decimal(4)) == datetime(
        2026, 12, 7, 3, 0, tzinfo=UTC
    )
    sunday = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    assert CHINA.add_working_hours(sunday, Decimal("0.5")) == datetime(
        2026, 12, 7, 1, 30, tzinfo=UTC
    )
    before_holiday = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)  # Wed 17:00, then Oct 1-2 off
    assert CHINA.add_working_hours(before_holiday, Decimal(2)).date() == date(2026, 10, 6)
    assert WorkCalendar(start=time(9, 30), end=time(18)).hours_per_day() == Decimal("8.5")


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (FieldType.MONEY, "1,234.5", "1234.50"),
        (FieldType.MONEY, "¥88", "88.00"),
        (FieldType.NUMBER, "2.5", "2.5"),
        (FieldType.DATE, "12-01", "2026-12-01"),
        (FieldType.DATE, "2026年12月1日", "2026-12-01"),
        (FieldType.DATETIME, "2026-12-01 09:30", "2026-12-01T01:30:00+00:00"),
        (FieldType.DATERANGE, "2026-12-01~2026-12-03", {"from": "2026-12-01", "to": "2026-12-03"}),
        (FieldType.DATERANGE, "12月1日到12月3日", {"from": "2026-12-01", "to": "2026-12-03"}),
        (FieldType.BOOLEAN, "是", True),
        (FieldType.MEMBER, "@bob", 7),
        (FieldType.ATTACHMENT, "https://files.example/r.pdf", "https://files.example/r.pdf"),
    ],
)
def test_typed_values_become_stored_values(kind: FieldType, text: str, value: object) -> None:
    assert parse_value(FieldSpec(key="f", type=kind), text, INPUTS) == value


def test_choices_accept_values_and_labels_in_any_language() -> None:
    spec = FieldSpec.model_validate(
        {
            "key": "type",
            "type": "choice",
            "options": [{"value": "annual", "label": {"en": "Annual leave", "zh_CN": "年假"}}],
        }
    )
    assert parse_value(spec, "年假", INPUTS) == "annual"
    assert parse_value(spec, "Annual leave", INPUTS) == "annual"
    many = FieldSpec.model_validate(
        {"key": "tags", "type": "multichoice", "options": ["a", "b", "c"]}
    )
    assert parse_value(many, "c, a，b", INPUTS) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("spec", "text", "message"),
    [
        ({"type": "money", "min": 1}, "0.5", "{field} must be at least {limit}."),
        ({"type": "number", "max": 24}, "25", "{field} must be at most {limit}."),
        ({"type": "text", "max": 3}, "abcd", "{field} must be at most {limit} characters long."),
        (
            {"type": "text", "pattern": "PO-\\d+"},
            "PO-x",
            "{field} does not have the expected form.",
        ),
        ({"type": "date"}, "someday", "{field} must be a date, such as 2026-12-01."),
        ({"type": "daterange"}, "2026-12-03..2026-12-01", "{field} ends before it starts."),
        ({"type": "member"}, "@zed", "{field}: I don't know {who}."),
        ({"type": "attachment"}, "receipt.jpg", "{field} must be a link (https://…) to the file."),
    ],
)
def test_values_outside_their_limits_are_refused(
    spec: dict[str, object], text: str, message: str
) -> None:
    with pytest.raises(FieldProblem) as raised:
        parse_value(FieldSpec.model_validate({"key": "f", **spec}), text, INPUTS)
    assert raised.value.message == message


def test_every_bundled_template_is_valid() -> None:
    keys = [
        spec.key
        for path in sorted(BUNDLED_DIR.glob("*.yaml"))
        for spec, _ in parse_templates(path.read_text(encoding="utf-8"), set())
    ]
    assert keys == [
        "contract",
        "expense",
        "generic",
        "leave",
        "overtime",
        "purchase",
        "supplies",
        "trip",
    ]


def test_an_expense_line_can_be_typed_whole_or_by_its_columns() -> None:
    spec = _expense()
    values, problems = read_pairs(
        spec, [("line", "travel:1200:https://r.example/1"), ("line", "meals:88")], INPUTS, {}
    )
    assert problems == []
    assert values["lines"] == [
        {"category": "travel", "amount": "1200.00", "receipt": "https://r.example/1"},
        {"category": "meals", "amount": "88.00"},
    ]
    assert with_computed(spec, values, CHINA, 2)["amount"] == "1288.00"
    single, _ = read_pairs(spec, [("amount", "300"), ("category", "meals")], INPUTS, {})
    assert single["lines"] == [{"amount": "300.00", "category": "meals"}]
    half, _ = read_pairs(spec, [("amount", "300")], INPUTS, {})
    assert [(s.field.key, s.part) for s in missing_slots(spec, half)] == [
        ("lines", "category"),
        ("reason", "value"),
    ]


def _expense() -> TemplateSpec:
    text = (Path(BUNDLED_DIR) / "expense.yaml").read_text(encoding="utf-8")
    return parse_templates(text, set())[0][0]


def test_conditions_are_evaluated_safely() -> None:
    assert evaluate(
        'amount > 5000 and department == "Sales"', {"amount": Decimal(8000), "department": "Sales"}
    ).holds
    assert not evaluate("amount > 5000", {"amount": None}).holds
    assert evaluate("amount > 5000", {"amount": None}).error
    assert not evaluate("__import__('os').system('true')", {}).holds
    assert not evaluate("().__class__", {}).holds
    assert names_in('amount > 5 and "finance" in roles') == {"amount", "roles"}
    assert problems_in("amount >", {"amount"}) == ["not a valid condition: invalid syntax"]


def test_a_template_file_reports_every_problem_by_line() -> None:
    text = """templates:
  - key: a
    name: A
    flow:
      - {name: X, approvers: {manager: 1, role: finance}}
  - key: b
    name: B
    flow: []
"""
    with pytest.raises(DefinitionInvalid) as raised:
        parse_templates(text, set())
    assert [str(p) for p in raised.value.problems] == [
        "line 5, templates[0].flow[0].approvers: "
        "give exactly one of manager, department_head, role, members, field",
        "line 8, templates[1].flow: List should have at least 1 item after validation, not 0",
    ]
