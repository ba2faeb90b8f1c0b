"""``bizbot crm import`` as an operator runs it: progress, idempotence, every problem listed with
its line, all or nothing (or the good rows with --skip-broken), Excel's BOM and Chinese text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.crm.models import Contact, Customer
from domain.crm.search import search_key_for
from domain.directory.models import Member
from tests.processes import bot_env, query, run_cli
from tests.support import FIXTURES

CRM_ORG = FIXTURES / "crm_org.yaml"
HEADER = "key,name,kind,industry,tier,source,tags,owner,phone,email,address"
OWNERS = ("bob", "erin", "gina")


def customers_file(path: Path, count: int, *, bom: bool = False) -> Path:
    """A customers.csv of ``count`` good rows with Chinese names."""
    lines = [HEADER]
    for i in range(count):
        owner = OWNERS[i % len(OWNERS)]
        lines.append(
            f"C{i:05d},客户{i}号 有限公司,company,制造,A,展会,重点;华东,{owner},"
            f"138-{i:04d}-0000,c{i}@example.cn,上海"
        )
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\n".join(lines).encode())
    return path


def broken_file(path: Path, good: int) -> Path:
    """``good`` good rows then 50 broken ones, each with exactly one problem of six kinds."""
    lines = customers_file(path, good).read_text(encoding="utf-8").splitlines()
    broken = (
        (10, ",No key {i},company,,,,,bob,,,"),
        (8, "B{i},,company,,,,,bob,,,"),
        (8, "B{i},Bad mail {i},company,,,,,bob,,not-an-email,"),
        (8, "B{i},Nobody's {i},company,,,,,zed,,,"),
        (8, "B{i},Odd kind {i},robot,,,,,bob,,,"),
        (8, "C{i:05d},Again {i},company,,,,,bob,,,"),
    )
    n = 0
    for times, row in broken:
        for _ in range(times):
            lines.append(row.format(i=n))
            n += 1
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def setup(db_url: str) -> dict[str, str]:
    """The CRM test org in the database; the environment to run the CLI with."""
    env = bot_env(db_url)
    result = run_cli("org", "import", CRM_ORG, env=env)
    assert result.returncode == 0, result.stderr
    return env


async def count(db_url: str, model: type[Customer] | type[Contact]) -> int:
    """How many rows the table has."""
    return await query(
        db_url, lambda s: int(s.scalar(select(func.count()).select_from(model)) or 0)
    )


def report_rows(path: Path) -> list[dict[str, str]]:
    """The error report's data rows."""
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


async def imports_and_reimports(db_url: str, tmp_path: Path, rows: int) -> None:
    env = setup(db_url)
    data = customers_file(tmp_path / "customers.csv", rows, bom=True)
    first = run_cli("crm", "import", data, env=env)
    assert first.returncode == 0, first.stderr
    assert f"{rows} created, 0 updated, 0 unchanged" in first.stdout
    assert "importing customers" in first.stderr and f"{rows}/{rows}" in first.stderr
    assert await count(db_url, Customer) == rows
    again = run_cli("crm", "import", data, env=env)
    assert again.returncode == 0, again.stderr
    assert f"0 created, 0 updated, {rows} unchanged" in again.stdout
    assert not (tmp_path / "customers.errors.csv").exists()


async def test_twenty_thousand_customers_import_once_on_sqlite(
    sqlite_url: str, tmp_path: Path
) -> None:
    await imports_and_reimports(sqlite_url, tmp_path, 20_000)


async def test_two_thousand_customers_import_once(db_url: str, tmp_path: Path) -> None:
    await imports_and_reimports(db_url, tmp_path, 2_000)


async def test_a_changed_row_updates_its_customer_only(db_url: str, tmp_path: Path) -> None:
    env = setup(db_url)
    data = customers_file(tmp_path / "customers.csv", 20)
    assert run_cli("crm", "import", data, env=env).returncode == 0
    text = data.read_text(encoding="utf-8").replace("客户7号 有限公司", "客户七号 集团")
    data.write_text(text.replace("c3@example.cn", "sales3@example.cn"), encoding="utf-8")
    result = run_cli("crm", "import", data, env=env)
    assert "0 created, 2 updated, 18 unchanged" in result.stdout, result.stdout

    def changed(session: Session) -> tuple[str, str]:
        seven = session.scalars(select(Customer).where(Customer.external_key == "C00007")).one()
        three = session.scalars(select(Customer).where(Customer.external_key == "C00003")).one()
        return seven.search_key, three.search_key

    seven, three = await query(db_url, changed)
    assert seven == search_key_for("客户七号 集团", ["138-0007-0000"], ["c7@example.cn"])
    assert "sales3@example.cn" in three


async def test_every_broken_row_is_listed_with_its_line_and_nothing_is_imported(
    db_url: str, tmp_path: Path
) -> None:
    env = setup(db_url)
    data = broken_file(tmp_path / "customers.csv", 300)
    report = tmp_path / "problems.csv"
    result = run_cli("crm", "import", data, "--errors", report, env=env)
    assert result.returncode == 1
    assert "0 created, 0 updated, 0 unchanged" in result.stdout
    assert "50 broken row(s), 50 problem(s), nothing was imported" in result.stderr
    listed = [line.strip() for line in result.stderr.splitlines() if line.startswith("  line ")]
    assert [int(line.split()[1].rstrip(",:")) for line in listed] == list(range(302, 352))
    assert "line 302, key: required" in listed
    assert "line 328, owner: no active member @zed" in listed
    assert "line 336, kind: must be company or person, not 'robot'" in listed
    assert "line 344, key: duplicate of line 44" in listed
    problems = report_rows(report)
    assert len(problems) == 50
    assert {p["column"] for p in problems} == {"key", "name", "email", "owner", "kind"}
    assert await count(db_url, Customer) == 0


async def test_skip_broken_imports_the_good_rows(db_url: str, tmp_path: Path) -> None:
    env = setup(db_url)
    data = broken_file(tmp_path / "customers.csv", 300)
    result = run_cli("crm", "import", data, "--skip-broken", env=env)
    assert result.returncode == 1
    assert "300 created" in result.stdout
    assert "50 broken row(s), 50 problem(s), the other rows were imported" in result.stderr
    problems = report_rows(tmp_path / "customers.errors.csv")
    assert sorted(int(p["line"]) for p in problems) == list(range(302, 352))
    assert await count(db_url, Customer) == 300


async def test_excel_bom_file_keeps_chinese_and_contacts_attach(
    db_url: str, tmp_path: Path
) -> None:
    env = setup(db_url)
    customers = run_cli("crm", "import", FIXTURES / "crm" / "customers_zh.csv", env=env)
    assert customers.returncode == 0, customers.stderr
    contacts = run_cli("crm", "import", FIXTURES / "crm" / "contacts.csv", env=env)
    assert contacts.returncode == 0, contacts.stderr
    assert "2 created" in contacts.stdout

    def stored(session: Session) -> tuple[list[str], list[str], Contact]:
        names = session.scalars(select(Customer.name).order_by(Customer.external_key)).all()
        tags = session.scalars(select(Customer.tags).where(Customer.external_key == "ZH-001")).one()
        contact = session.scalars(select(Contact).where(Contact.external_key == "P-001")).one()
        return list(names), tags, contact

    names, tags, li_na = await query(db_url, stored)
    assert names == ["上海明远贸易有限公司", "张伟", '北京"新纪元"科技']
    assert tags == ["重点", "华东"]
    assert (li_na.name, li_na.title, li_na.phones) == (
        "李娜",
        "采购经理",
        ["021-6888 1235", "139 1111 2222"],
    )


async def test_contacts_of_unknown_customers_are_refused(db_url: str, tmp_path: Path) -> None:
    env = setup(db_url)
    report = tmp_path / "contacts.errors.csv"
    result = run_cli(
        "crm", "import", FIXTURES / "crm" / "contacts.csv", "--errors", report, env=env
    )
    assert result.returncode == 1
    problems = report_rows(report)
    assert [(p["line"], p["column"]) for p in problems] == [
        ("2", "customer_key"),
        ("3", "customer_key"),
    ]
    assert await count(db_url, Contact) == 0


async def test_a_gbk_file_is_refused_with_a_clear_message(sqlite_url: str, tmp_path: Path) -> None:
    url = sqlite_url
    data = tmp_path / "customers.csv"
    data.write_bytes(f"{HEADER}\nG1,上海明远,company,,,,,bob,,,\n".encode("gbk"))
    result = run_cli("crm", "import", data, env=setup(url))
    assert result.returncode == 2
    assert "not UTF-8" in result.stderr and "nothing was imported" in result.stderr
    assert await count(url, Customer) == 0


async def test_rows_without_an_owner_go_to_the_given_one(db_url: str, tmp_path: Path) -> None:
    env = setup(db_url)
    data = tmp_path / "customers.csv"
    data.write_text("key,name,owner\nK1,Acme,\nK2,Beta,erin\n", encoding="utf-8")
    unknown = run_cli("crm", "import", data, "--owner", "zed", env=env)
    assert unknown.returncode == 2
    assert "--owner: no active member @zed; nothing was imported" in unknown.stderr
    result = run_cli("crm", "import", data, "--owner", "@carol", env=env)
    assert result.returncode == 0, result.stderr

    def owners(session: Session) -> list[tuple[str | None, str]]:
        rows = session.execute(
            select(Customer.external_key, Member.handle)
            .join(Member, Member.id == Customer.owner_id)
            .order_by(Customer.external_key)
        )
        return [(key, handle) for key, handle in rows]

    assert await query(db_url, owners) == [("K1", "carol"), ("K2", "erin")]
