"""The Mini App's receipt page on every engine: its goods lines, search by goods, and the
actions the chat's card offers (Register / Retry fiscal, Resend SMS, refund by goods),
through the chat's services with the chat's refusals."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr

from services.liqpay.signing import Credentials
from storage.models.fiscal import FiscalSettingsChanges, FiscalState
from storage.models.lines import SaleLine
from storage.models.receipts import Channel, EventSource, Receipt, ReceiptStatus
from tests.builders import PRIVATE_KEY, PUBLIC_KEY, make_receipt
from tests.miniapp.conftest import AppWorld

COFFEE = SaleLine(code="A1", name="Кава зернова", unit="kg", quantity=250, price=45000)
CUPS = SaleLine(code="B2", name="Стакан <b>", unit="piece", quantity=3000, price=1000)


async def paid(world: AppWorld, lines: tuple[SaleLine, ...] = (COFFEE, CUPS)) -> Receipt:
    amount = sum(line.total for line in lines)
    receipt = await make_receipt(
        world.services.store, world.shop, world.clock(), channel=Channel.EMAIL, amount=amount,
        lines=lines,
    )  # fmt: skip
    creds = Credentials(PUBLIC_KEY, SecretStr(PRIVATE_KEY))
    await world.services.receipts.liqpay.invoice_send(
        creds, order_id=receipt.order_id, amount=amount, currency="UAH",
        description=receipt.description, expires_at=world.clock() + timedelta(hours=1),
        email=receipt.contact,
    )  # fmt: skip
    await world.fake.pay(receipt.order_id, card_mask="473118*97")
    done = await world.services.receipts.refresh(receipt)
    assert done.status is ReceiptStatus.PAID
    return done


async def test_the_page_shows_the_goods_and_search_finds_them(world: AppWorld) -> None:
    receipt = await paid(world)
    owner = world.shop.owner_id
    status, page = await world.get(f"/app/api/receipts/{receipt.id}", owner)
    assert status == 200
    lines = page["lines"]
    assert [x["name"] for x in lines] == ["Кава зернова", "Стакан <b>"]  # as text, not HTML
    assert lines[0]["quantity_text"] == "0,25 кг"
    assert lines[0]["price"]["kopecks"] == 45000 and lines[0]["sum"]["kopecks"] == 11250
    assert lines[1]["quantity_text"] == "3 шт." and lines[1]["sum"]["kopecks"] == 3000
    assert lines[0]["returned"] == 0 and lines[0]["left"] == 250
    # several goods: the owner refunds by goods, never an amount (as the chat)
    assert page["actions"]["refund_goods"] and not page["actions"]["refund_amount"]
    status, en = await world.get(f"/app/api/receipts/{receipt.id}", owner, language="en")
    assert en["lines"][1]["quantity_text"] == "3 pcs"
    status, found = await world.get("/app/api/receipts", owner, q="зернова")
    assert [r["id"] for r in found["items"]] == [receipt.id]


async def test_an_amount_of_several_goods_is_refused_as_in_the_chat(world: AppWorld) -> None:
    receipt = await paid(world)
    owner, path = world.shop.owner_id, f"/app/api/receipts/{receipt.id}/refund"
    status, body = await world.post(path + "/preview", owner, {"amount": "10"})
    assert status == 409 and body["error"]
    key = {"key": "cd" * 8, "refunded_before": 0}
    status, body = await world.post(path, owner, {"amount": 1000, **key})
    assert status == 409
    assert world.fake.requests_for("refund") == []


async def test_a_refund_by_goods_goes_once_and_shows_what_came_back(world: AppWorld) -> None:
    receipt = await paid(world)
    owner, path = world.shop.owner_id, f"/app/api/receipts/{receipt.id}/refund"
    status, preview = await world.post(path + "/preview", owner, {"position": 2, "quantity": "2"})
    assert status == 200, preview
    assert preview["amount"]["kopecks"] == 2000 and preview["quantity"] == 2000
    assert "Стакан <b>" in preview["confirm_text"]
    # half a piece is refused as in the chat, and so is more than was sold
    for typed in ("0,5", "4"):
        status, body = await world.post(
            path + "/preview", owner, {"position": 2, "quantity": typed}
        )
        assert status == 409, typed
    body = {"amount": 2000, "key": "ef" * 8, "refunded_before": 0, "position": 2,
            "quantity": 2000}  # fmt: skip
    status, first = await world.post(path, owner, body)
    assert status == 200, first
    status, again = await world.post(path, owner, body)
    assert status == 200 and again["repeated"]
    assert len(world.fake.requests_for("refund")) == 1
    line = first["receipt"]["lines"][1]
    assert line["returned"] == 2000 and line["left"] == 1000
    assert first["receipt"]["refunded"]["kopecks"] == 2000
    # an amount not what the line is worth (a forged or stale confirmation): nothing
    forged = {**body, "key": "01" * 8, "refunded_before": 2000, "quantity": 1000, "amount": 5}
    status, _ = await world.post(path, owner, forged)
    assert status == 409
    assert len(world.fake.requests_for("refund")) == 1
    # the cashier cannot refund
    status, _ = await world.post(path + "/preview", world.shop.cashier_id, {"position": 1})
    assert status in (404, 409)


async def test_register_and_retry_fiscal_through_the_sales_service(world: AppWorld) -> None:
    store, box = world.services.store, world.box
    receipt = await paid(world, (COFFEE,))
    owner, path = world.shop.owner_id, f"/app/api/receipts/{receipt.id}/register"
    status, body = await world.post(path, owner)
    assert status == 409 and body["error"]  # fiscalization is not set up: told, nothing queued
    await store.fiscal.save_credentials(
        world.shop.shop_id, box.encrypt("key"), box.encrypt("pin"), None, world.clock()
    )
    await store.fiscal.update(world.shop.shop_id, FiscalSettingsChanges(tax_code=8))
    failed = await store.receipts.fiscal_transition(
        receipt.id, expected=[receipt.fiscal_state], new=FiscalState.FAILED,
        source=EventSource.POLL, now=world.clock(),
    )  # fmt: skip
    assert failed is not None
    status, page = await world.get(f"/app/api/receipts/{receipt.id}", world.shop.cashier_id)
    assert page["actions"]["register"]  # Retry, for the cashier too, as in the chat
    for _ in range(2):  # a double tap
        status, body = await world.post(path, world.shop.cashier_id)
        assert status == 200, body
        assert body["message"]
    assert body["receipt"]["fiscal_state"] == FiscalState.NOT_REGISTERED.value
    jobs = await store.jobs.find(kind="fiscal.sale", receipt_id=receipt.id)
    assert len(jobs) == 1
    assert jobs[0].dedupe_key == f"fiscal.sale:{receipt.id}:{failed.fiscal_attempt + 1}"


async def test_resend_sms_only_where_the_chat_offers_it(world: AppWorld) -> None:
    store = world.services.store
    by_sms = await make_receipt(store, world.shop, world.clock(), channel=Channel.SMS)
    by_mail = await make_receipt(store, world.shop, world.clock(), channel=Channel.EMAIL)
    cashier = world.shop.cashier_id
    status, page = await world.get(f"/app/api/receipts/{by_sms.id}", cashier)
    assert page["actions"]["sms"]
    status, page = await world.get(f"/app/api/receipts/{by_mail.id}", cashier)
    assert not page["actions"]["sms"]
    status, body = await world.post(f"/app/api/receipts/{by_mail.id}/sms", cashier)
    assert status == 409
    # the shop has no SMS gateway: the chat's words for it
    status, body = await world.post(f"/app/api/receipts/{by_sms.id}/sms", cashier)
    assert status == 502
    assert "TurboSMS" in body["error"] or "SMS" in body["error"]
