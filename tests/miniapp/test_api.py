"""The Mini App's API on every engine: who sees what, the registry's pages and filters, and
a refund made once through the refund service."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from pydantic import SecretStr

from services.liqpay.signing import Credentials
from storage.models.lines import SaleLine
from storage.models.receipts import Channel, Receipt, ReceiptStatus
from storage.models.refunds import NewRefund
from tests.builders import PRIVATE_KEY, PUBLIC_KEY, make_receipt, make_shop
from tests.miniapp.conftest import AppWorld
from tests.miniapp.initdata import sign_init_data

STRANGER = 9999


async def paid(world: AppWorld, amount: int = 25050, lines: tuple[SaleLine, ...] = ()) -> Receipt:
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


async def test_refused_without_a_good_signature(world: AppWorld) -> None:
    owner = world.shop.owner_id
    good = sign_init_data(owner, world.clock())
    tampered = dict(parse_qsl(good))
    tampered["user"] = tampered["user"].replace(str(owner), str(owner + 1))
    old = sign_init_data(owner, world.clock() - timedelta(days=2))
    other = sign_init_data(owner, world.clock(), token="43:OTHER-token-abcdefghijklmnopqrs")
    for header in ("", "tma", f"Bearer {good}", f"tma {urlencode(tampered)}", f"tma {old}",
                   f"tma {other}"):  # fmt: skip
        async with world.client.get("/app/api/today", headers={"Authorization": header}) as r:
            assert r.status == 401
            assert await r.json() == {"error": ""}
    async with world.client.get("/app/api/today", headers={"Authorization": f"tma {good}"}) as r:
        assert r.status == 200
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors https://web.telegram.org" in r.headers["Content-Security-Policy"]


async def test_a_stranger_sees_nothing(world: AppWorld) -> None:
    for path in ("/app/api/today", "/app/api/receipts", "/app/api/settings"):
        status, body = await world.get(path, STRANGER)
        assert status == 403
        assert "receipt" not in str(body).lower() or "items" not in body


async def test_today_counts_the_shop_and_names_what_needs_attention(world: AppWorld) -> None:
    one = await paid(world, 10000)
    await paid(world, 5050)
    await make_receipt(world.services.store, world.shop, world.clock(), amount=777)
    status, body = await world.get("/app/api/today", world.shop.owner_id)
    assert status == 200
    assert body["paid"]["kopecks"] == 15050
    assert body["paid"]["count"] == 2
    assert body["awaiting"] == {"kopecks": 777, "text": "7,77\u00a0UAH", "count": 1}
    assert body["attention_total"] == 0 or one.id in [r["id"] for r in body["attention"]]
    assert PRIVATE_KEY not in str(body) and PUBLIC_KEY not in str(body)


async def test_pages_and_filters(world: AppWorld) -> None:
    store = world.services.store
    made = [await make_receipt(store, world.shop, world.clock(), amount=100 + i) for i in range(5)]
    bought = await paid(world, 125000)
    owner = world.shop.owner_id
    status, first = await world.get("/app/api/receipts", owner, limit="3")
    assert status == 200
    assert [r["id"] for r in first["items"]] == [bought.id, made[4].id, made[3].id]
    status, second = await world.get("/app/api/receipts", owner, limit="3", before=first["next"])
    assert [r["id"] for r in second["items"]] == [made[2].id, made[1].id, made[0].id]
    _, by_amount = await world.get("/app/api/receipts", owner, q="1 250")
    assert [r["id"] for r in by_amount["items"]] == [bought.id]
    _, by_status = await world.get("/app/api/receipts", owner, status="paid")
    assert [r["id"] for r in by_status["items"]] == [bought.id]
    _, by_channel = await world.get("/app/api/receipts", owner, channel="email")
    assert [r["id"] for r in by_channel["items"]] == [bought.id]
    for bad in ({"status": "nope"}, {"limit": "0"}, {"limit": "x"}, {"from": "2026-13-01"},
                {"evil": "1"}, {"from": "2026-12-02", "to": "2026-12-01"}):  # fmt: skip
        status, body = await world.get("/app/api/receipts", owner, **bad)
        assert status == 400, bad
        assert body["error"]
    status, body = await world.get("/app/api/receipts", owner, status="nope")
    assert "фільтр" in body["error"].lower()


async def test_a_cashier_sees_only_their_own_and_no_other_shop(world: AppWorld) -> None:
    store = world.services.store
    own = await make_receipt(store, world.shop, world.clock())
    other_shop = await make_shop(
        store, world.services.receipts.box, world.clock(), owner_id=3003, cashier_id=4004
    )
    theirs = await make_receipt(store, other_shop, world.clock())
    owner, cashier = world.shop.owner_id, world.shop.cashier_id
    _, listed = await world.get("/app/api/receipts", cashier)
    assert [r["id"] for r in listed["items"]] == [own.id]
    status, _ = await world.get("/app/api/receipts", cashier, cashier=str(owner))
    assert status == 403
    status, _ = await world.get(f"/app/api/receipts/{theirs.id}", owner)
    assert status == 404
    status, _ = await world.post(f"/app/api/receipts/{theirs.id}/cancel", owner)
    assert status == 404
    status, _ = await world.get("/app/api/settings", cashier)
    assert status == 403
    _, listed = await world.get("/app/api/receipts", owner)
    assert theirs.id not in [r["id"] for r in listed["items"]]


async def test_a_refund_twice_tapped_goes_once(world: AppWorld) -> None:
    receipt = await paid(world, 20000)
    owner, path = world.shop.owner_id, f"/app/api/receipts/{receipt.id}/refund"
    status, preview = await world.post(path + "/preview", owner, {"amount": "50"})
    assert status == 200
    assert preview["amount"]["kopecks"] == 5000
    body = {"amount": 5000, "key": "ab" * 8, "refunded_before": preview["refunded_before"]}
    status, first = await world.post(path, owner, body)
    assert status == 200, first
    status, again = await world.post(path, owner, body)
    assert status == 200
    assert again["repeated"]
    assert len(world.fake.requests_for("refund")) == 1
    assert first["receipt"]["refunded"]["kopecks"] == 5000
    status, body = await world.post(path + "/preview", world.shop.cashier_id, {"amount": "1"})
    assert status in (404, 409)
    status, body = await world.post(path + "/preview", owner, {"amount": "999"})
    assert status == 409


async def test_the_page_and_its_files_carry_the_headers(world: AppWorld) -> None:
    async with world.client.get("/app/") as r:
        assert r.status == 200
        html = await r.text()
        assert "<script" in html and "onclick" not in html
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self' https://telegram.org" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["Referrer-Policy"] == "no-referrer"
    async with world.client.get("/app/static/app.js") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/javascript")
    async with world.client.get("/app/static/..%2Fweb.py") as r:
        assert r.status == 404


async def test_today_names_refunds_under_way_to_the_owner(world: AppWorld) -> None:
    receipt = await paid(world, 30000)
    refund, created = await world.services.store.refunds.reserve(
        NewRefund(receipt.id, 1000, "app:test", world.shop.owner_id, 0), world.clock()
    )
    assert created and refund is not None
    _, body = await world.get("/app/api/today", world.shop.owner_id)
    assert [r["id"] for r in body["refunding"]] == [receipt.id]
    _, body = await world.get("/app/api/today", world.shop.cashier_id)
    assert body["refunding"] == [] and body["attention"] == []
    _, listed = await world.get("/app/api/receipts", world.shop.owner_id, refunding="1")
    assert [r["id"] for r in listed["items"]] == [receipt.id]
    status, _ = await world.get("/app/api/receipts", world.shop.owner_id, refunding="yes")
    assert status == 400


async def test_the_catalogue_through_its_service(world: AppWorld) -> None:
    owner, cashier = world.shop.owner_id, world.shop.cashier_id
    status, item = await world.post(
        "/app/api/catalogue", owner, {"name": "<b>Кава</b>", "price": "45,50"}
    )
    assert status == 200 and item["price"] == 4550 and item["name"] == "<b>Кава</b>"
    status, body = await world.post("/app/api/catalogue", owner, {"name": "X", "price": "0"})
    assert status == 400 and body["error"]
    status, _ = await world.post("/app/api/catalogue", cashier, {"name": "Tea"})
    assert status == 403
    path = f"/app/api/catalogue/{item['id']}"
    status, edited = await world.post(path, owner, {"field": "price", "value": "50"})
    assert status == 200 and edited["price"] == 5000
    status, _ = await world.post(path, owner, {"field": "evil", "value": "1"})
    assert status == 400
    status, archived = await world.post(path, owner, {"archived": True})
    assert archived["archived"] is True
    _, listed = await world.get("/app/api/catalogue", cashier, q="Кава")
    assert listed["items"] == [] and listed["owner"] is False
    _, listed = await world.get("/app/api/catalogue", owner, q="Кава")
    assert [i["id"] for i in listed["items"]] == [item["id"]] and listed["owner"] is True


async def test_the_report_names_the_items_sold(world: AppWorld) -> None:
    coffee = SaleLine("C1", "Кава <b>", "piece", 2000, 4500, item_id=1)
    cheese = SaleLine("C2", "Сир", "kg", 250, 40000, item_id=2)
    await paid(world, amount=coffee.total + cheese.total, lines=(coffee, cheese))
    status, body = await world.get("/app/api/reports?period=today", world.shop.owner_id)
    assert status == 200
    assert body["by_item"] == [
        {"name": "Сир", "quantity_text": "0,25 кг", "kopecks": 10000, "text": "100,00\u00a0UAH"},
        {"name": "Кава <b>", "quantity_text": "2 шт.", "kopecks": 9000, "text": "90,00\u00a0UAH"},
    ]
    status, body = await world.get("/app/api/reports?period=today", STRANGER)
    assert status == 403


async def test_odd_dates_and_control_characters_are_refused_or_dropped(world: AppWorld) -> None:
    owner = world.shop.owner_id
    for far in ({"to": "9999-12-31"}, {"from": "0001-01-01"}):
        status, body = await world.get("/app/api/receipts", owner, **far)
        assert status == 400 and body["error"]
    status, _ = await world.get("/app/api/receipts", owner, q="\x00")
    assert status == 200
    status, _ = await world.get("/app/api/catalogue", owner, q="ка\x00ва")
    assert status == 200


async def test_a_receipts_page_tells_no_internal_detail(world: AppWorld) -> None:
    """The event log's internal detail (user ids, HTTP errors) stays in the store."""
    receipt = await paid(world)
    status, body = await world.get(f"/app/api/receipts/{receipt.id}", world.shop.owner_id)
    assert status == 200 and body["events"]
    assert all("detail" not in event for event in body["events"])
