"""The Catalogue screen's import of a CSV file, through the catalogue service's preview and
apply, as the chat's (bot/catalogue/manage.py): nothing is written until the owner confirms
the preview, and then every line in one transaction, or none when any line is refused.

The server keeps nothing between the two steps: the page sends the file again with the
preview's token and digest; the file is previewed again and applied only when that preview
is the one the owner saw (the same items), under the preview's token, so a double tap of
Confirm imports once."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from aiohttp import web

from bot.catalogue.views import applied_text, file_refused_text, preview_text
from bot.i18n import t
from bot.miniapp.context import ApiError, Caller, api, deps, json_body, plain
from bot.miniapp.shop_api import owner_only
from services.catalogue.csv_files import CsvError
from services.catalogue.imports import ImportPreview

MAX_FILE = 1024 * 1024  # bytes of CSV: thousands of items
MAX_REQUEST = MAX_FILE * 4 // 3 + 4096  # base64, and the rest of the request
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def digest(result: ImportPreview) -> str:
    """What the import writes, as the owner saw it (a new item's generated code aside)."""
    seen = [("new", *_fields(item)[1:]) for item in result.new]
    seen += [("changed", *_fields(item)) for item in result.changed]
    return hashlib.sha256(repr(sorted(seen)).encode()).hexdigest()[:32]


def _fields(item: Any) -> tuple[str, ...]:
    return (item.code, item.name, str(item.price), item.unit, str(item.tax_codes),
            str(item.barcode), str(item.uktzed))  # fmt: skip


async def _preview(request: web.Request, caller: Caller) -> tuple[dict[str, Any], ImportPreview]:
    owner_only(caller)
    body = await json_body(request, caller.locale, MAX_REQUEST)
    raw = body.get("file")
    try:
        data = base64.b64decode(raw, validate=True) if isinstance(raw, str) else None
    except (binascii.Error, ValueError):
        data = None
    if not data:
        raise ApiError(400, t("This filter is not valid: {name}.", caller.locale, name="file"))
    if len(data) > MAX_FILE:
        raise ApiError(413, t("The request is too large.", caller.locale))
    try:
        result = await deps(request).services.catalogue.preview_csv(caller.member, data)
    except CsvError as exc:
        raise ApiError(400, plain(file_refused_text(exc.problem, caller.locale))) from None
    return body, result


async def import_preview(request: web.Request, caller: Caller) -> dict[str, Any]:
    _, result = await _preview(request, caller)
    return {
        "text": plain(preview_text(result, caller.locale)),
        "applicable": result.applicable,
        "token": result.token,
        "digest": digest(result),
        "new": len(result.new),
        "changed": len(result.changed),
        "errors": len(result.errors),
    }


async def import_apply(request: web.Request, caller: Caller) -> dict[str, Any]:
    body, result = await _preview(request, caller)
    token, seen = body.get("token"), body.get("digest")
    if not (isinstance(token, str) and TOKEN_RE.fullmatch(token)):
        raise ApiError(400, t("This filter is not valid: {name}.", caller.locale, name="token"))
    if not result.applicable:
        raise ApiError(409, plain(preview_text(result, caller.locale)))
    if seen != digest(result):
        raise ApiError(
            409,
            t("The catalogue changed since the preview: look at the file's preview again.",
              caller.locale),
        )  # fmt: skip
    items = result.items
    if not await deps(request).services.catalogue.apply(caller.member, token, items):
        done = t("This import is done or cancelled already.", caller.locale)
        return {"applied": False, "message": done}
    return {"applied": True, "message": plain(applied_text(len(items), caller.locale))}


def add_routes(app: web.Application) -> None:
    app.router.add_post("/app/api/catalogue/import/preview", api(import_preview))
    app.router.add_post("/app/api/catalogue/import", api(import_apply))
