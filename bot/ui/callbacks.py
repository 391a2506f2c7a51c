"""What buttons carry (callback data): one place for every format, since the data comes back
from clients and must keep parsing across versions."""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from services.config import MAX_INVOICE_AMOUNT_LIMIT
from storage.models.receipts import Channel

# Button data comes back from the client and can be anything: every field is bounded, so
# aiogram's filter refuses what no button of ours could carry (an id past SQLite's 64 bits, a
# page number in the billions, an unknown action) and the fallback handler answers it.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # an SQLite INTEGER PRIMARY KEY
TelegramUserId = Annotated[int, Field(ge=1, le=2**53)]  # Telegram: at most 52 significant bits
PageNumber = Annotated[int, Field(ge=0, le=100_000)]
ShortText = Annotated[str, Field(max_length=16)]
# No receipt is above the invoice limit, so no refund amount or refunded sum is either; the
# bound keeps a Confirm button's data within Telegram's 64 bytes.
Kopecks = Annotated[int, Field(ge=0, le=int(MAX_INVOICE_AMOUNT_LIMIT * 100))]
DialogKey = Annotated[str, Field(max_length=32)]  # a summary's idempotency key (uuid4 hex)
ReceiptVerb = Literal["check", "open", "qr", "cancel", "cancel_yes", "cancel_no", "retry", "sms"]
SettingsItem = Literal["menu", "keys", "lifetime", "currency", "version", "sms", "fiscal"]


class ReceiptAction(CallbackData, prefix="rc"):
    action: ReceiptVerb
    id: RowId


class FiscalReceiptAction(CallbackData, prefix="frc"):
    action: Literal["register", "picture"]
    id: RowId


class RefundAction(CallbackData, prefix="rf"):
    """Refund steps; `ok` carries the amount, the confirmation's key (a double tap sends
    the same key, so it is the same refund) and the receipt's refunded sum when the
    confirmation was made (an older confirmation, once the receipt changed, refunds nothing)."""

    action: Literal["start", "full", "ok", "no"]
    id: RowId
    amount: Kopecks = 0
    key: Annotated[str, Field(max_length=16, pattern=r"^[0-9a-f]*$")] = ""
    refunded: Kopecks = 0


class RefundGoods(CallbackData, prefix="rg"):
    """Returns by goods: a line tapped (`line`), all of its rest (`all`), and the
    confirmation (`ok`) with the quantity, the key and the receipt's refunded sum, as
    RefundAction's."""

    action: Literal["line", "all", "ok"]
    id: RowId
    pos: Annotated[int, Field(ge=1, le=10_000)]
    qty: Annotated[int, Field(ge=0, le=10**12)] = 0
    key: Annotated[str, Field(max_length=16, pattern=r"^[0-9a-f]*$")] = ""
    refunded: Kopecks = 0


class ReminderSetting(CallbackData, prefix="rm"):
    item: Literal["menu", "cashier", "customer", "digest", "lead", "digest_at"]
    value: ShortText = ""


class GoodsNameSetting(CallbackData, prefix="gn"):
    item: Literal["menu", "group", "own", "purpose"]
    value: ShortText = ""


class PendingPage(CallbackData, prefix="pg"):
    page: PageNumber


class SettingsAction(CallbackData, prefix="st"):
    item: SettingsItem
    value: ShortText = ""


class ChannelChoice(CallbackData, prefix="ch"):
    channel: Channel


class DialogAction(CallbackData, prefix="dl"):
    action: Literal["skip", "confirm", "cancel"]
    # on a summary's Confirm and Cancel: ties the button to that summary, and so to the
    # receipt its Confirm made (the idempotency key)
    key: DialogKey = ""


class StaffAction(CallbackData, prefix="sf"):
    action: Literal["remove", "remove_yes", "back"]
    user_id: TelegramUserId


class LanguageChoice(CallbackData, prefix="lg"):
    language: Literal["uk", "en"]


class CatalogueMenu(CallbackData, prefix="cg"):
    """The /catalogue screen's buttons; all but search and export are the owner's."""

    action: Literal["add", "search", "csv", "register", "export"]


class CataloguePage(CallbackData, prefix="cp"):
    """A page of the last search's results (its text is in the dialog's data)."""

    page: PageNumber


class CatalogueItemAction(CallbackData, prefix="ci"):
    """An item: open its card (anyone); edit a field, archive, unarchive (the owner)."""

    action: Literal["open", "edit", "archive", "unarchive"]
    id: RowId
    field: Literal["", "name", "price", "unit", "tax", "barcode", "uktzed"] = ""


class CatalogueImport(CallbackData, prefix="cm"):
    """Confirm or cancel the import previewed under `token` (kept in the dialog's data)."""

    action: Literal["apply", "cancel"]
    token: Annotated[str, Field(max_length=16, pattern=r"^[A-Za-z0-9_-]*$")]


class ReconcileChoice(CallbackData, prefix="rq"):
    """/reconcile's day: today, yesterday, or a date the owner types."""

    day: Literal["today", "yesterday", "date"]


class BasketItem(CallbackData, prefix="bi"):
    """/new with a catalogue: put this item in the basket (a found or a recent item)."""

    id: RowId


class BasketAction(CallbackData, prefix="bk"):
    """/new with a catalogue: the basket's buttons. `n` is a line's 0-based position
    (line, qty, remove), a page of found items (page) or a quick quantity (one). `v` is the
    basket's token when the button was made (a new one at each change of the basket, and in
    each new dialog): a button of an earlier basket is refused, never acts on the line now at
    its position. Data of the older format (no `v`) parses as no BasketAction: refused too."""

    action: Literal["amount", "checkout", "line", "qty", "remove", "back", "page", "one"]
    n: Annotated[int, Field(ge=0, le=100_000)] = 0
    v: Annotated[str, Field(max_length=8, pattern=r"^[0-9a-f]*$")] = ""


class LineExportChoice(CallbackData, prefix="el"):
    """/export by goods: a row per receipt line, in this format, for these days (YYYYMMDD,
    as the per-receipt ExportChoice carries them)."""

    fmt: Literal["csv", "xlsx"]
    first: Annotated[int, Field(ge=1_01_01, le=9999_12_31)]
    last: Annotated[int, Field(ge=1_01_01, le=9999_12_31)]
