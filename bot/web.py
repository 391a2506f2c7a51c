"""The bot's own HTTP server: health, LiqPay callbacks and (optionally) Telegram's webhook."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from aiohttp import web

from services.config import CALLBACK_PATH
from services.core.clock import utcnow
from services.jobs.replica import Replica
from services.payments.callbacks import CallbackOutcome, CallbackService
from storage.protocols.exclusive import ExclusiveHold
from storage.protocols.store import Store

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64 * 1024
STORE_KEY = web.AppKey("store", Store)
CALLBACKS_KEY = web.AppKey("callbacks", CallbackService)


@dataclass
class ReplicaState:
    """What this process holds, for /healthz: the polling hold (one process polls
    Telegram) and its workers' leases."""

    replica: Replica = field(default_factory=Replica)
    polling: ExclusiveHold | None = None

    @property
    def holds_polling(self) -> bool:
        return self.polling is not None and self.polling.held


REPLICA_KEY = web.AppKey("replica", ReplicaState)


async def healthz(request: web.Request) -> web.Response:
    store, replica = request.app[STORE_KEY], request.app[REPLICA_KEY]
    now = utcnow()
    try:
        state = await store.health(now)
        leased = await store.jobs.leased_count(replica.replica.worker_ids, now)
    except Exception:
        log.exception("Health check: the store does not answer")
        return web.json_response({"status": "error", "database": "unavailable"}, status=503)
    # The server that serves this also faces LiqPay: no shop's data or volume is shown here.
    return web.json_response(
        {
            "status": "ok",
            "database": "ok",
            "engine": state.engine,
            "schema_version": state.schema_version,
            "jobs_pending": state.jobs_pending,
            # which replica answered and what it is doing: its id is host:pid:random
            "replica": {
                "id": replica.replica.id,
                "holds_polling": replica.holds_polling,
                "jobs_leased": leased,
            },
        }
    )


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
    form = _form_fields(body)
    outcome = await request.app[CALLBACKS_KEY].handle(
        form.get("data"), form.get("signature"), request.remote or "unknown"
    )
    status, answer = _ANSWERS[outcome]
    return web.Response(status=status, body=answer, content_type="application/json")


def _form_fields(body: bytes) -> dict[str, str]:
    """The first value of each field of an x-www-form-urlencoded body ({} if malformed)."""
    fields: dict[str, str] = {}
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return fields
    for pair in text.split("&", 20):
        name, _, value = pair.partition("=")
        fields.setdefault(unquote_plus(name), unquote_plus(value))
    return fields


_ANSWERS = {  # (status, body) per outcome, encoded once
    CallbackOutcome.REJECTED: (400, json.dumps({"error": "rejected"}).encode()),
    CallbackOutcome.UNCHANGED: (200, json.dumps({"result": "unchanged"}).encode()),
    CallbackOutcome.APPLIED: (200, json.dumps({"result": "applied"}).encode()),
    # Not a 200: nothing was applied. If LiqPay retries, a later try may succeed; if not,
    # the poller applies the payment once the owner has entered the keys again.
    CallbackOutcome.DEFERRED: (503, json.dumps({"error": "try again later"}).encode()),
}


def build_web_app(
    store: Store, callbacks: CallbackService, replica: ReplicaState | None = None
) -> web.Application:
    app = web.Application()
    app[STORE_KEY] = store
    app[CALLBACKS_KEY] = callbacks
    app[REPLICA_KEY] = replica or ReplicaState()
    app.router.add_get("/healthz", healthz)
    app.router.add_post(CALLBACK_PATH, liqpay_callback)
    return app
