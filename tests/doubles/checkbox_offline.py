"""The stand-in Checkbox's offline mode (docs/checkbox-offline.md): offline codes (asked
from the "tax service" while online, each usable once), go-offline, sell-offline, go-online,
the offline time, and the register's last fiscal date, which online sales move too.

Choices where Checkbox's behaviour is not documented: go-offline at a date before the
register's last document, past the limits, or with an unknown or used code answers 400 with
a message; go-online on an online register answers 200 (nothing to send); sell-offline with
an id it has answers the existing receipt (like sell).
"""

from __future__ import annotations

import itertools
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.doubles.checkbox import FakeCheckbox, Register

NOT_OFFLINE = "Cash register should be in manual offline mode!"
ALREADY_OFFLINE = "Каса вже в офлайн режимі"
ONLINE_ONLY = "Запит номерів можливий лише в онлайн режимі"
BAD_CODE = "Невідомий або використаний офлайн фіскальний номер"
DATE_BEFORE_LAST = "Дата переходу в офлайн раніше за дату останньої транзакції"
FISCAL_DATE_BACKWARDS = "Дата чека раніше за дату попереднього документа"
LIMIT_IN_A_ROW = "Перевищено 36 годин офлайн режиму поспіль"
LIMIT_MONTH = "Перевищено 168 годин офлайн режиму за місяць"

MAX_IN_A_ROW = timedelta(hours=36)
MAX_A_MONTH = timedelta(hours=168)


@dataclass
class OfflineRegister:
    """One register's offline side."""

    codes: list[str] = field(default_factory=list)  # obtained from the "tax service"
    used: set[str] = field(default_factory=set)
    offline_since: datetime | None = None  # None: online
    last_document_at: datetime | None = None
    sessions: list[tuple[datetime, datetime]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # receipts made offline, not sent yet
    go_offline_calls: int = 0
    go_online_calls: int = 0

    @property
    def offline(self) -> bool:
        return self.offline_since is not None

    def note_document(self, at: datetime) -> None:
        if self.last_document_at is None or at > self.last_document_at:
            self.last_document_at = at

    def month_used(self, now: datetime) -> timedelta:
        start = now - timedelta(days=30)
        return sum(
            (min(end, now) - max(begin, start) for begin, end in self.sessions if end > start),
            timedelta(0),
        )


class OfflineDesk:
    """Offline mode of every register of one FakeCheckbox."""

    def __init__(self, fake: FakeCheckbox) -> None:
        self.fake = fake
        self.registers: dict[str, OfflineRegister] = {}
        self._serials = itertools.count(1)
        self.codes_answered = 0  # how many codes ask-offline-codes gives at most per call

    def of(self, license_key: str) -> OfflineRegister:
        return self.registers.setdefault(license_key, OfflineRegister())

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v1/cash-registers/ask-offline-codes", self._ask_codes)
        router.add_get("/api/v1/cash-registers/get-offline-codes", self._get_codes)
        router.add_get("/api/v1/cash-registers/get-offline-codes-count", self._codes_count)
        router.add_post("/api/v1/cash-registers/go-offline", self._go_offline)
        router.add_post("/api/v1/cash-registers/go-online", self._go_online)
        router.add_get("/api/v1/cash-registers/get-offline-time", self._offline_time)
        router.add_get("/api/v1/cash-registers/info", self._info)
        router.add_post("/api/v1/receipts/sell-offline", self._sell_offline)

    # what tests look at or set

    def unused(self, license_key: str) -> list[str]:
        state = self.of(license_key)
        return [c for c in state.codes if c not in state.used]

    def drop_codes(self, license_key: str) -> None:
        """The tax service gives no more codes (and those handed out are gone)."""
        state = self.of(license_key)
        state.used.update(state.codes)

    # the API

    def _register(self, request: web.Request) -> Register | web.Response:
        return self.fake._cashier(request)

    async def _ask_codes(self, request: web.Request) -> web.Response:
        register = self._register(request)
        if isinstance(register, web.Response):
            return register
        state = self.of(register.license_key)
        if state.offline:
            return _message(400, ONLINE_ONLY)
        count = _count(request, 2000)
        if self.codes_answered:
            count = min(count, self.codes_answered)
        missing = count - len(self.unused(register.license_key))
        for _ in range(max(missing, 0)):
            alphabet = string.ascii_uppercase + string.digits
            state.codes.append("OFF-" + "".join(secrets.choice(alphabet) for _ in range(7)))
        state.note_document(datetime.now(UTC))
        return web.json_response({"status": "DONE", "response_status": "OK"})

    async def _get_codes(self, request: web.Request) -> web.Response:
        register = self._register(request)
        if isinstance(register, web.Response):
            return register
        codes = self.unused(register.license_key)[: _count(request, 150)]
        now = datetime.now(UTC).isoformat()
        return web.json_response(
            [
                {"fiscal_code": c, "serial_id": next(self._serials),
                 "cash_register_id": register.fiscal_number, "created_at": now}
                for c in codes
            ]
        )  # fmt: skip

    async def _codes_count(self, request: web.Request) -> web.Response:
        register = self._register(request)
        if isinstance(register, web.Response):
            return register
        state = self.of(register.license_key)
        available = len(self.unused(register.license_key))
        return web.json_response(
            {"available": available, "default": 0, "minimal": 0, "used": len(state.used),
             "enough_offline_codes": available > 0}
        )  # fmt: skip

    def _take_code(self, state: OfflineRegister, code: object) -> bool:
        if not isinstance(code, str) or code not in state.codes or code in state.used:
            return False
        state.used.add(code)
        return True

    async def _go_offline(self, request: web.Request) -> web.Response:
        register = self._register(request)
        if isinstance(register, web.Response):
            return register
        state = self.of(register.license_key)
        body = request["record"].body
        body = body if isinstance(body, dict) else {}
        moment = _moment(body.get("go_offline_date"))
        if moment is None:
            return _invalid(["body", "go_offline_date"], "invalid datetime format")
        if state.offline:
            return _message(400, ALREADY_OFFLINE)
        now = datetime.now(UTC)
        if state.last_document_at is not None and moment < state.last_document_at:
            return _message(400, DATE_BEFORE_LAST)
        if now - moment > MAX_IN_A_ROW:
            return _message(400, LIMIT_IN_A_ROW)
        if state.month_used(now) + (now - moment) > MAX_A_MONTH:
            return _message(400, LIMIT_MONTH)
        if not self._take_code(state, body.get("fiscal_code")):
            return _message(400, BAD_CODE)
        state.go_offline_calls += 1
        state.offline_since = moment
        state.note_document(moment)
        return web.json_response({})

    async def _go_online(self, request: web.Request) -> web.Response:
        register = self._register(request)
        if isinstance(register, web.Response):
            return register
        state = self.of(register.license_key)
        state.go_online_calls += 1
        if state.offline_since is not None:
            now = datetime.now(UTC)
            state.sessions.append((state.offline_since, now))
            for receipt_id in state.pending:
                self.fake.receipts[receipt_id].sent_at = now
            state.pending.clear()
            state.offline_since = None
        return web.json_response({"status": "ok"})

    async def _offline_time(self, request: web.Request) -> web.Response:
        register = self._register(request)
        if isinstance(register, web.Response):
            return register
        state = self.of(register.license_key)
        now = datetime.now(UTC)
        current = (now - state.offline_since) if state.offline_since else timedelta(0)
        return web.json_response(
            {
                "status": {"current": current.total_seconds(),
                           "total": (state.month_used(now) + current).total_seconds()},
                "sessions": [{"start": b.isoformat(), "end": e.isoformat(),
                              "duration": (e - b).total_seconds()} for b, e in state.sessions],
            }
        )  # fmt: skip

    async def _info(self, request: web.Request) -> web.Response:
        register = self.fake.registers.get(request.headers.get("X-License-Key", ""))
        if register is None:
            return _message(403, "Невірний ліцензійний ключ каси")
        state = self.of(register.license_key)
        return web.json_response(
            {"id": register.license_key, "organization_id": "org", "title": "Каса",
             "fiscal_number": register.fiscal_number, "created_at": "2026-01-01T00:00:00+00:00",
             "address": "Київ", "offline_mode": state.offline, "stay_offline": state.offline,
             "has_shift": register.shift is not None, "is_test": True,
             "documents_state": {"last_receipt_code": 0, "last_report_code": 0,
                                 "last_z_report_code": 0}}
        )  # fmt: skip

    async def _sell_offline(self, request: web.Request) -> web.Response:
        from tests.doubles.checkbox import Receipt

        register = self._register(request)
        if isinstance(register, web.Response):
            return register
        fake = self.fake
        body = request["record"].body
        if not isinstance(body, dict):
            return _invalid(["body"], "a JSON object is required")
        for name in ("fiscal_code", "fiscal_date"):
            if name not in body:
                return _invalid(["body", name], "field required")
        moment = _moment(body.get("fiscal_date"))
        if moment is None:
            return _invalid(["body", "fiscal_date"], "invalid datetime format")
        state = self.of(register.license_key)
        if not state.offline:
            return _message(400, NOT_OFFLINE)
        receipt_id = str(body.get("id"))
        existing = fake.receipts.get(receipt_id)
        if existing is not None:
            return web.json_response(existing.to_json(), status=201)
        shift = register.shift
        if shift is None or shift.status != "OPENED":
            return _message(400, "Зміну не відкрито")
        if state.last_document_at is not None and moment < state.last_document_at:
            return _message(400, FISCAL_DATE_BACKWARDS)
        checked = fake._check_receipt(body)
        if isinstance(checked, web.Response):
            return checked
        if not self._take_code(state, body.get("fiscal_code")):
            return _message(400, BAD_CODE)
        total, is_return = checked
        receipt = Receipt(receipt_id, register.license_key, shift.id, body, is_return, total)
        receipt.status = "DONE"
        receipt.offline = True
        receipt.fiscal_code = str(body["fiscal_code"])
        receipt.fiscal_date = moment
        receipt.tax_url = (
            f"https://cabinet.tax.gov.ua/cashregs/check?fn={register.fiscal_number}"
            f"&id={receipt.fiscal_code}&date={moment:%Y%m%d}"
        )
        if is_return:
            shift.card_returns += total
        else:
            shift.card_sales += total
        fake.receipts[receipt_id] = receipt
        state.pending.append(receipt_id)
        state.note_document(moment)
        return web.json_response(receipt.to_json(), status=201)


def _count(request: web.Request, default: int) -> int:
    try:
        return max(1, min(10_000, int(request.query.get("count", str(default)))))
    except ValueError:
        return default


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _message(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _invalid(loc: list[Any], msg: str) -> web.Response:
    detail = [{"loc": loc, "msg": msg, "type": "value_error"}]
    return web.json_response({"message": "Validation error", "detail": detail}, status=422)
