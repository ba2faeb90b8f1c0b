"""The picture on /report's card: a statement's key figures as bars, in the reader's language.

The income statement, balance sheet and cash-flow statement show the card's key figures
(``KEY_FIGURES``), this period's bar beside the previous period's; the trial balance shows the
debits beside the credits of each account class (the first digit of the code: 资产类, 负债类 …).
Bars rise from a zero line and fall below it for a negative figure, their heights proportional
to the figures. Every word is the statement's own (line labels, column names, titles) or one of
``CLASSES``, in the reader's language, drawn with WenQuanYi Micro Hei like the PDF (without the
font: the PDF's ``DomainError``).

``plan`` lays the picture out (pure: the words and each bar's box), ``render_png`` draws it.
Pillow is imported when a picture is drawn, not with the module (idle memory)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.finance.render import cjk_font_file, word
from domain.finance.statements import Statement

if TYPE_CHECKING:
    from PIL.ImageDraw import ImageDraw
    from PIL.ImageFont import FreeTypeFont

WIDTH, HEIGHT = 800, 450
PLOT_LEFT, PLOT_RIGHT = 40, WIDTH - 40
PLOT_TOP, PLOT_BOTTOM = 110, 360  # the bars' room; figures are written just outside it
LABEL_TOP = 382  # the group labels, under the plot
SERIES_COLOURS = ((37, 99, 235), (156, 163, 175))  # this period / previous; debits / credits
TB_COLOURS = ((37, 99, 235), (234, 88, 12))
INK = (31, 41, 55)
AXIS = (107, 114, 128)
BACKGROUND = (255, 255, 255)

KEY_FIGURES = {
    "pl": ("revenue", "cost_of_sales", "operating_profit", "net_profit"),
    "bs": ("cash", "total_assets", "total_liabilities", "total_equity"),
    "cf": ("net_operating", "net_investing", "net_financing", "net_change", "cash_closing"),
}
# The trial balance's account classes per chart: the codes' first digits, Chinese, English.
CLASSES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "prc_small": (
        ("1", "资产类", "Assets"),
        ("2", "负债类", "Liabilities"),
        ("3", "所有者权益类", "Equity"),
        ("4", "成本类", "Costs"),
        ("5", "损益类", "Profit and loss"),
    ),
    "ifrs_basic": (
        ("1", "资产", "Assets"),
        ("2", "负债", "Liabilities"),
        ("3", "权益", "Equity"),
        ("4", "收入", "Revenue"),
        ("567", "费用", "Expenses"),
    ),
}
LINE_PREFIX = re.compile(r"^(?:[一二三四五六七八九十]+、|减：|加：|Less: |Add: )")  # 四、净利润


@dataclass(frozen=True)
class Bar:
    """One bar: its figure and its box (left, top, right, bottom; right and bottom excluded)."""

    value: Decimal
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Group:
    """The bars of one figure (or account class), side by side, and its label."""

    label: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Picture:
    """What is drawn: the title, the two series' names, the groups, and the zero line's row."""

    title: str
    series: tuple[str, str]
    groups: tuple[Group, ...]
    zero: int

    def words(self) -> list[str]:
        """Every label drawn (the figures aside)."""
        return [self.title, *self.series, *(group.label for group in self.groups)]


Figures = list[tuple[str, Decimal, Decimal]]


def figures(statement: Statement, locale: str) -> tuple[tuple[str, str], Figures]:
    """The series' names and, per group, its label and its two figures."""
    if statement.kind == "tb":
        return (word("debits", locale), word("credits", locale)), _classes(statement, locale)
    series = (
        f"{word('current', locale)} {statement.span}",
        f"{word('previous', locale)} {statement.previous}",
    )
    groups = []
    for key in KEY_FIGURES[statement.kind]:
        row = next(r for r in statement.rows if r.key == key)
        label = LINE_PREFIX.sub("", row.label(locale))
        groups.append((label, row.values[0], row.values[1]))
    return series, groups


def _classes(statement: Statement, locale: str) -> Figures:
    groups = []
    for digits, zh, en in CLASSES.get(statement.chart, CLASSES["prc_small"]):
        rows = [r for r in statement.rows if r.kind == "account" and r.key[:1] in digits]
        debits = sum((r.values[1] for r in rows), Decimal(0))
        credits = sum((r.values[2] for r in rows), Decimal(0))
        groups.append((zh if locale.startswith("zh") else en, debits, credits))
    return groups


def plan(statement: Statement, locale: str) -> Picture:
    """The picture laid out: the bars' heights are the figures on one scale."""
    series, groups = figures(statement, locale)
    values = [value for _label, *pair in groups for value in pair]
    top, bottom = max([Decimal(0), *values]), min([Decimal(0), *values])
    room = PLOT_BOTTOM - PLOT_TOP
    scale = Decimal(room) / (top - bottom) if top != bottom else Decimal(0)
    zero = PLOT_TOP + round(top * scale)
    width = (PLOT_RIGHT - PLOT_LEFT) // len(groups)
    bar = min(width * 3 // 10, 80)
    laid = []
    for index, (label, *pair) in enumerate(groups):
        middle = PLOT_LEFT + width * index + width // 2
        bars = []
        for offset, value in zip((-bar, 0), pair, strict=True):
            height = round(abs(value) * scale)
            left = middle + offset
            box = (
                (left, zero - height, left + bar, zero)
                if value >= 0
                else (left, zero, left + bar, zero + height)
            )
            bars.append(Bar(value, box))
        laid.append(Group(label, tuple(bars)))
    return Picture(_title(statement, locale), series, tuple(laid), zero)


def _title(statement: Statement, locale: str) -> str:
    department = statement.department or word("all", locale)
    if locale.startswith("zh"):
        return f"{statement.title(locale)} {statement.span}（{department}）"
    return f"{statement.title(locale)} {statement.span} ({department})"


def render_png(statement: Statement, locale: str) -> bytes:
    """The picture as a PNG of ``WIDTH`` × ``HEIGHT``; ``DomainError`` without the CJK font."""
    from PIL import Image, ImageDraw, ImageFont  # only when a picture is drawn

    font_file = str(cjk_font_file())
    fonts = {size: ImageFont.truetype(font_file, size, index=0) for size in (11, 13, 18)}
    picture = plan(statement, locale)
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((WIDTH // 2, 22), picture.title, fill=INK, font=fonts[18], anchor="mt")
    colours = TB_COLOURS if statement.kind == "tb" else SERIES_COLOURS
    _legend(draw, picture.series, colours, fonts[13])
    draw.line((PLOT_LEFT, picture.zero, PLOT_RIGHT, picture.zero), fill=AXIS, width=1)
    width = (PLOT_RIGHT - PLOT_LEFT) // len(picture.groups)
    for group in picture.groups:
        for bar, colour in zip(group.bars, colours, strict=True):
            _bar(draw, bar, colour, fonts[11])
        middle = (group.bars[0].box[2] + group.bars[-1].box[0]) // 2
        _label(draw, group.label, middle, width - 8, fonts[13])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _legend(
    draw: ImageDraw,
    series: tuple[str, str],
    colours: tuple[tuple[int, int, int], ...],
    font: FreeTypeFont,
) -> None:
    left = PLOT_LEFT
    for name, colour in zip(series, colours, strict=True):
        draw.rectangle((left, 62, left + 13, 75), fill=colour)
        draw.text((left + 19, 68), name, fill=INK, font=font, anchor="lm")
        left += 19 + round(font.getlength(name)) + 28


def _bar(draw: ImageDraw, bar: Bar, colour: tuple[int, int, int], font: FreeTypeFont) -> None:
    left, top, right, bottom = bar.box
    if bottom > top:
        draw.rectangle((left, top, right - 1, bottom - 1), fill=colour)
    figure = f"{bar.value:,.0f}"
    middle = (left + right) // 2
    if bar.value >= 0:
        draw.text((middle, top - 3), figure, fill=INK, font=font, anchor="mb")
    else:
        draw.text((middle, bottom + 3), figure, fill=INK, font=font, anchor="mt")


def _label(draw: ImageDraw, label: str, middle: int, room: int, font: FreeTypeFont) -> None:
    for number, line in enumerate(_wrapped(label, room, font)[:3]):
        draw.text((middle, LABEL_TOP + 17 * number), line, fill=INK, font=font, anchor="mt")


def _wrapped(text: str, room: int, font: FreeTypeFont) -> list[str]:
    """The text in lines that fit ``room`` pixels: between words, or between any two Chinese
    characters."""
    pieces = re.findall(r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+\s*", text)
    lines, line = [], ""
    for piece in pieces:
        if line and font.getlength((line + piece).rstrip()) > room:
            lines.append(line.rstrip())
            line = piece
        else:
            line += piece
    return [*lines, line.rstrip()] if line else lines
