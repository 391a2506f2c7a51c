"""A local stand-in for LiqPay's server API (/work/shared/reference/liqpay.md).

`POST {url}/api/request` with form fields `data` + `signature`, actions `status`,
`invoice_send`, `invoice_cancel`, `refund`, `reports`. Signatures are checked with the hash of
the payload's `version` (3: SHA-1, 7: SHA3-256), with the project's own
`services.liqpay.client` helpers. Tests play the customer with `open_link` / `pay`, which
also deliver a signed callback to the order's `server_url` like LiqPay does.

Choices where LiqPay's behaviour is not documented (change the attributes if needed):
- errors are answered with HTTP 200 and the error JSON;
- `status` of a cancelled invoice answers `cancelled_status` (default "invoice_wait"),
  and `pay()` refuses a cancelled or expired order unless `force=True`;
- `invoice_cancel` of a paid order answers err_code "invoice_paid" (a guess);
- a checkout order answers `payment_not_found` until `pay()` (or `open_link(status=...)`);
- `refund`: a partial refund leaves the payment `success` with `refund_amount` (cumulative)
  and `refund_date_last`; the refund that leaves nothing turns it `reversed`; an amount
  above what is left is refused with `over_refund_err_code` (default "err_wrong_amount",
  a guess); a refund without an amount takes everything left; each refund made sends the
  order's server_url a callback (`refund_callbacks`);
- the answer to `refund` says `reversed` by default; with `partial_refund_status` set (e.g.
  "success") a partial refund is answered with that status and `refund_amount`, as
  `refund_answer_amount` says: "cumulative" (the payment's refunded sum), "this" (this
  refund's amount) or "none" (no `refund_amount`).
- `reports` (the payments archive, `date_from`/`date_to` in ms, both included) answers
  `{"result": "success", "data": [...]}`: one row per payment of the key whose `end_date`
  (else `create_date`) falls in the range, as `status` shows it (a refunded one with
  `refund_amount`, `reversed` when nothing is left), and one row per refund made in the
  range (by the API or the cabinet) with `action` "refund", `status` "reversed" and the
  refund's own `amount` (with `refund_rows_amount` "this", also a `refund_amount` of the
  refund's own amount). LiqPay documents the rows' fields, not whether refunds get rows of
  their own; a client that asks `status` for any order with refund activity copes either way.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from services.liqpay.signing import Credentials, SignatureError, decode_data, sign, verify
from tests.doubles.server import LocalServer

CURRENCIES = ("UAH", "USD", "EUR")


@dataclass
class LiqPayRequest:
    """One decoded server call."""

    action: str | None
    payload: dict[str, Any]
    data: str
    signature: str
    signature_ok: bool
    answer: dict[str, Any] | None = None
    http_status: int = 200


@dataclass
class Order:
    order_id: str
    public_key: str
    version: int
    amount: Decimal
    currency: str
    description: str
    kind: str  # invoice (invoice_send) or checkout (a link the customer opened)
    request: dict[str, Any]
    server_url: str | None = None
    status: str | None = None  # None: LiqPay has no payment yet (payment_not_found)
    email: str | None = None
    phone: str | None = None
    expired_date: str | None = None
    invoice_id: int | None = None
    token: str | None = None
    href: str | None = None
    payment_id: int | None = None
    card_mask: str | None = None
    paid_amount: Decimal | None = None
    paid_currency: str | None = None
    create_date: int = field(default_factory=lambda: int(time.time() * 1000))
    end_date: int | None = None
    cancelled: bool = False
    err_code: str | None = None
    refunded: Decimal = Decimal(0)  # cumulative, in currency units
    refund_date_last: int | None = None  # ms

    @property
    def expired(self) -> bool:
        if not self.expired_date:
            return False
        try:
            moment = datetime.strptime(self.expired_date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            return False
        return moment < datetime.now(UTC)


@dataclass
class CallbackDelivery:
    url: str
    payload: dict[str, Any] | None
    data: str
    signature: str
    status: int | None
    body: str


@dataclass
class Refund:
    """A refund LiqPay made (by the server action or the cabinet)."""

    order_id: str
    amount: Decimal
    source: str  # "api" or "cabinet"
    public_key: str = ""
    made_at: int = field(default_factory=lambda: int(time.time() * 1000))  # ms


@dataclass
class RefundFault:
    """What the next `refund` call suffers: answered with `status`/`body` after `hang`
    seconds; `applied`: whether the refund was made all the same (a lost answer)."""

    status: int = 503
    body: Any = None
    hang: float = 0.0
    applied: bool = False


_REFUNDABLE = ("success", "sandbox", "wait_compensation", "wait_accept")


def _float(value: Decimal) -> float:
    return float(value)


def encode(payload: dict[str, Any]) -> str:
    """base64 JSON like services.liqpay.client.encode_data, but Decimals become JSON numbers."""
    text = json.dumps(payload, ensure_ascii=False, default=_json_default)
    return base64.b64encode(text.encode()).decode()


# keys for tests that drive LiqPayClient against this stand-in (`add_keys` them first)
SANDBOX_PUBLIC, SANDBOX_PRIVATE = "sandbox_pub", "sandbox_priv"


def sandbox_creds(version: int = 3) -> Credentials:
    return Credentials(SANDBOX_PUBLIC, SecretStr(SANDBOX_PRIVATE), version)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class FakeLiqPay(LocalServer[LiqPayRequest]):
    """LiqPay on 127.0.0.1. Give the bot `api_url` (= f"{url}/api/") as LIQPAY_API_URL."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, str] = {}  # public -> private
        self.orders: dict[tuple[str, str], Order] = {}
        self.callbacks: list[CallbackDelivery] = []
        self.down = False
        self.delay = 0.0
        self.hanging = 0  # requests held by hang_requests() now
        self._released = asyncio.Event()
        self._released.set()
        self._closing = asyncio.Event()
        # per action: the request is carried out at once, its answer held this many seconds
        self.answer_delay: dict[str, float] = {}
        self.cancelled_status = "invoice_wait"
        self.default_callback_url: str | None = None  # for send_callback without url
        self._ids = itertools.count(1_000_001)
        self._payment_ids = itertools.count(2_000_000_001)
        self._http: aiohttp.ClientSession | None = None
        self._failures: list[tuple[int, Any]] = []
        self.refunds: list[Refund] = []
        self.over_refund_err_code = "err_wrong_amount"
        self.refund_callbacks = True
        self.partial_refund_status = "reversed"
        self.refund_answer_amount = "cumulative"
        self.refund_rows_amount = "none"  # "this": an archive's refund row has refund_amount
        self.extra_archive_rows: list[Any] = []  # added to every `reports` answer as they are
        self._refund_faults: list[RefundFault] = []
        self._closing = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.status_in_flight: dict[str, int] = {}  # order id -> status requests being answered
        self.overlapping_status: list[str] = []  # order ids asked about twice at one time

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/request", self._handle_request)
        app.router.add_get("/api/3/checkout", self._handle_checkout)
        return app

    async def start(self) -> Self:
        await super().start()
        self._http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        self._closing.set()  # hung refunds answer now
        self._released.set()
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task
        if self._http is not None:
            await self._http.close()
            self._http = None
        await super().stop()

    # configuration

    def add_keys(self, public: str, private: str) -> None:
        """Register a shop's key pair."""
        self.keys[public] = private

    def hang_requests(self) -> None:
        """Requests wait before they reach "LiqPay" until release_requests(); one whose caller
        gave up meanwhile (timed out, killed) is dropped unprocessed, as if never sent."""
        self._released.clear()

    def release_requests(self) -> None:
        self._released.set()

    def fail_next(self, status: int = 503, body: Any = None, *, times: int = 1) -> None:
        """The next `times` server calls get `status` with `body` (dict: JSON; str: as is;
        None: an HTML error page)."""
        self._failures.extend([(status, body)] * times)

    def fail_next_refund(
        self, status: int = 503, body: Any = None, *, applied: bool = False
    ) -> None:
        """The next `refund` call gets `status` with `body` (as fail_next); with
        `applied=True` the refund is made all the same and only the answer is lost."""
        self._refund_faults.append(RefundFault(status, body, applied=applied))

    def hang_next_refund(self, seconds: float = 30.0, *, applied: bool = True) -> None:
        """The next `refund` call is answered only after `seconds` (the client times out);
        `applied`: whether the refund is made meanwhile (by default it is, like a slow
        LiqPay that did its work)."""
        self._refund_faults.append(RefundFault(200, None, hang=seconds, applied=applied))

    # inspection

    def order(self, order_id: str, public_key: str | None = None) -> Order:
        found = [
            o
            for (pk, oid), o in self.orders.items()
            if oid == order_id and (public_key is None or pk == public_key)
        ]
        if not found:
            raise AssertionError(
                f"LiqPay has no order {order_id!r}; known: {[k[1] for k in self.orders]}"
            )
        if len(found) > 1:
            raise AssertionError(f"order {order_id!r} exists for several keys: pass public_key")
        return found[0]

    def requests_for(self, action: str) -> list[LiqPayRequest]:
        return [r for r in self.requests if r.action == action]

    async def wait_for_request(
        self, action: str, timeout: float = 10, *, after: int = 0
    ) -> LiqPayRequest:
        """The first recorded request with `action` at index >= after."""
        deadline = time.monotonic() + timeout
        while True:
            for r in self.requests[after:]:
                if r.action == action:
                    return r
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no LiqPay {action!r} request within {timeout} s; got "
                    f"{[r.action for r in self.requests]}"
                )
            await asyncio.sleep(0.05)

    # the customer

    def open_link(self, url: str, *, status: str | None = None) -> Order:
        """The customer opens a checkout link: its signature is checked, the order becomes
        known to LiqPay (still payment_not_found unless `status` is given)."""
        parts = urlsplit(url)
        if not parts.path.endswith("/3/checkout"):
            raise AssertionError(f"not a LiqPay checkout link: {url}")
        query = parse_qs(parts.query)
        data = query.get("data", [""])[0]
        signature = query.get("signature", [""])[0]
        payload = decode_data(data)
        public_key = str(payload.get("public_key"))
        private = self.keys.get(public_key)
        if private is None:
            raise AssertionError(f"checkout link for unknown public key {public_key!r}")
        try:
            verify(private, data, signature)
        except SignatureError as exc:
            raise AssertionError(f"checkout link signature is wrong: {exc}") from None
        required = ("action", "amount", "currency", "description", "order_id")
        missing = [k for k in required if not payload.get(k)]
        if missing:
            raise AssertionError(f"checkout link lacks {missing}: {payload}")
        key = (public_key, str(payload["order_id"]))
        order = self.orders.get(key)
        if order is None:
            order = Order(
                order_id=str(payload["order_id"]),
                public_key=public_key,
                version=int(str(payload.get("version", 3))),
                amount=Decimal(str(payload["amount"])),
                currency=str(payload["currency"]),
                description=str(payload["description"]),
                kind="checkout",
                request=payload,
                server_url=payload.get("server_url"),
                expired_date=payload.get("expired_date"),
            )
            self.orders[key] = order
        if status is not None:
            order.status = status
        return order

    async def pay(
        self,
        order_id: str,
        status: str = "success",
        amount: Decimal | float | str | None = None,
        currency: str | None = None,
        card_mask: str = "424242******4242",
        callback_url: str | None = None,
        *,
        public_key: str | None = None,
        force: bool = False,
        err_code: str | None = None,
        callback: bool = True,
        end_date_ms: int | None = None,
    ) -> int | None:
        """The customer pays (or fails: status="failure"). Sends the signed callback to
        `callback_url` or the order's server_url; returns the bot's HTTP status (None when
        there was nowhere to send it). `callback=False`: the callback is lost;
        `end_date_ms`: the transaction's time (now)."""
        order = self.order(order_id, public_key)
        if not force:
            if order.cancelled:
                raise AssertionError(f"order {order_id} was cancelled: the customer can't pay")
            if order.expired:
                raise AssertionError(f"order {order_id} expired at {order.expired_date}")
        order.status = status
        order.payment_id = order.payment_id or next(self._payment_ids)
        order.card_mask = card_mask
        order.paid_amount = order.amount if amount is None else Decimal(str(amount))
        order.paid_currency = currency or order.currency
        order.end_date = end_date_ms or int(time.time() * 1000)
        order.err_code = err_code or ("limit" if status == "failure" else None)
        url = callback_url or order.server_url
        if not url or not callback:
            return None
        private = self.keys[order.public_key]
        return await self.send_callback(self.payment_fields(order), private, order.version, url)

    async def refund(
        self,
        order_id: str,
        callback_url: str | None = None,
        *,
        amount: Decimal | float | str | None = None,
        callback: bool = True,
    ) -> int | None:
        """The shop refunds a paid order in LiqPay's cabinet (all that is left, or `amount`),
        with a callback to `callback_url` or the order's server_url (`callback=False`: the
        callback is lost)."""
        order = self.order(order_id)
        left = self._refundable(order)
        refund = left if amount is None else Decimal(str(amount))
        if not 0 < refund <= left:
            raise AssertionError(f"order {order_id}: can't refund {refund} of {left} left")
        self._apply_refund(order, refund, "cabinet")
        url = callback_url or order.server_url
        if not url or not callback:
            return None
        return await self.send_callback(
            self.payment_fields(order), self.keys[order.public_key], order.version, url
        )

    @staticmethod
    def _refundable(order: Order) -> Decimal:
        if order.payment_id is None or order.status not in (*_REFUNDABLE, "reversed"):
            return Decimal(0)
        paid = order.paid_amount if order.paid_amount is not None else order.amount
        return paid - order.refunded

    def _apply_refund(self, order: Order, amount: Decimal, source: str) -> None:
        order.refunded += amount
        order.refund_date_last = int(time.time() * 1000)
        if self._refundable(order) == 0:
            order.status = "reversed"
        self.refunds.append(Refund(order.order_id, amount, source, order.public_key))

    def foreign_payment(
        self, public_key: str, order_id: str, amount: Decimal | float | str, currency: str = "UAH"
    ) -> Order:
        """A payment the shop took outside the bot (a LiqPay button on a site, the cabinet):
        an order the bot never made, paid, with no callback to the bot."""
        now = int(time.time() * 1000)
        order = Order(
            order_id=order_id, public_key=public_key, version=3, amount=Decimal(str(amount)),
            currency=currency, description="outside the bot", kind="checkout", request={},
            status="success", payment_id=next(self._payment_ids), card_mask="424242******4242",
            create_date=now, end_date=now,
        )  # fmt: skip
        self.orders[(public_key, order_id)] = order
        return order

    def payment_fields(self, order: Order) -> dict[str, Any]:
        """The payment as LiqPay reports it (status answers and callbacks)."""
        amount = order.paid_amount if order.paid_amount is not None else order.amount
        fields: dict[str, Any] = {
            "version": order.version,
            "public_key": order.public_key,
            "action": "pay",
            "type": "buy",
            "paytype": "card",
            "order_id": order.order_id,
            "liqpay_order_id": f"LP{order.payment_id}" if order.payment_id else None,
            "description": order.description,
            "status": order.status,
            "amount": _float(amount),
            "currency": order.paid_currency or order.currency,
            "payment_id": order.payment_id,
            "transaction_id": order.payment_id,
            "acq_id": 414963,
            "sender_card_mask2": order.card_mask,
            "sender_card_bank": "Test Bank",
            "sender_card_type": "visa",
            "sender_card_country": 804,
            "rrn_debit": f"{order.payment_id:012d}" if order.payment_id else None,
            "authcode_debit": "108527" if order.payment_id else None,
            "sender_commission": 0.0,
            "receiver_commission": round(_float(amount) * 0.015, 2),
            "agent_commission": 0.0,
            "amount_debit": _float(amount),
            "amount_credit": _float(amount),
            "currency_debit": order.currency,
            "currency_credit": order.currency,
            "is_3ds": False,
            "create_date": order.create_date,
            "end_date": order.end_date or order.create_date,
        }
        if order.refunded:
            fields["refund_amount"] = _float(order.refunded)
            fields["refund_date_last"] = order.refund_date_last
        if order.err_code:
            fields["err_code"] = order.err_code
            fields["err_description"] = "Недостатньо коштів"
        return {k: v for k, v in fields.items() if v is not None}

    async def send_callback(
        self,
        payload: dict[str, Any] | None,
        private_key: str,
        version: int | None = None,
        url: str | None = None,
        *,
        data: str | None = None,
        signature: str | None = None,
    ) -> int:
        """POST a callback (form data+signature) to the bot; returns its HTTP status.
        For forgeries: sign with any key or version, or pass `data` / `signature` as is."""
        target = url or self.default_callback_url
        if not target:
            raise AssertionError("no callback URL: pass url= or set default_callback_url")
        if data is None:
            data = encode(payload or {})
        if version is None:
            version = int(str((payload or {}).get("version", 3)))
        if signature is None:
            signature = sign(private_key, data, version)
        return await self.post_raw(target, {"data": data, "signature": signature}, payload)

    async def post_raw(
        self, url: str, form: dict[str, str] | bytes, payload: dict[str, Any] | None = None
    ) -> int:
        """POST a form (or raw bytes as x-www-form-urlencoded) to `url`; records it."""
        assert self._http is not None, "FakeLiqPay is not started"
        headers = {}
        if isinstance(form, bytes):
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            async with self._http.post(
                url, data=form, headers=headers, timeout=aiohttp.ClientTimeout(total=15)
            ) as resp:
                status, body = resp.status, await resp.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            status, body = None, f"{type(exc).__name__}: {exc}"
        data = form.get("data", "") if isinstance(form, dict) else ""
        signature = form.get("signature", "") if isinstance(form, dict) else ""
        self.callbacks.append(CallbackDelivery(url, payload, data, signature, status, body))
        if status is None:
            raise AssertionError(f"callback to {url} failed: {body}")
        return status

    # the HTTP server

    async def _handle_checkout(self, request: web.Request) -> web.Response:
        try:
            order = self.open_link(str(request.url))
        except AssertionError as exc:
            return web.Response(status=400, text=str(exc))
        return web.Response(
            text=f"<html><body>LiqPay test checkout: {order.order_id} "
            f"{order.amount} {order.currency}</body></html>",
            content_type="text/html",
        )

    def describe(self, request: web.Request, record: Any) -> str:
        if not isinstance(record, LiqPayRequest):
            return f"{request.method} {request.path}"
        return f"{record.action} key={record.payload.get('public_key')}"

    async def _handle_request(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503, text="<html>503 Service Unavailable</html>")
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self._released.is_set():
            self.hanging += 1
            try:
                await self._released.wait()
            finally:
                self.hanging -= 1
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499, text="the caller went away")
        form = await request.post()
        data = str(form.get("data") or "")
        signature = str(form.get("signature") or "")
        record = LiqPayRequest(None, {}, data, signature, False)
        request["record"] = record
        self.requests.append(record)
        if self._refund_faults and _action_of(data) == "refund":
            return await self._refund_with_fault(record, self._refund_faults.pop(0))
        if self._failures:
            status, body = self._failures.pop(0)
            record.http_status = status
            if isinstance(body, dict):
                record.answer = body
                return web.json_response(body, status=status)
            return web.Response(
                status=status, text=body or f"<html>{status}</html>", content_type="text/html"
            )
        answer = self._process(record)
        record.answer = answer
        asked = str(record.payload.get("order_id")) if record.action == "status" else None
        if asked is not None:
            self.status_in_flight[asked] = self.status_in_flight.get(asked, 0) + 1
            if self.status_in_flight[asked] > 1:
                self.overlapping_status.append(asked)
        try:
            held = self.answer_delay.get(record.action or "")
            if held:
                with contextlib.suppress(TimeoutError):  # (closing the fake ends the wait)
                    await asyncio.wait_for(self._closing.wait(), held)
        finally:
            if asked is not None:
                self.status_in_flight[asked] -= 1
        return web.json_response(answer)

    async def _refund_with_fault(self, record: LiqPayRequest, fault: RefundFault) -> web.Response:
        if fault.applied:
            record.answer = self._process(record)
        else:
            record.payload = decode_data(record.data)
            record.action = "refund"
        if fault.hang:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), fault.hang)
        record.http_status = fault.status
        if fault.status == 200 and fault.body is None:
            return web.json_response(record.answer or _error("err_unknown", "hung"))
        if isinstance(fault.body, dict):
            return web.json_response(fault.body, status=fault.status)
        return web.Response(
            status=fault.status,
            text=fault.body or f"<html>{fault.status}</html>",
            content_type="text/html",
        )

    def _process(self, record: LiqPayRequest) -> dict[str, Any]:
        if not record.data or not record.signature:
            return _error("err_missing", "data or signature is missing")
        try:
            payload = decode_data(record.data)
        except SignatureError:
            return _error("err_wrong", "data is not base64 JSON")
        record.payload = payload
        record.action = str(payload.get("action") or "") or None
        public_key = str(payload.get("public_key") or "")
        private = self.keys.get(public_key)
        if private is None:
            return _error("public_key_not_found", "Public key not found")
        try:
            verify(private, record.data, record.signature)
        except SignatureError as exc:
            return _error("invalid_signature", f"Invalid signature ({exc})")
        record.signature_ok = True
        handler = getattr(self, f"_a_{record.action}", None)
        if handler is None:
            return _error("err_api_action", f"unknown action {record.action!r}")
        result: dict[str, Any] = handler(public_key, payload)
        return result

    def _a_status(self, public_key: str, payload: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get((public_key, str(payload.get("order_id"))))
        if order is None or order.status is None:
            return _error("payment_not_found", "Платіж не знайдено")
        fields = self.payment_fields(order)
        if order.cancelled and order.payment_id is None:
            fields["status"] = self.cancelled_status
        fields["result"] = "ok"
        return fields

    def _a_reports(self, public_key: str, payload: dict[str, Any]) -> dict[str, Any]:
        date_from, date_to = payload.get("date_from"), payload.get("date_to")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (date_from, date_to)):
            return _error("err_missing", "date_from and date_to (ms) are required")
        assert isinstance(date_from, int) and isinstance(date_to, int)
        rows = [
            self.payment_fields(order)
            for (key, _), order in self.orders.items()
            if key == public_key
            and order.payment_id is not None
            and date_from <= (order.end_date or order.create_date) <= date_to
        ]
        for refund in self.refunds:
            if refund.public_key != public_key or not date_from <= refund.made_at <= date_to:
                continue
            order = self.orders[(public_key, refund.order_id)]
            rows.append(
                {
                    "version": order.version,
                    "public_key": public_key,
                    "action": "refund",
                    "type": "buy",
                    "order_id": order.order_id,
                    "payment_id": order.payment_id,
                    "status": "reversed",
                    "amount": _float(refund.amount),
                    "currency": order.paid_currency or order.currency,
                    "create_date": refund.made_at,
                    "end_date": refund.made_at,
                }
            )
            if self.refund_rows_amount == "this":
                rows[-1]["refund_amount"] = _float(refund.amount)
        return {"result": "success", "data": [*rows, *self.extra_archive_rows]}

    def _a_invoice_send(self, public_key: str, payload: dict[str, Any]) -> dict[str, Any]:
        order_id = str(payload.get("order_id") or "")
        if not order_id:
            return _error("order_id_empty", "order_id is empty")
        if len(order_id) > 255:
            return _error("err_wrong", "order_id is too long")
        if (public_key, order_id) in self.orders:
            return _error("order_id_duplicate", "Order id duplicate")
        try:
            amount = Decimal(str(payload.get("amount")))
        except InvalidOperation:
            return _error("err_wrong", "amount is not a number")
        if amount <= 0:
            return _error("err_wrong", "amount must be positive")
        currency = str(payload.get("currency") or "")
        if currency not in CURRENCIES:
            return _error("err_wrong_currency", f"currency {currency!r}")
        description = str(payload.get("description") or "")
        if not description:
            return _error("err_empty", "description is empty")
        email, phone = payload.get("email"), payload.get("phone")
        if not email and not phone:
            return _error("err_missing", "email or phone is required")
        if phone and not (str(phone).isdigit() and len(str(phone)) == 12):
            return _error("err_phone", "Невірний номер телефону")
        server_url = payload.get("server_url")
        if server_url and len(str(server_url)) > 510:
            return _error("err_wrong", "server_url is too long")
        goods_error = _goods_error(payload.get("goods"), amount)
        if goods_error:
            return _error("err_goods", goods_error)
        token = secrets.token_hex(12)
        order = Order(
            order_id=order_id,
            public_key=public_key,
            version=int(str(payload.get("version", 3))),
            amount=amount,
            currency=currency,
            description=description[:2048],
            kind="invoice",
            request=payload,
            server_url=str(server_url) if server_url else None,
            status="invoice_wait",
            email=str(email) if email else None,
            phone=str(phone) if phone else None,
            expired_date=payload.get("expired_date"),
            invoice_id=next(self._ids),
            token=token,
            href=f"https://liqpay.test/apipay/invoice/{token}",
        )
        self.orders[(public_key, order_id)] = order
        return {
            "result": "ok",
            "action": "invoice_send",
            "status": "invoice_wait",
            "href": order.href,
            "id": order.invoice_id,
            "token": token,
            "order_id": order_id,
            "amount": _float(amount),
            "currency": currency,
            "description": order.description,
            "receiver_type": "email" if email else "phone",
            "receiver_value": str(email or phone),
        }

    def _a_invoice_cancel(self, public_key: str, payload: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get((public_key, str(payload.get("order_id"))))
        if order is None or order.kind != "invoice":
            return _error("payment_not_found", "Invoice not found")
        if order.payment_id is not None and order.status in ("success", "sandbox"):
            return _error("invoice_paid", "The invoice is already paid")
        order.cancelled = True
        return {"result": "ok", "invoice_id": order.invoice_id}

    def _a_refund(self, public_key: str, payload: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get((public_key, str(payload.get("order_id"))))
        if order is None or order.payment_id is None:
            return _error("payment_not_found", "Платіж не знайдено")
        left = self._refundable(order)
        if order.status not in _REFUNDABLE and order.status != "reversed":
            return _error("err_payment_status", f"payment status {order.status!r}")
        raw = payload.get("amount")
        try:
            amount = left if raw is None else Decimal(str(raw))
        except InvalidOperation:
            return _error("err_wrong", "amount is not a number")
        if amount <= 0:
            return _error("err_wrong", "amount must be positive")
        if amount > left:
            return _error(self.over_refund_err_code, f"only {left} is left to refund")
        self._apply_refund(order, amount, "api")
        if self.refund_callbacks and order.server_url:
            self._spawn(self._refund_callback(order))
        answer: dict[str, Any] = {
            "result": "ok",
            "action": "refund",
            "payment_id": order.payment_id,
            "status": "reversed",
            "wait_amount": False,
        }
        if self._refundable(order) > 0 and self.partial_refund_status != "reversed":
            answer["status"] = self.partial_refund_status
            if self.refund_answer_amount == "cumulative":
                answer["refund_amount"] = _float(order.refunded)
            elif self.refund_answer_amount == "this":
                answer["refund_amount"] = _float(amount)
        return answer

    async def _refund_callback(self, order: Order) -> None:
        assert order.server_url is not None
        await asyncio.sleep(0.05)  # LiqPay calls back after answering
        with contextlib.suppress(AssertionError):  # the bot may be gone: like LiqPay, shrug
            await self.send_callback(
                self.payment_fields(order),
                self.keys[order.public_key],
                order.version,
                order.server_url,
            )

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _action_of(data: str) -> str | None:
    try:
        return str(decode_data(data).get("action"))
    except SignatureError:
        return None


def _goods_error(goods: Any, amount: Decimal) -> str | None:
    """What is wrong with an invoice's `goods` (a stand-in's rule: each line has a unit price,
    a count, a unit and a name, and they add up to the amount exactly), or None."""
    if goods is None:
        return None
    if not isinstance(goods, list) or not goods:
        return "goods is not a list of lines"
    total = Decimal(0)
    for line in goods:
        if not isinstance(line, dict) or not str(line.get("name") or "").strip():
            return "a goods line has no name"
        if not line.get("unit"):
            return "a goods line has no unit"
        try:
            price, count = Decimal(str(line.get("amount"))), Decimal(str(line.get("count")))
        except InvalidOperation:
            return "a goods line's amount or count is not a number"
        if price < 0 or count <= 0:
            return "a goods line's amount or count is out of range"
        total += price * count
    if total != amount:
        return f"goods add up to {total}, not {amount}"
    return None


def _error(code: str, description: str = "") -> dict[str, Any]:
    return {"result": "error", "status": "error", "err_code": code, "err_description": description}
