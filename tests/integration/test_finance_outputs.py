"""The statements as files: JSON with every row; an XLSX that openpyxl opens, with a Chinese
sheet name, money formats and totals (formulas whose cached values) equal to the statement's
figures; a PDF whose text (pdftotext) has the Chinese headings and whose first page (pdftoppm)
is not blank; the card's chart, a PNG whose bars, measured in pixels, are the card's figures to
scale, labelled in the reader's language. The PDF tools are skipped cleanly when poppler-utils
is absent."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot import migrate
from domain.finance import bar_chart, render
from domain.finance.bar_chart import Picture, render_png
from domain.finance.charts import install_chart
from domain.finance.posting import post_entry
from domain.finance.render import render_json, render_pdf, render_xlsx
from domain.finance.statements import Statement, statement
from domain.shared.errors import DomainError
from tests.integration.erp_rig import NOW
from tests.integration.test_finance_statements import NOV, entries

Colours = tuple[tuple[int, int, int], ...]


@pytest.fixture(scope="module")
def statements(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Statement]:
    """The four statements of the hand-checked month (prc_small), on SQLite."""
    path = tmp_path_factory.mktemp("outputs") / "books.db"
    url = f"sqlite:///{path}"
    asyncio.run(migrate.upgrade(url))
    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            install_chart(session, "prc_small")
            for entry in entries("prc_small"):
                post_entry(session, entry, NOW)
            return {kind: statement(session, kind, NOV) for kind in ("bs", "pl", "cf", "tb")}
    finally:
        engine.dispose()


def test_json_has_every_row(statements: dict[str, Statement]) -> None:
    document = json.loads(render_json(statements["bs"], "zh_CN"))
    assert document["title"] == "资产负债表"
    assert document["period"] == "2026-11"
    rows = {row["key"]: row for row in document["rows"]}
    assert rows["total_assets"]["values"] == ["607000.00", "0.00"]
    assert rows["total_assets"]["label"] == "资产总计"


@pytest.mark.parametrize("kind", ["bs", "pl", "cf", "tb"])
def test_xlsx_totals_equal_the_statement(statements: dict[str, Statement], kind: str) -> None:
    chosen = statements[kind]
    book = load_workbook(io.BytesIO(render_xlsx(chosen, "zh_CN")), data_only=True)
    assert book.sheetnames == [chosen.title("zh_CN")]
    sheet = book.active
    assert sheet is not None
    labels = 2 if kind == "tb" else 1
    by_label = {}
    for cells in sheet.iter_rows(min_row=6, values_only=True):
        by_label[cells[labels - 1]] = cells[labels:]
    for row in chosen.rows:
        if row.kind == "heading":
            continue
        shown = by_label[row.label("zh_CN")]
        read_back = [None if v is None else Decimal(str(round(v, 2))) for v in shown]
        if kind == "tb" and row.kind == "total":  # no total of balances on both sides
            assert read_back[0] is None and read_back[3] is None
            read_back[0] = read_back[3] = Decimal(0)
        assert read_back == list(row.values), row.key
    formulas = load_workbook(io.BytesIO(render_xlsx(chosen, "zh_CN")))
    cells = [c for line in formulas.active.iter_rows() for c in line]
    assert any(str(c.value).startswith("=") for c in cells)  # totals are formulas
    assert any(c.number_format == render.MONEY_FORMAT for c in cells)


def test_xlsx_in_english(statements: dict[str, Statement]) -> None:
    book = load_workbook(io.BytesIO(render_xlsx(statements["pl"], "en")), data_only=True)
    assert book.sheetnames == ["Income statement"]
    labels = [row[0] for row in book.active.iter_rows(values_only=True)]
    assert "Net profit" in labels


@pytest.fixture
def pdf_tools() -> None:
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed (make system-deps)")
    if not render.CJK_FONT.is_file():
        pytest.skip("fonts-wqy-microhei is not installed (make system-deps)")


@pytest.mark.usefixtures("pdf_tools")
@pytest.mark.parametrize(
    ("kind", "headings"),
    [
        ("bs", ["资产负债表", "货币资金", "资产总计", "负债和所有者权益总计", "607,000.00"]),
        ("pl", ["利润表", "营业收入", "净利润", "26,600.00"]),
        ("cf", ["现金流量表", "经营活动产生的现金流量净额", "493,000.00"]),
        ("tb", ["试算平衡表", "银行存款", "920,800.00"]),
    ],
)
def test_pdf_draws_chinese(
    statements: dict[str, Statement], kind: str, headings: list[str], tmp_path: Path
) -> None:
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(render_pdf(statements[kind], "zh_CN"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    for heading in headings:
        assert heading in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True)
    assert "WenQuanYi" in fonts.stdout  # embedded, not left to the viewer
    subprocess.run(
        ["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-gray", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    image = next(tmp_path.glob("page*.pgm")).read_bytes()
    pixels = _pgm_pixels(image)
    dark = sum(1 for value in pixels if value < 128)
    assert dark > len(pixels) // 500  # ink on the page, not a blank sheet


def _pgm_pixels(image: bytes) -> bytes:
    """The pixels of a binary PGM (P5): after the magic, width, height and maximum."""
    fields: list[bytes] = []
    at = 0
    while len(fields) < 4:
        while image[at : at + 1].isspace():
            at += 1
        start = at
        while not image[at : at + 1].isspace():
            at += 1
        fields.append(image[start:at])
    assert fields[0] == b"P5"
    return image[at + 1 :]


def test_pdf_without_the_font_is_a_clear_error(
    statements: dict[str, Statement], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(render, "CJK_FONT", tmp_path / "missing.ttc")
    with pytest.raises(DomainError, match="fonts-wqy-microhei"):
        render_pdf(statements["bs"], "zh_CN")


@pytest.fixture
def cjk_font() -> None:
    if not render.CJK_FONT.is_file():
        pytest.skip("fonts-wqy-microhei is not installed (make system-deps)")


def _measured(png: bytes, picture: Picture, colours: Colours) -> list[tuple[Decimal, int]]:
    """Each bar's figure and its height as drawn: the pixels in its series' colour in the
    column through its middle, counted up from the zero line (down for a negative figure)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    found = []
    for group in picture.groups:
        for bar, colour in zip(group.bars, colours, strict=True):
            x = (bar.box[0] + bar.box[2]) // 2
            rows = range(picture.zero - 1, -1, -1) if bar.value >= 0 else range(picture.zero, 450)
            height = 0
            for y in rows:
                if image.getpixel((x, y)) != colour:
                    break
                height += 1
            found.append((bar.value, height))
    return found


@pytest.mark.usefixtures("cjk_font")
@pytest.mark.parametrize(
    ("kind", "card"),
    [
        ("pl", ["80000.00", "50000.00", "26600.00", "26600.00"]),
        ("cf", ["-13000.00", "-24000.00", "530000.00", "493000.00", "493000.00"]),
    ],
)
def test_the_chart_draws_the_cards_figures_to_scale(
    statements: dict[str, Statement], kind: str, card: list[str]
) -> None:
    shown = statements[kind]
    png = render_png(shown, "zh_CN")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (bar_chart.WIDTH, bar_chart.HEIGHT)
    picture = bar_chart.plan(shown, "zh_CN")
    assert [str(group.bars[0].value) for group in picture.groups] == card  # this period
    assert {group.bars[1].value for group in picture.groups} == {0}  # the month before: none
    heights = _measured(png, picture, bar_chart.SERIES_COLOURS)
    tallest_value, tallest = max(heights, key=lambda pair: abs(pair[0]))
    assert tallest > 200  # the scale uses the room there is
    for value, height in heights:  # proportional to the figures, to the pixel
        assert abs(height - abs(value) * tallest / abs(tallest_value)) <= 1, (value, height)


@pytest.mark.usefixtures("cjk_font")
def test_the_trial_balance_chart_splits_the_debits_and_credits_by_class(
    statements: dict[str, Statement],
) -> None:
    shown = statements["tb"]
    picture = bar_chart.plan(shown, "zh_CN")
    assert [g.label for g in picture.groups] == [
        "资产类",
        "负债类",
        "所有者权益类",
        "成本类",
        "损益类",
    ]
    debits = sum(g.bars[0].value for g in picture.groups)
    credits = sum(g.bars[1].value for g in picture.groups)
    assert debits == credits == shown.rows[-1].values[1] == Decimal("920800.00")
    heights = _measured(render_png(shown, "zh_CN"), picture, bar_chart.TB_COLOURS)
    tallest_value, tallest = max(heights)
    for value, height in heights:
        assert abs(height - value * tallest / tallest_value) <= 1, (value, height)


@pytest.mark.usefixtures("cjk_font")
def test_a_chinese_readers_chart_has_chinese_words_only(statements: dict[str, Statement]) -> None:
    chinese = bar_chart.plan(statements["cf"], "zh_CN")
    assert chinese.title == "现金流量表 2026-11（全部部门）"
    assert chinese.series == ("本期 2026-11", "上期 2026-10")
    assert chinese.groups[0].label == "经营活动产生的现金流量净额"
    assert chinese.groups[3].label == "现金净增加额"  # without 四、
    assert not any(re.search(r"[A-Za-z]", text) for text in chinese.words()), chinese.words()
    english = bar_chart.plan(statements["pl"], "en")
    assert english.series == ("This period 2026-11", "Previous period 2026-10")
    assert [g.label for g in english.groups][-1] == "Net profit"
    image = Image.open(io.BytesIO(render_png(statements["cf"], "zh_CN"))).convert("L")
    first = chinese.groups[0]
    middle = (first.bars[0].box[0] + first.bars[1].box[2]) // 2
    under = image.crop((middle - 60, bar_chart.LABEL_TOP, middle + 60, bar_chart.LABEL_TOP + 34))
    assert sum(under.histogram()[:128]) > 100  # dark pixels: the label is drawn


def test_the_chart_without_the_font_is_a_clear_error(
    statements: dict[str, Statement], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(render, "CJK_FONT", tmp_path / "missing.ttc")
    with pytest.raises(DomainError, match="fonts-wqy-microhei"):
        render_png(statements["pl"], "en")
