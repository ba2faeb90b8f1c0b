"""Structured logging: readable lines in development, JSON lines with ``BIZBOT_LOG_JSON=1``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

SHARED_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def configure_logging(*, json: bool, level: str = "INFO") -> None:
    """Route structlog and stdlib logging (aiohttp, SQLAlchemy) through one renderer on stderr."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else console_renderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            hold_logs,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if json else _keep,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every one-second tick


def console_renderer(*, colors: bool) -> structlog.dev.ConsoleRenderer:
    """Readable lines, with exceptions as plain tracebacks: structlog's default (rich, with
    every frame's locals) took minutes for a traceback holding a database session, and a crash
    is logged in the thread that holds the database writer."""
    return structlog.dev.ConsoleRenderer(
        colors=colors, exception_formatter=structlog.dev.plain_traceback
    )


def _keep(
    _logger: object, _name: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    return event


Line = tuple[Any, str, MutableMapping[str, Any]]  # (wrapped logger, method name, event dict)
_HOLDING: ContextVar[list[Line] | None] = ContextVar("bizbot_held_logs", default=None)


class HeldLogs:
    """The log lines of work that may yet be undone and run again (a batch's first attempt).

    While ``holding()``, lines logged in this context are kept back instead of written (the
    ``hold_logs`` processor must be in the chain, as ``configure_logging`` puts it);
    ``release()`` writes them as they were, once the work stands. Lines never released are
    dropped with the work they describe, so work run twice is logged once.
    """

    def __init__(self) -> None:
        self._lines: list[Line] = []

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Keep back the lines logged inside."""
        token = _HOLDING.set(self._lines)
        try:
            yield
        finally:
            _HOLDING.reset(token)

    def release(self) -> None:
        """Write the lines kept back, through the processors after ``hold_logs``."""
        lines, self._lines = self._lines, []
        if not lines:
            return
        processors = structlog.get_config()["processors"]
        rest = processors[processors.index(hold_logs) + 1 :] if hold_logs in processors else []
        for logger, method_name, event_dict in lines:
            bound = structlog.BoundLoggerBase(logger, rest, context={})
            bound._proxy_to_logger(method_name, **event_dict)  # structlog's documented hook


def hold_logs(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
    """A processor: inside ``HeldLogs.holding()``, keep the line back (with its traceback)."""
    held = _HOLDING.get()
    if held is None:
        return event_dict
    if event_dict.get("exc_info") is True:
        event_dict["exc_info"] = sys.exc_info()  # the exception being handled now, not later
    held.append((logger, method_name, event_dict))
    raise structlog.DropEvent


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A logger bound to a module name."""
    return structlog.stdlib.get_logger(name)
