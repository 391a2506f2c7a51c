"""The Reports screen's export on every engine: the chat's /export file sent to the reader's
chat by the same code as the chat's buttons, once per tap, a cashier's of their own receipts."""

from __future__ import annotations

import csv
import io

from aiogram.methods import SendDocument

from storage.models.lines import SaleLine
from tests.miniapp.conftest import AppWorld
from tests.miniapp.test_actions import paid

PATH = "/app/api/reports/export"
CUPS = SaleLine(code="B2", name="Стакан", unit="piece", quantity=3000, price=1000)


def files(world: AppWorld) -> list[tuple[str | None, bytes]]:
    return [(name, data) for kind, name, data in world.telegram.uploads if kind == "SendDocument"]


async def test_a_tap_sends_the_file_to_the_chat_once(world: AppWorld) -> None:
    receipt = await paid(world, (CUPS,))
    owner = world.shop.owner_id
    body = {"period": "today", "format": "csv", "key": "aa" * 8}
    status, first = await world.post(PATH, owner, body)
    assert status == 200, first
    assert first["sent"] and not first["repeated"] and first["count"] == 1
    assert "чат" in first["message"]
    status, again = await world.post(PATH, owner, body)  # a double tap
    assert status == 200 and again["repeated"]
    (name, data), = files(world)  # fmt: skip
    assert name and name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [str(receipt.number)]
    document = world.telegram.sent(SendDocument)[0]
    assert int(document.chat_id) == owner
    # another tap (a new key): another file; by goods, in XLSX, in English
    more = {"period": "this_month", "format": "xlsx", "goods": True, "key": "bb" * 8}
    async with world.client.post(PATH, headers=world.auth(owner, "en"), json=more) as r:
        assert r.status == 200
        assert (await r.json())["message"] == "The file is sent to your chat with the bot."
    assert len(files(world)) == 2
    assert (files(world)[1][0] or "").endswith(".xlsx")


async def test_refusals_and_nothing_to_send(world: AppWorld) -> None:
    owner = world.shop.owner_id
    for bad in ({"period": "today", "format": "pdf", "key": "cc" * 8},
                {"period": "today", "format": "csv", "key": "x"},
                {"period": "ever", "format": "csv", "key": "cc" * 8},
                {"range": "31.02.2026", "format": "csv", "key": "cc" * 8}):  # fmt: skip
        status, body = await world.post(PATH, owner, bad)
        assert status == 400, bad
        assert body["error"]
    status, body = await world.post(PATH, owner, {"period": "today", "format": "csv",
                                                  "key": "dd" * 8})  # fmt: skip
    assert status == 200 and not body["sent"] and body["message"]
    assert files(world) == []


async def test_a_cashier_gets_their_own_receipts_only(world: AppWorld) -> None:
    await paid(world, (CUPS,))  # the cashier's
    status, body = await world.post(
        PATH, world.shop.cashier_id, {"period": "today", "format": "csv", "key": "ee" * 8}
    )
    assert status == 200 and body["count"] == 1
    status, body = await world.post(PATH, 9999, {"period": "today", "format": "csv",
                                                 "key": "ee" * 8})  # fmt: skip
    assert status == 403
    assert len(files(world)) == 1
