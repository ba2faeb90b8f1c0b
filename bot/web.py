"""The aiohttp server shell: health, readiness and metrics; adapters add their own routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.logging import get_logger
from bot.metrics import Metrics

log = get_logger("bizbot.web")

ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]
RefreshGauges = Callable[[], Awaitable[None]]


def add_ops_routes(
    app: web.Application, metrics: Metrics, ready: ReadinessCheck, refresh: RefreshGauges
) -> None:
    """``/healthz`` (the process answers), ``/readyz`` (database and schema) and ``/metrics``."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        problems = await ready()
        status = 200 if not problems else 503
        return web.json_response(
            {"status": "ok" if not problems else "unavailable", **problems}, status=status
        )

    async def metrics_page(_request: web.Request) -> web.Response:
        try:
            await refresh()
        except Exception:
            log.exception("metrics.refresh_failed")
        return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Log unexpected errors with the request, answer a plain 500 without a stack trace."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        route = request.match_info.route.resource
        where = route.canonical if route is not None else "unmatched"  # paths may hold secrets
        log.exception("http.unhandled", route=where, method=request.method)
        return web.json_response({"error": "internal error"}, status=500)
