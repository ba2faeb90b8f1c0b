"""Where the ``bizbot`` commands print: standard output and standard error, through rich."""

from __future__ import annotations

from rich.console import Console


def out() -> Console:
    """Standard output, sized when used (a pipe, a terminal, or ``COLUMNS`` as it is now).

    soft_wrap: a line printed to a pipe stays one line (URLs, codes and problems get copied).
    """
    return Console(highlight=False, soft_wrap=True)


def err() -> Console:
    """Standard error, like ``out``."""
    return Console(stderr=True, highlight=False, soft_wrap=True)
