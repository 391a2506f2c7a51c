"""The bot's own HTTP server: health, LiqPay callbacks and (optionally) Telegram's webhook."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from aiohttp import web

from services.payments import CallbackOutcome, CallbackService
from services.settings import CALLBACK_PATH
from storage.interface import Store

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64 * 1024
STORE_KEY = web.AppKey("store", Store)
CALLBACKS_KEY = web.AppKey("callbacks", CallbackService)


async def healthz(request: web.Request) -> web.Response:
    try:
        state = await request.app[STORE_KEY].health()
    except Exception:
        log.exception("Health check: the store does not answer")
        return web.json_response({"status": "error", "database": "unavailable"}, status=503)
    return web.json_response({"status": "ok", **state})


async def liqpay_callback(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_CALLBACK_BYTES:
        return web.json_response({"error": "too large"}, status=413)
    body = b""
    while len(body) <= MAX_CALLBACK_BYTES:  # read(n) returns what has arrived so far
        chunk = await request.content.read(MAX_CALLBACK_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > MAX_CALLBACK_BYTES:
        return web.json_response({"error": "too large"}, status=413)
    try:
        form = parse_qs(body.decode("ascii"), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        form = {}
    data = form.get("data", [None])[0]
    signature = form.get("signature", [None])[0]
    outcome = await request.app[CALLBACKS_KEY].handle(data, signature)
    if outcome is CallbackOutcome.REJECTED:
        return web.json_response({"error": "rejected"}, status=400)
    return web.json_response({"result": outcome.value})


def build_web_app(store: Store, callbacks: CallbackService) -> web.Application:
    app = web.Application()
    app[STORE_KEY] = store
    app[CALLBACKS_KEY] = callbacks
    app.router.add_get("/healthz", healthz)
    app.router.add_post(CALLBACK_PATH, liqpay_callback)
    return app
