"""The Mini App on the bot's HTTP server: the page at /app/, its files at /app/static/, the
JSON API at /app/api/, each answer with the security headers."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.miniapp import (
    actions_api,
    export_api,
    import_api,
    receipts_api,
    refunds_api,
    shop_api,
)
from bot.miniapp.context import DEPS_KEY, MiniAppDeps

STATIC = Path(__file__).parent / "static"
PREFIX = "/app"
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' https://telegram.org",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors https://web.telegram.org https://*.telegram.org",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        response.headers.update(HEADERS)


async def page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Content-Type": "text/html"})


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = (STATIC / name).resolve()
    kind = _TYPES.get(path.suffix)
    if kind is None or path.parent != STATIC.resolve() or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": kind})


async def to_page(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(PREFIX + "/")


def add_miniapp(app: web.Application, deps: MiniAppDeps) -> None:
    app[DEPS_KEY] = deps
    app.on_response_prepare.append(_secure)
    app.router.add_get(PREFIX, to_page)
    app.router.add_get(PREFIX + "/", page)
    app.router.add_get(PREFIX + "/static/{name}", static)
    receipts_api.add_routes(app)
    refunds_api.add_routes(app)
    actions_api.add_routes(app)
    export_api.add_routes(app)
    import_api.add_routes(app)  # before /app/api/catalogue/{id}
    shop_api.add_routes(app)
