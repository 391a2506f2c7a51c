"""A local stand-in for the Checkbox PRRO API (/work/shared/reference/checkbox.md).

Serve it on 127.0.0.1 and point the client (or the bot's CHECKBOX_API_URL) at `url`:

    async with FakeCheckbox() as fake:
        fake.add_register("LICENSE-1", "1234")
        client = CheckboxClient(http, fake.url)

State moves one step per read, so tests are deterministic: a new shift is CREATED, the
first GET shows OPENING, the `shift_open_polls`-th shows OPENED; a sold receipt is CREATED
and the `receipt_done_polls`-th GET shows DONE (or ERROR when `receipt_error` was set at the
time of the sale). Every request is recorded in `requests`, including refused ones.

Choices where Checkbox's behaviour is not documented (change the attributes if needed):
- a sell with an id it already has: `duplicate_answer` "existing" (default) answers 201
  with the existing receipt; "error" answers 400 with a message;
- a sell in a shift older than 24 h is refused with 400 (the message is a guess);
- a bearer token for a receipt of another register answers 404, like an unknown receipt;
- missing token: 403; a token Checkbox no longer knows: 401;
- `GET /api/v1/receipts/search?from_date=&to_date=&limit=&offset=` lists the register's
  receipts created in [from_date, to_date] (ISO date-times), oldest first, `limit` 1–100;
- `GET /api/v1/cash-registers/shifts?statuses=&from_date=&to_date=&limit=&offset=` lists the
  register's shifts (X-License-Key) opened in [from_date, to_date], oldest first, `limit`
  1–50, with their balances (card_sales/card_returns: what the Z report counts).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import secrets
import string
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import segno
from aiohttp import web

from tests.doubles.checkbox_offline import OfflineDesk
from tests.doubles.server import LocalServer

MAX_TOKENS = 10

NO_SHIFT = "Зміну не відкрито"
ALREADY_WORKING = "Касир вже працює з даною касою"
# Not documented by Checkbox: worded like the tax service's signature errors.
KEY_EXPIRED = "Помилка підпису: закінчився термін дії сертифіката ключа касира"
BAD_CREDENTIALS = "Невірний ПІН-код або ліцензійний ключ"
STALE_SHIFT = "Зміна триває понад 24 години: закрийте її"
DUPLICATE_ID = "Чек з таким ідентифікатором вже існує"
# Not documented: a /sell while the register is in manual offline mode (Checkbox would take
# it offline without a date); the stand-in refuses it, so a test sees a sale at that moment.
ONLINE_SALE_OFFLINE = "Каса в ручному офлайн режимі"

# The approved payment-form names (Finance Ministry order 601), with "<name>" as a prefix.
APPROVED_LABELS = frozenset(
    {
        "Готівка", "Картка", "Інтернет еквайринг", "Інтернет банкінг", "З поточного рахунку",
        "Переказ через ПТКС банку", "Переказ через ННПП", "Переказ через ПТКС ННПП",
        "Подарунковий сертифікат", "Талон", "Жетон", "Фішка", "Електронний грошовий замінник",
        "Ігровий замінник гривні",
    }
)  # fmt: skip
APPROVED_PREFIXES = (
    "Платіж через інтегратора ",
    "Електронні гроші ",
    "Цифрові гроші ",
    "Криптовалюта ",
)

DEFAULT_TAXES: list[dict[str, Any]] = [
    {"id": "7b8ab2f1-0000-4000-8000-000000000001", "code": 1, "label": "ПДВ", "symbol": "А",
     "rate": 20.0, "included": True, "no_vat": False},
    {"id": "7b8ab2f1-0000-4000-8000-000000000008", "code": 8, "label": "Без ПДВ",
     "symbol": "Б", "rate": 0.0, "included": True, "no_vat": True},
]  # fmt: skip


def label_approved(label: object) -> bool:
    if not isinstance(label, str):
        return False
    return label in APPROVED_LABELS or any(
        label.startswith(p) and label[len(p) :].strip() for p in APPROVED_PREFIXES
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass
class CheckboxRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it is not JSON, or None
    status: int = 0  # 0: not answered (yet)
    query: dict[str, str] = field(default_factory=dict)  # the URL's query parameters

    @property
    def token(self) -> str | None:
        header = self.headers.get("Authorization", "")
        return header[7:] if header.startswith("Bearer ") else None


@dataclass
class Shift:
    id: str
    serial: int
    license_key: str
    status: str = "CREATED"
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    reads: int = 0
    open_error: str | None = None
    card_sales: int = 0
    card_returns: int = 0

    def to_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "id": self.id,
            "serial": self.serial,
            "status": self.status,
            "opened_at": _iso(self.opened_at),
            "closed_at": _iso(self.closed_at),
            "balance": {
                "initial": 0,
                "balance": 0,
                "cash_sales": 0,
                "card_sales": self.card_sales,
                "cash_returns": 0,
                "card_returns": self.card_returns,
            },
            "z_report": {"id": f"z-{self.id}"} if self.status == "CLOSED" else None,
        }
        if self.open_error is not None and self.status == "CLOSED":
            answer["initial_transaction"] = {
                "status": "ERROR",
                "response_status": "ERROR",
                "response_error_message": self.open_error,
            }
        return answer


@dataclass
class Register:
    license_key: str
    pin: str
    fiscal_number: str
    tokens: list[str] = field(default_factory=list)
    shift: Shift | None = None  # the one not CLOSED, if any
    serials: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # the cashier's signing key: GET /cashier/me tells its end (left out while None);
    # `key_expired` refuses shifts and sales the way a signature with it fails
    certificate_end: datetime | None = None
    key_expired: bool = False


@dataclass
class Receipt:
    id: str
    license_key: str
    shift_id: str
    body: dict[str, Any]
    is_return: bool
    total: int
    status: str = "CREATED"
    error: str | None = None  # decided at the sale: the tax service will refuse it
    reads: int = 0
    fiscal_code: str | None = None
    fiscal_date: datetime | None = None
    tax_url: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    offline: bool = False  # made by sell-offline (docs/checkbox-offline.md)
    sent_at: datetime | None = None  # an offline one: when go-online sent it

    def to_json(self) -> dict[str, Any]:
        transaction_status = {"DONE": "DONE", "ERROR": "ERROR"}.get(self.status, "PENDING")
        return {
            "id": self.id,
            "type": "RETURN" if self.is_return else "SELL",
            "status": self.status,
            "goods": self.body.get("goods"),
            "payments": self.body.get("payments"),
            "total_sum": self.total,
            "shift": {"id": self.shift_id},
            "fiscal_code": self.fiscal_code,
            "fiscal_date": _iso(self.fiscal_date),
            "tax_url": self.tax_url,
            "is_sent_dps": self.status == "DONE" and (not self.offline or bool(self.sent_at)),
            "is_created_offline": self.offline,
            "created_at": _iso(self.created_at),
            "related_receipt_id": self.body.get("related_receipt_id"),
            "transaction": {
                "status": transaction_status,
                "response_status": "ERROR" if self.status == "ERROR" else None,
                "response_error_message": self.error if self.status == "ERROR" else None,
            },
        }


@dataclass
class _Hang:
    path: str | None
    processed: bool  # the request takes effect, only the answer never comes in time
    times: int


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeCheckbox(LocalServer[CheckboxRequest]):
    def __init__(self) -> None:
        super().__init__()
        self.registers: dict[str, Register] = {}
        self.tokens: dict[str, Register] = {}
        self.shifts: dict[str, Shift] = {}
        self.receipts: dict[str, Receipt] = {}
        self.emails: list[tuple[str, list[str]]] = []
        self.taxes: list[dict[str, Any]] = [dict(t) for t in DEFAULT_TAXES]
        self.goods: list[dict[str, Any]] = []  # the organisation's goods, GET /api/v1/goods
        self.down = False  # every request: 503 with an HTML page
        self.hanging = False  # every request waits `hang_seconds` before it is handled
        self.hang_seconds = 30.0
        self.shift_open_polls = 2
        self.shift_close_polls = 1
        self.shift_open_error: str | None = None  # new shifts close with this reason
        self.shift_opened_at_known = True  # False: new shifts' answers have no opened_at
        self.receipt_done_polls = 1
        self.receipt_error: str | None = None  # receipts sold meanwhile end in ERROR
        self.duplicate_answer = "existing"
        self.email_fails = False
        self._failures: list[tuple[str | None, int, Any]] = []
        self._hangs: list[_Hang] = []
        self._released = asyncio.Event()
        self.offline = OfflineDesk(self)  # offline mode: codes, go-offline/online

    async def start(self) -> Self:
        self._released = asyncio.Event()
        return await super().start()

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_post("/api/v1/cashier/signinPinCode", self._sign_in)
        r.add_post("/api/v1/cashier/signout", self._sign_out)
        r.add_get("/api/v1/cashier/me", self._me)
        r.add_get("/api/v1/cashier/tax", self._tax)
        r.add_get("/api/v1/goods", self._goods)
        r.add_get("/api/v1/cashier/shift", self._current_shift)
        r.add_post("/api/v1/shifts", self._open_shift)
        r.add_post("/api/v1/shifts/close", self._close_shift)
        r.add_get("/api/v1/shifts/{id}", self._get_shift)
        r.add_get("/api/v1/cash-registers/shifts", self._list_shifts)
        r.add_post("/api/v1/receipts/sell", self._sell)
        r.add_get("/api/v1/receipts/search", self._search_receipts)  # before {id}
        r.add_get("/api/v1/receipts/{id}", self._get_receipt)
        r.add_get("/api/v1/receipts/{id}/png", self._png)
        r.add_post("/api/v1/receipts/{id}/email", self._email)
        self.offline.add_routes(r)
        return app

    async def stop(self) -> None:
        self._released.set()
        await super().stop()

    # configuration

    def add_register(self, license_key: str, pin: str) -> Register:
        """A cash register with one cashier who signs in with `pin`."""
        register = Register(license_key, pin, fiscal_number=f"4000{len(self.registers) + 1:06d}")
        self.registers[license_key] = register
        return register

    def fail_next(
        self, status: int = 503, body: Any = None, *, times: int = 1, path: str | None = None
    ) -> None:
        """The next `times` requests (to `path`, if given) get `status` with `body` (dict or
        list: JSON; str: as is, text/html; None: an HTML error page)."""
        self._failures.extend([(path, status, body)] * times)

    def hang_next(
        self, path: str | None = None, *, processed: bool = False, times: int = 1
    ) -> None:
        """The next `times` requests (to `path`) answer only after `hang_seconds`; with
        `processed` they take effect first (the sale is made, its answer is late)."""
        self._hangs.append(_Hang(path, processed, times))

    def release(self) -> None:
        """Let every hanging request answer now."""
        self._released.set()
        self._released = asyncio.Event()

    def invalidate_tokens(self, license_key: str | None = None) -> None:
        for token, register in list(self.tokens.items()):
            if license_key is None or register.license_key == license_key:
                del self.tokens[token]
                register.tokens.remove(token)

    def sign_in_elsewhere(self, license_key: str, times: int = 1) -> None:
        """The same cashier signs in on other devices; past 10 tokens the oldest go."""
        for _ in range(times):
            self._new_token(self.registers[license_key])

    def open_shift_now(self, license_key: str, *, opened_at: datetime | None = None) -> Shift:
        """A shift opened outside the bot (in the cabinet, another device)."""
        register = self.registers[license_key]
        shift = self._new_shift(register)
        shift.status = "OPENED"
        shift.opened_at = opened_at or datetime.now(UTC)
        return shift

    def close_shift_now(self, license_key: str) -> None:
        """The shift is closed outside the bot."""
        register = self.registers[license_key]
        if register.shift is not None:
            register.shift.status = "CLOSED"
            register.shift.closed_at = datetime.now(UTC)
            register.shift = None

    def age_shift(self, license_key: str, **delta: float) -> None:
        shift = self.registers[license_key].shift
        assert shift is not None and shift.opened_at is not None, "no open shift"
        shift.opened_at -= timedelta(**delta)

    # inspection

    def requests_to(self, method: str, path: str) -> list[CheckboxRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    @property
    def sign_ins(self) -> list[CheckboxRequest]:
        return self.requests_to("POST", "/api/v1/cashier/signinPinCode")

    def sells(self, receipt_id: str | None = None) -> list[CheckboxRequest]:
        return [
            r
            for r in self.requests_to("POST", "/api/v1/receipts/sell")
            if receipt_id is None or (isinstance(r.body, dict) and r.body.get("id") == receipt_id)
        ]

    def shift_of(self, license_key: str) -> Shift | None:
        return self.registers[license_key].shift

    async def wait_for_request(
        self, method: str, path: str, timeout: float = 10, *, after: int = 0
    ) -> CheckboxRequest:
        deadline = time.monotonic() + timeout
        while True:
            for r in self.requests[after:]:
                if r.method == method and r.path == path:
                    return r
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no Checkbox {method} {path} within {timeout} s; got "
                    f"{[(r.method, r.path) for r in self.requests]}"
                )
            await asyncio.sleep(0.05)

    # plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        record = CheckboxRequest(
            request.method, request.path, dict(request.headers), body, query=dict(request.query)
        )
        self.requests.append(record)
        request["record"] = record
        if self.down:
            record.status = 503
            return web.Response(status=503, text="<html>503 Service Unavailable</html>")
        hang = self._take(self._hangs, request.path)
        if self.hanging or (hang is not None and not hang.processed):
            await self._hang()
        failure = self._take_failure(request.path)
        if failure is not None:
            response: web.StreamResponse = failure
        else:
            response = await handler(request)
        if hang is not None and hang.processed:
            await self._hang()
        record.status = response.status
        return response

    async def _hang(self) -> None:
        try:
            await asyncio.wait_for(self._released.wait(), self.hang_seconds)
        except TimeoutError:
            pass

    @staticmethod
    def _take(hangs: list[_Hang], path: str) -> _Hang | None:
        for hang in hangs:
            if hang.path is None or hang.path == path:
                hang.times -= 1
                if hang.times <= 0:
                    hangs.remove(hang)
                return hang
        return None

    def _take_failure(self, path: str) -> web.Response | None:
        for i, (wanted, status, body) in enumerate(self._failures):
            if wanted is None or wanted == path:
                del self._failures[i]
                if isinstance(body, dict | list):
                    return web.json_response(body, status=status)
                return web.Response(
                    status=status, text=body or f"<html>{status}</html>", content_type="text/html"
                )
        return None

    def _new_token(self, register: Register) -> str:
        token = "cbx." + secrets.token_urlsafe(24)
        register.tokens.append(token)
        self.tokens[token] = register
        while len(register.tokens) > MAX_TOKENS:
            self.tokens.pop(register.tokens.pop(0), None)
        return token

    def _new_shift(self, register: Register) -> Shift:
        shift = Shift(str(uuid.uuid4()), next(register.serials), register.license_key)
        shift.open_error = self.shift_open_error
        register.shift = shift
        self.shifts[shift.id] = shift
        return shift

    def _cashier(self, request: web.Request) -> Register | web.Response:
        record: CheckboxRequest = request["record"]
        token = record.token
        if not token:
            return _message(403, "Not authenticated")
        register = self.tokens.get(token)
        if register is None:
            return _message(401, "Invalid token")
        return register

    def _advance_shift(self, shift: Shift) -> None:
        if shift.status in ("CREATED", "OPENING"):
            shift.reads += 1
            if shift.reads < self.shift_open_polls:
                shift.status = "OPENING"
            elif shift.open_error is not None:
                self._finish_shift(shift)
            else:
                shift.status = "OPENED"
                shift.opened_at = datetime.now(UTC) if self.shift_opened_at_known else None
        elif shift.status == "CLOSING":
            shift.reads += 1
            if shift.reads >= self.shift_close_polls:
                self._finish_shift(shift)

    def _finish_shift(self, shift: Shift) -> None:
        shift.status = "CLOSED"
        shift.closed_at = datetime.now(UTC)
        register = self.registers[shift.license_key]
        if register.shift is shift:
            register.shift = None

    def _advance_receipt(self, receipt: Receipt) -> None:
        if receipt.status != "CREATED":
            return
        receipt.reads += 1
        if receipt.reads < self.receipt_done_polls:
            return
        if receipt.error is not None:
            receipt.status = "ERROR"
            return
        receipt.status = "DONE"
        alphabet = string.ascii_letters + string.digits
        receipt.fiscal_code = "TEST-" + "".join(secrets.choice(alphabet) for _ in range(6))
        receipt.fiscal_date = datetime.now(UTC)
        self.offline.of(receipt.license_key).note_document(receipt.fiscal_date)
        register = self.registers[receipt.license_key]
        receipt.tax_url = (
            f"https://cabinet.tax.gov.ua/cashregs/check?fn={register.fiscal_number}"
            f"&id={receipt.fiscal_code}&date={receipt.fiscal_date:%Y%m%d}"
        )
        shift = self.shifts.get(receipt.shift_id)
        if shift is not None:
            if receipt.is_return:
                shift.card_returns += receipt.total
            else:
                shift.card_sales += receipt.total

    # the API

    async def _sign_in(self, request: web.Request) -> web.Response:
        body = request["record"].body
        register = self.registers.get(request.headers.get("X-License-Key", ""))
        pin = body.get("pin_code") if isinstance(body, dict) else None
        if register is None or not isinstance(pin, str) or pin != register.pin:
            return _message(403, BAD_CREDENTIALS)
        token = self._new_token(register)
        return web.json_response({"type": "bearer", "token_type": "bearer", "access_token": token})

    async def _sign_out(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        token = request["record"].token
        self.tokens.pop(token, None)
        register.tokens.remove(token)
        return web.Response(status=205)

    async def _me(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        cashier: dict[str, Any] = {
            "id": register.license_key, "full_name": "Тестовий касир",
            "organization": {"title": "ФОП Тест", "is_test": True},
        }  # fmt: skip
        if register.certificate_end is not None:
            cashier["certificate_end"] = _iso(register.certificate_end)
        return web.json_response(cashier)

    async def _tax(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        return web.json_response(self.taxes)

    def add_good(self, code: str, name: str, price: int, **more: Any) -> dict[str, Any]:
        """One of the organisation's goods, as GET /api/v1/goods gives it (price in kopecks;
        `taxes` a list of tax objects with their `code`)."""
        good: dict[str, Any] = {
            "id": str(uuid.uuid4()), "code": code, "name": name, "price": price,
            "type": "PRODUCT", "taxes": [], "created_at": _iso(datetime.now(UTC)),
        }  # fmt: skip
        good.update(more)
        self.goods.append(good)
        return good

    async def _goods(self, request: web.Request) -> web.Response:
        """Paged as Checkbox pages: `limit` 1–1000 (25 by default), `offset` from 0."""
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        try:
            limit = int(request.query.get("limit", "25"))
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            return _invalid(["query", "limit"], "value is not a valid integer")
        if not 0 < limit <= 1000 or offset < 0:
            return _invalid(["query", "limit"], "limit is 1–1000, offset at least 0")
        page = self.goods[offset : offset + limit]
        meta = {"limit": limit, "offset": offset}
        return web.json_response({"meta": meta, "results": page, "use_leftovers": False})

    async def _current_shift(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        if register.shift is not None:
            self._advance_shift(register.shift)
        shift = register.shift
        return web.json_response(None if shift is None else shift.to_json())

    async def _open_shift(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        if request.headers.get("X-License-Key") != register.license_key:
            return _message(403, "Невірний ліцензійний ключ каси")
        if register.key_expired:
            return _message(400, KEY_EXPIRED)
        if register.shift is not None:
            return _message(400, ALREADY_WORKING)
        return web.json_response(self._new_shift(register).to_json(), status=202)

    async def _close_shift(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        shift = register.shift
        if shift is None or shift.status != "OPENED":
            return _message(400, NO_SHIFT)
        shift.status = "CLOSING"
        shift.reads = 0
        return web.json_response(shift.to_json(), status=202)

    async def _get_shift(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        shift = self.shifts.get(request.match_info["id"])
        if shift is None or shift.license_key != register.license_key:
            return _message(404, "Зміну не знайдено")
        self._advance_shift(shift)
        return web.json_response(shift.to_json())

    async def _sell(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        body = request["record"].body
        if not isinstance(body, dict):
            return _invalid(["body"], "a JSON object is required")
        receipt_id = body.get("id")
        try:
            receipt_id = str(uuid.UUID(str(receipt_id)))
        except ValueError:
            return _invalid(["body", "id"], "value is not a valid uuid")
        if register.key_expired:
            return _message(400, KEY_EXPIRED)
        existing = self.receipts.get(receipt_id)
        if existing is not None:
            if self.duplicate_answer == "existing":
                return web.json_response(existing.to_json(), status=201)
            return _message(400, DUPLICATE_ID)
        if self.offline.of(register.license_key).offline:
            return _message(400, ONLINE_SALE_OFFLINE)
        shift = register.shift
        if shift is None or shift.status != "OPENED":
            return _message(400, NO_SHIFT)
        if shift.opened_at is not None and datetime.now(UTC) - shift.opened_at > timedelta(
            hours=24
        ):
            return _message(400, STALE_SHIFT)
        checked = self._check_receipt(body)
        if isinstance(checked, web.Response):
            return checked
        total, is_return = checked
        receipt = Receipt(
            receipt_id,
            register.license_key,
            shift.id,
            body,
            is_return,
            total,
            error=self.receipt_error,
        )
        self.receipts[receipt_id] = receipt
        return web.json_response(receipt.to_json(), status=201)

    def _check_receipt(self, body: dict[str, Any]) -> tuple[int, bool] | web.Response:
        goods = body.get("goods")
        payments = body.get("payments")
        if not isinstance(goods, list) or not goods:
            return _invalid(["body", "goods"], "at least one goods line")
        if not isinstance(payments, list) or not payments:
            return _invalid(["body", "payments"], "at least one payment")
        tax_codes = {t["code"] for t in self.taxes}
        total = 0
        returns = set()
        for i, line in enumerate(goods):
            good = line.get("good") if isinstance(line, dict) else None
            if not isinstance(good, dict):
                return _invalid(["body", "goods", i, "good"], "field required")
            code, name, price = good.get("code"), good.get("name"), good.get("price")
            quantity = line.get("quantity")
            if not isinstance(code, str) or not 1 <= len(code) <= 256:
                return _invalid(["body", "goods", i, "good", "code"], "1..256 characters")
            if not isinstance(name, str) or not name.strip():
                return _invalid(["body", "goods", i, "good", "name"], "field required")
            if type(price) is not int or price <= 0:
                return _invalid(["body", "goods", i, "good", "price"], "value is not an integer")
            if type(quantity) is not int or quantity <= 0:
                return _invalid(["body", "goods", i, "quantity"], "value is not an integer")
            tax = good.get("tax", [])
            if not isinstance(tax, list) or any(t not in tax_codes for t in tax):
                return _message(400, f"Невідомий код податку: {tax}")
            returns.add(bool(line.get("is_return", False)))
            total += (price * quantity + 500) // 1000
        if len(returns) > 1:
            return _message(400, "Повернення і продаж в одному чеку")
        paid = 0
        for i, payment in enumerate(payments):
            if not isinstance(payment, dict):
                return _invalid(["body", "payments", i], "field required")
            value = payment.get("value")
            if type(value) is not int or value <= 0:
                return _invalid(["body", "payments", i, "value"], "value is not an integer")
            if payment.get("type") not in ("CASH", "CASHLESS"):
                return _invalid(["body", "payments", i, "type"], "CASH or CASHLESS")
            if "label" in payment and not label_approved(payment["label"]):
                return _message(400, f"Назва форми оплати не з переліку: {payment['label']}")
            paid += value
        if paid != total:
            return _message(400, f"Сума оплат {paid} не дорівнює сумі чеку {total}")
        return total, returns == {True}

    def foreign_receipt(self, license_key: str, total: int) -> Receipt:
        """A sale registered on the register outside the bot (at a till, by hand): DONE."""
        register = self.registers[license_key]
        shift = register.shift or self._new_shift(register)
        body = {
            "goods": [{"good": {"code": "X", "name": "Товар", "price": total}, "quantity": 1000}],
            "payments": [{"type": "CASHLESS", "value": total}],
        }
        receipt = Receipt(str(uuid.uuid4()), license_key, shift.id, body, False, total)
        self.receipts[receipt.id] = receipt
        receipt.reads = max(0, self.receipt_done_polls - 1)
        self._advance_receipt(receipt)
        return receipt

    async def _search_receipts(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        query = request.query
        try:
            limit = int(query.get("limit", "25"))
            offset = int(query.get("offset", "0"))
            since = datetime.fromisoformat(query["from_date"]) if "from_date" in query else None
            until = datetime.fromisoformat(query["to_date"]) if "to_date" in query else None
        except ValueError:
            return _invalid(["query"], "limit, offset or a date is not valid")
        if not 0 < limit <= 100 or offset < 0:
            return _invalid(["query", "limit"], "limit is 1–100, offset at least 0")
        found = [
            r
            for r in sorted(self.receipts.values(), key=lambda r: r.created_at)
            if r.license_key == register.license_key
            and (since is None or r.created_at >= since)
            and (until is None or r.created_at <= until)
        ]
        page = [r.to_json() for r in found[offset : offset + limit]]
        return web.json_response({"meta": {"limit": limit, "offset": offset}, "results": page})

    async def _list_shifts(self, request: web.Request) -> web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        if request.headers.get("X-License-Key") != register.license_key:
            return _message(403, "Невірний ліцензійний ключ")
        query = request.query
        try:
            limit = int(query.get("limit", "25"))
            offset = int(query.get("offset", "0"))
            since = datetime.fromisoformat(query["from_date"]) if "from_date" in query else None
            until = datetime.fromisoformat(query["to_date"]) if "to_date" in query else None
        except ValueError:
            return _invalid(["query"], "limit, offset or a date is not valid")
        if not 0 < limit <= 50 or offset < 0:
            return _invalid(["query", "limit"], "limit is 1–50, offset at least 0")
        statuses = set(query.getall("statuses", []))
        found = [
            s
            for s in sorted(self.shifts.values(), key=lambda s: s.serial)
            if s.license_key == register.license_key
            and (not statuses or s.status in statuses)
            and s.opened_at is not None
            and (since is None or s.opened_at >= since)
            and (until is None or s.opened_at <= until)
        ]
        page = [s.to_json() for s in found[offset : offset + limit]]
        return web.json_response({"meta": {"limit": limit, "offset": offset}, "results": page})

    def _visible_receipt(self, request: web.Request) -> Receipt | web.Response:
        register = self._cashier(request)
        if isinstance(register, web.Response):
            return register
        receipt = self.receipts.get(request.match_info["id"])
        if receipt is None or receipt.license_key != register.license_key:
            return _message(404, "Чек не знайдено")
        return receipt

    async def _get_receipt(self, request: web.Request) -> web.Response:
        receipt = self._visible_receipt(request)
        if isinstance(receipt, web.Response):
            return receipt
        self._advance_receipt(receipt)
        return web.json_response(receipt.to_json())

    async def _png(self, request: web.Request) -> web.Response:
        receipt = self.receipts.get(request.match_info["id"])
        if receipt is None:
            return _message(404, "Чек не знайдено")
        picture = io.BytesIO()
        segno.make(f"{receipt.id} {receipt.fiscal_code}").save(picture, kind="png", scale=2)
        return web.Response(body=picture.getvalue(), content_type="image/png")

    async def _email(self, request: web.Request) -> web.Response:
        receipt = self._visible_receipt(request)
        if isinstance(receipt, web.Response):
            return receipt
        body = request["record"].body
        if not isinstance(body, list) or not all(isinstance(e, str) for e in body):
            return _invalid(["body"], "a list of e-mail addresses")
        if self.email_fails:
            return _message(400, "Не вдалося надіслати чек")
        self.emails.append((receipt.id, list(body)))
        return web.json_response({"ok": True})


def _message(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _invalid(loc: list[Any], msg: str) -> web.Response:
    return web.json_response(
        {
            "message": "Validation error",
            "detail": [{"loc": loc, "msg": msg, "type": "value_error"}],
        },
        status=422,
    )
