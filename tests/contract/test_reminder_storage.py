"""Contract: the reminder settings (off by default, set one by one) and receipt totals by
currency with their filters, the same on every engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from storage.models.receipts import CurrencyTotal, EventSource, ReceiptChanges, ReceiptStatus
from storage.models.settings import SettingsChanges
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import new_draft

S = ReceiptStatus


async def test_reminder_settings_are_off_by_default_and_set_one_by_one(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    settings = await store.settings.get(shop.shop_id)
    assert (settings.remind_cashier, settings.remind_customer, settings.digest) == (
        False,
        False,
        False,
    )
    assert (settings.remind_lead, settings.digest_at) == (3600, 1200)
    await store.settings.update(shop.shop_id, SettingsChanges(remind_cashier=True))
    await store.settings.update(shop.shop_id, SettingsChanges(digest=True, digest_at=23 * 60))
    await store.settings.update(shop.shop_id, SettingsChanges(remind_lead=900))
    settings = await store.settings.get(shop.shop_id)
    assert settings.remind_cashier is True and settings.remind_customer is False
    assert (settings.digest, settings.digest_at, settings.remind_lead) == (True, 1380, 900)
    assert (settings.invoice_lifetime, settings.currency) == (86400, "UAH")  # untouched
    await store.settings.update(shop.shop_id, SettingsChanges(remind_cashier=False))
    assert (await store.settings.get(shop.shop_id)).remind_cashier is False


async def test_totals_by_currency_with_filters(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    start = clock()
    made = []
    for n, (cashier, amount, currency) in enumerate(
        [(1, 1000, "UAH"), (1, 250, "UAH"), (2, 40, "UAH"), (2, 7, "USD"), (1, 99, "UAH")]
    ):
        draft = replace(new_draft(shop.shop_id, clock, key=f"tot{n}"), cashier_id=cashier)
        draft = replace(draft, amount=amount, currency=currency, order_id=f"tot-{n}")
        receipt, _ = await store.receipts.create_draft(draft, clock())
        await store.receipts.transition(
            receipt.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=clock()
        )
        made.append(receipt)
    for n, receipt in enumerate(made[:4]):  # paid an hour apart; the last stays awaiting
        await store.receipts.transition(
            receipt.id,
            expected=[S.AWAITING],
            new=S.PAID,
            source=EventSource.CALLBACK,
            now=clock(),
            changes=ReceiptChanges(paid_at=start + timedelta(hours=n)),
        )
    totals = store.receipt_queries.totals
    assert await totals(shop.shop_id, [S.PAID]) == [
        CurrencyTotal("UAH", 3, 1290),
        CurrencyTotal("USD", 1, 7),
    ]
    assert await totals(shop.shop_id, [S.PAID], cashier_id=2) == [
        CurrencyTotal("UAH", 1, 40),
        CurrencyTotal("USD", 1, 7),
    ]
    # [start + 1 h, start + 3 h): the second and third payments
    assert await totals(
        shop.shop_id,
        [S.PAID],
        paid_from=start + timedelta(hours=1),
        paid_until=start + timedelta(hours=3),
    ) == [CurrencyTotal("UAH", 2, 290)]
    expires = made[4].expires_at
    assert await totals(
        shop.shop_id, [S.AWAITING], expires_after=expires - timedelta(seconds=1)
    ) == [CurrencyTotal("UAH", 1, 99)]
    assert await totals(shop.shop_id, [S.AWAITING], expires_after=expires) == []
    assert await totals(shop.shop_id, []) == []
    assert await totals(shop.shop_id + 1, [S.PAID]) == []
