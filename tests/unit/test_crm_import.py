"""Reading and checking CRM import files, without a database."""

from __future__ import annotations

import pytest

from domain.crm.importer import (
    Problem,
    check_contacts,
    check_customers,
    problems_csv,
    read_table,
)
from domain.crm.search import search_key_for
from domain.shared.csvfile import ImportRefused

HEADER = "key,name,kind,industry,tier,source,tags,owner,phone,email,address\n"
OWNERS = {"bob": 2, "erin": 4}


def test_utf8_with_and_without_bom_read_the_same() -> None:
    text = HEADER + "K1,上海明远,company,,,,,bob,,,\n"
    plain = read_table(text.encode())
    excel = read_table(b"\xef\xbb\xbf" + text.encode())
    assert plain == excel
    assert plain.kind == "customers"
    assert plain.rows[0].cells["name"] == "上海明远"
    assert plain.rows[0].line == 2


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ((HEADER + "K1,上海明远,,,,,,bob,,,\n").encode("gbk"), "not UTF-8"),
        ((HEADER + "K1,上海,,,,,,bob,,,\n").encode("utf-16"), "UTF-16"),
        (b"id,name\n1,x\n", "missing column(s): key"),
        (b"key,name,colour\n1,x,red\n", "unknown column(s): colour"),
    ],
)
def test_unreadable_files_are_refused_whole(data: bytes, says: str) -> None:
    with pytest.raises(ImportRefused, match=says.replace("(", r"\(").replace(")", r"\)")):
        read_table(data)


def test_a_header_with_customer_key_is_a_contacts_file() -> None:
    table = read_table(b"key,customer_key,name\nP1,K1,Li\n")
    assert table.kind == "contacts"


def test_every_problem_is_located_by_line_and_column() -> None:
    table = read_table(
        (
            HEADER
            + "K1,Good,company,,,,,bob,,a@b.cn,\n"
            + ",No key,,,,,,bob,,,\n"
            + "K3,,,,,,,bob,,,\n"
            + "K4,Mail,,,,,,bob,,a@b,\n"
            + "K5,Who,,,,,,zed,,,\n"
            + "K6,Kind,robot,,,,,bob,,,\n"
            + "K1,Twice,,,,,,bob,,,\n"
            + "K8,No owner,,,,,,,,,\n"
            + "K9,Extra,,,,,,bob,,,,surplus\n"
        ).encode()
    )
    checked = check_customers(table.rows, OWNERS, None)
    assert [r.key for r in checked.records] == ["K1"]
    assert [(p.line, p.column) for p in checked.problems] == [
        (3, "key"), (4, "name"), (5, "email"), (6, "owner"), (7, "kind"), (8, "key"),
        (9, "owner"), (10, ""),
    ]  # fmt: skip
    assert checked.broken_lines == 8


def test_the_default_owner_fills_empty_owner_cells() -> None:
    table = read_table((HEADER + "K1,Acme,,,,,a;b ; ,,138 0000-1111,X@Acme.CN,\n").encode())
    checked = check_customers(table.rows, OWNERS, 4)
    values = checked.records[0].values
    assert (values["owner_id"], values["tags"], values["email"]) == (4, ["a", "b"], "x@acme.cn")


def test_contacts_need_a_known_customer_and_good_emails() -> None:
    table = read_table(
        b"key,customer_key,name,emails\nP1,K1,Li,li@a.cn;x@b.cn\nP2,K9,Wang,\nP3,K1,Zhao,zhao@\n"
    )
    checked = check_contacts(table.rows, {"K1": 10})
    assert checked.records[0].values["customer_id"] == 10
    assert checked.records[0].values["emails"] == ["li@a.cn", "x@b.cn"]
    assert [(p.line, p.column) for p in checked.problems] == [(3, "customer_key"), (4, "emails")]


def test_the_error_report_has_a_line_per_problem() -> None:
    text = problems_csv([Problem(3, "email", "not an email address: 'a@'")])
    assert text.splitlines() == ["line,column,problem", "3,email,not an email address: 'a@'"]


def test_search_key_folds_full_width_case_and_phone_punctuation() -> None:
    assert search_key_for(
        "ＡＣＭＥ 上海", ["(021) 6888-1234"], ["Info@ACME.cn"], ["Ｚｈａｎｇ"]
    ) == ("acme 上海\n02168881234\ninfo@acme.cn\nzhang")
    assert search_key_for("张伟", [""], []) == "张伟"
