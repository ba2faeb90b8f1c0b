"""Reply/Card -> rich renderables for the terminal; buttons get numbers. Pure."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.replies import Card, CardStatus, Message

STATUS_STYLE = {
    CardStatus.INFO: "blue",
    CardStatus.PENDING: "yellow",
    CardStatus.SUCCESS: "green",
    CardStatus.WARNING: "dark_orange",
    CardStatus.DANGER: "red",
}


def render(
    message: Message, first_number: int, *, edited: bool = False
) -> tuple[RenderableType, list[str]]:
    """A renderable for ``message`` and its button tokens, numbered from ``first_number``."""
    if not isinstance(message, Card):
        return Text(message.text), []
    parts: list[RenderableType] = []
    if message.body:
        parts.append(Text(message.body))
    if message.fields:
        table = Table.grid(padding=(0, 2))
        for field in message.fields:
            table.add_row(Text(field.label, style="dim"), Text(field.value))
        parts.append(table)
    tokens = [b.token for b in message.buttons]
    if message.buttons:
        labels = [f"[{first_number + i}] {b.label}" for i, b in enumerate(message.buttons)]
        parts.append(Text("  ".join(labels), style="bold"))
    if message.footer:
        parts.append(Text(message.footer, style="dim"))
    title = Text(f"{message.title} (updated)" if edited else message.title)  # text, not markup
    panel = Panel(
        Group(*parts), title=title, title_align="left", border_style=STATUS_STYLE[message.status]
    )
    return panel, tokens
