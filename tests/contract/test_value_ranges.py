"""Contract: values and schema rules a second engine could get wrong — 64-bit ids and
amounts, bytes and JSON that round-trip exactly, the schema's CHECKs, ordering by joining
time (not by id), and the namespace groups and slot timelines share."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from storage.models.common import IntegrityViolation
from storage.models.jobs import NewJob
from storage.models.settings import SettingsChanges
from storage.models.shops import InviteOutcome
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.contract.helpers import T0, at, new_draft

LEASE = timedelta(seconds=30)


async def claimed(store: Store, kind: str, now: float) -> list[int]:
    jobs = await store.jobs.claim(kind, "w", limit=10, lease=LEASE, now=at(now))
    return [job.id for job in jobs]


async def test_ids_and_amounts_beyond_32_bits(store: Store) -> None:
    user = 2**40 + 7  # Telegram ids outgrew 32 bits; chat ids of groups are negative
    shop = (await make_owner(store, owner_id=user)).shop_id
    draft = replace(new_draft(shop, "big", cashier_id=user), amount=2**40)
    receipt, _ = await store.receipts.create_draft(draft, T0)
    assert (receipt.amount, receipt.cashier_id) == (2**40, user)
    await store.receipts.set_card_message(receipt.id, -1001234567890, 2**35)
    card = await store.receipts.get(receipt.id)
    assert card is not None and (card.card_chat_id, card.card_message_id) == (
        -1001234567890,
        2**35,
    )
    assert await store.shops.member_ids(shop) == [user]
    await store.users.set_language(user, "uk")
    assert await store.users.language(user) == "uk"


async def test_bytes_and_json_round_trip_exactly(store: Store) -> None:
    shop = (await make_owner(store)).shop_id
    blob = bytes(range(256))
    await store.settings.save_keys(shop, "pub", blob, True, T0)
    assert await store.settings.key_pair(shop, "pub") == blob
    assert (await store.settings.get(shop)).private_key_enc == blob
    data = {"amount": 12345, "items": ["Квіти", "ї"], "nested": {"k": [1, 2.5, None, True]}}
    await store.dialogs.set_data("k", data)
    assert await store.dialogs.get_data("k") == data
    await store.jobs.enqueue([NewJob("a", data)], T0)
    [job] = await store.jobs.find(kind="a")
    assert job.payload == data


@pytest.mark.parametrize(
    "changes",
    [
        SettingsChanges(api_version=4),
        SettingsChanges(currency="GBP"),
        SettingsChanges(invoice_lifetime=0),
    ],
)
async def test_settings_outside_the_schemas_rules_are_refused(
    store: Store, changes: SettingsChanges
) -> None:
    shop = (await make_owner(store)).shop_id
    with pytest.raises(IntegrityViolation):
        await store.settings.update(shop, changes)
    settings = await store.settings.get(shop)
    assert (settings.api_version, settings.invoice_lifetime, settings.currency) == (3, 86400, "UAH")


async def test_an_amount_must_be_positive_and_an_order_id_short(store: Store) -> None:
    shop = (await make_owner(store)).shop_id
    with pytest.raises(IntegrityViolation):
        await store.receipts.create_draft(replace(new_draft(shop, "zero"), amount=0), T0)
    with pytest.raises(IntegrityViolation):
        await store.receipts.create_draft(new_draft(shop, "long", order_id="x" * 256), T0)
    receipt, created = await store.receipts.create_draft(new_draft(shop, "ok"), T0)
    assert created and receipt.number == 1  # the refused drafts took no number


async def test_members_by_joining_time_not_by_id(store: Store) -> None:
    shop = (await make_owner(store, owner_id=50)).shop_id
    for n, user in enumerate((30, 20, 40), start=1):
        await store.shops.create_invite(shop, f"t{user}", 50, T0, at(3600))
        outcome, _ = await store.shops.redeem_invite(f"t{user}", user, f"C{user}", at(n))
        assert outcome is InviteOutcome.JOINED
    assert [m.user_id for m in await store.shops.list_members(shop)] == [50, 30, 20, 40]
    assert await store.shops.member_ids(shop) == [50, 30, 20, 40]


async def test_a_group_head_of_another_kind_holds_up_the_group(store: Store) -> None:
    await store.jobs.enqueue([NewJob("x", group_key="g"), NewJob("y", group_key="g")], T0)
    assert await claimed(store, "y", 0) == []


async def test_a_slot_timeline_also_holds_the_group_of_that_name(store: Store) -> None:
    await store.jobs.enqueue([NewJob("n", group_key="chat:9")], T0)
    assert await store.jobs.reserve_slot("chat:9", timedelta(seconds=1), T0) == T0
    assert await claimed(store, "n", 0.5) == []
    assert len(await claimed(store, "n", 1)) == 1


async def test_holding_after_an_ungrouped_job_holds_nothing(store: Store) -> None:
    await store.jobs.enqueue([NewJob("n"), NewJob("n", run_at=at(5))], T0)
    [first] = await claimed(store, "n", 0)
    assert await store.jobs.finish(first, "w", at(1), hold_group_until=at(100))
    assert len(await claimed(store, "n", 5)) == 1
