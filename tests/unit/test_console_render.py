"""The console shows what a message says; brackets in it are text, not rich markup."""

from __future__ import annotations

import io

from rich.console import Console

from adapters.console.render import render
from bot.replies import Button, Card, Field, Reply


def shown(card: Card | Reply, *, edited: bool = False) -> str:
    out = io.StringIO()
    renderable, _ = render(card, 1, edited=edited)
    Console(file=out, width=100, color_system=None).print(renderable)
    return out.getvalue()


def test_brackets_in_titles_and_bodies_are_shown_as_typed() -> None:
    card = Card(
        title="Li [li] Wei [/]",
        body="[bold]body[/bold]",
        fields=(Field("[red]label", "[/] value"),),
        buttons=(Button("[/b] go", token="t1"),),
    )
    text = shown(card, edited=True)
    for part in ("Li [li] Wei [/] (updated)", "[bold]body[/bold]", "[red]label", "[/] value"):
        assert part in text
    assert "[1] [/b] go" in text
    assert "[/]x [li]" in shown(Reply("[/]x [li]"))
