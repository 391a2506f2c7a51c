"""Contract: shops, members and invites (redeemed atomically), settings and key pairs,
users' languages, dialog state, health, and reopening the same database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey

from bot.fsm_storage import StoreFsmStorage
from storage.models.common import IntegrityViolation
from storage.models.jobs import NewJob
from storage.models.settings import SettingsChanges
from storage.models.shops import InviteOutcome, Member, Role
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import new_draft
from tests.contract.engines import Opener

DAY = timedelta(hours=24)


# shops and members


async def test_a_shop_starts_with_its_owner_and_defaults(store: Store, clock: FakeClock) -> None:
    owner = await store.shops.create_shop(1, "Olena", "Квіти", clock())
    assert owner == Member(owner.shop_id, "Квіти", 1, Role.OWNER, "Olena")
    assert await store.shops.get_member(1) == owner
    settings = await store.settings.get(owner.shop_id)
    assert (settings.public_key, settings.private_key_enc) == (None, None)
    assert (settings.api_version, settings.invoice_lifetime, settings.currency) == (3, 86400, "UAH")
    assert not settings.has_sms


async def test_member_and_language_in_one_read(store: Store, clock: FakeClock) -> None:
    assert await store.users.member_and_language(7) == (None, None)
    await store.users.set_telegram_language(7, "en")
    assert await store.users.member_and_language(7) == (None, None)  # only a /lang choice
    await store.users.set_language(7, "uk")
    assert await store.users.member_and_language(7) == (None, "uk")
    owner = await store.shops.create_shop(1, "Olena", "Квіти", clock())
    assert await store.users.member_and_language(1) == (owner, None)
    await store.users.set_language(1, "en")
    assert await store.users.member_and_language(1) == (owner, "en")


async def test_a_user_owns_at_most_one_shop(store: Store, clock: FakeClock) -> None:
    await make_owner(store, clock, owner_id=1)
    with pytest.raises(IntegrityViolation):
        await make_owner(store, clock, owner_id=1)


async def test_members_and_removal(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock, owner_id=1)
    for user in (42, 43):
        token = f"tok-{user}"
        await store.shops.create_invite(shop.shop_id, token, 1, clock(), clock() + DAY)
        clock.advance(seconds=1)
        assert (await store.shops.redeem_invite(token, user, f"U{user}", clock()))[0] is (
            InviteOutcome.JOINED
        )
    assert [m.user_id for m in await store.shops.list_members(shop.shop_id)] == [1, 42, 43]
    assert await store.shops.member_ids(shop.shop_id) == [1, 42, 43]
    assert await store.shops.member_ids(shop.shop_id, Role.OWNER) == [1]
    assert await store.shops.member_ids(shop.shop_id, Role.CASHIER) == [42, 43]
    assert await store.shops.remove_cashier(shop.shop_id, 1) is False  # an owner stays
    assert await store.shops.remove_cashier(shop.shop_id, 42) is True
    assert await store.shops.remove_cashier(shop.shop_id, 42) is False
    assert await store.shops.get_member(42) is None
    assert await store.shops.member_ids(shop.shop_id) == [1, 43]


# invites


async def test_invite_joined(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.shops.create_invite(shop.shop_id, "tok", 1, clock(), clock() + DAY)
    outcome, member = await store.shops.redeem_invite("tok", 42, "Olena", clock())
    assert outcome is InviteOutcome.JOINED
    expected = Member(shop.shop_id, shop.shop_name, 42, Role.CASHIER, "Olena")
    assert member == expected
    assert await store.shops.get_member(42) == expected


async def test_invite_unknown(store: Store, clock: FakeClock) -> None:
    await make_owner(store, clock)
    outcome = await store.shops.redeem_invite("nope", 42, "Olena", clock())
    assert outcome == (InviteOutcome.UNKNOWN, None)
    assert await store.shops.get_member(42) is None


async def test_invite_used(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.shops.create_invite(shop.shop_id, "tok", 1, clock(), clock() + DAY)
    assert (await store.shops.redeem_invite("tok", 42, "Olena", clock()))[0] is InviteOutcome.JOINED
    assert await store.shops.redeem_invite("tok", 43, "Taras", clock()) == (
        InviteOutcome.USED,
        None,
    )
    assert await store.shops.get_member(43) is None


async def test_invite_expired(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.shops.create_invite(shop.shop_id, "tok", 1, clock(), clock() + DAY)
    clock.advance(hours=24)  # exactly at expiry: no longer valid
    outcome = await store.shops.redeem_invite("tok", 42, "Olena", clock())
    assert outcome == (InviteOutcome.EXPIRED, None)
    assert await store.shops.get_member(42) is None


async def test_invite_valid_just_before_expiry(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.shops.create_invite(shop.shop_id, "tok", 1, clock(), clock() + DAY)
    clock.advance(hours=23, minutes=59)
    assert (await store.shops.redeem_invite("tok", 42, "Olena", clock()))[0] is InviteOutcome.JOINED


async def test_invite_already_member(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock, owner_id=1)
    other = await make_owner(store, clock, owner_id=2)
    await store.shops.create_invite(shop.shop_id, "tok", 1, clock(), clock() + DAY)
    outcome, member = await store.shops.redeem_invite("tok", 2, "Owner 2", clock())
    assert outcome is InviteOutcome.ALREADY_MEMBER
    assert member == other  # still the owner of the other shop
    assert await store.shops.get_member(2) == other
    # The invite was not spent on them.
    assert (await store.shops.redeem_invite("tok", 42, "Olena", clock()))[0] is InviteOutcome.JOINED


async def test_an_invite_is_redeemed_once_under_concurrency(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.shops.create_invite(shop.shop_id, "tok", 1, clock(), clock() + DAY)
    results = await asyncio.gather(
        *(store.shops.redeem_invite("tok", 100 + n, f"U{n}", clock()) for n in range(12))
    )
    outcomes = [outcome for outcome, _ in results]
    assert outcomes.count(InviteOutcome.JOINED) == 1
    assert outcomes.count(InviteOutcome.USED) == 11
    [joined] = [member for outcome, member in results if outcome is InviteOutcome.JOINED]
    assert joined is not None
    assert await store.shops.member_ids(shop.shop_id, Role.CASHIER) == [joined.user_id]


# settings and key pairs


async def test_settings_changes_set_only_what_is_given(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.settings.update(shop.shop_id, SettingsChanges(currency="USD"))
    await store.settings.update(shop.shop_id, SettingsChanges(invoice_lifetime=3600, api_version=7))
    await store.settings.update(shop.shop_id, SettingsChanges())
    settings = await store.settings.get(shop.shop_id)
    assert (settings.currency, settings.invoice_lifetime, settings.api_version) == ("USD", 3600, 7)
    with pytest.raises(IntegrityViolation):
        await store.settings.update(shop.shop_id, SettingsChanges(currency="XYZ"))
    with pytest.raises(LookupError):
        await store.settings.get(999)


async def test_key_pairs_are_remembered(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.settings.save_keys(shop.shop_id, "pub-1", b"enc-1", True, clock())
    await store.settings.save_keys(shop.shop_id, "pub-2", b"enc-2", False, clock())
    settings = await store.settings.get(shop.shop_id)
    assert (settings.public_key, settings.private_key_enc) == ("pub-2", b"enc-2")
    assert await store.settings.key_pair(shop.shop_id, "pub-1") == b"enc-1"
    assert await store.settings.key_pair(shop.shop_id, "pub-2") == b"enc-2"
    assert await store.settings.key_pair(shop.shop_id, "pub-3") is None
    other = await make_owner(store, clock, owner_id=2)
    assert await store.settings.key_pair(other.shop_id, "pub-1") is None  # per shop
    await store.settings.save_keys(shop.shop_id, "pub-1", b"enc-1b", True, clock())
    assert await store.settings.key_pair(shop.shop_id, "pub-1") == b"enc-1b"


async def test_sms_gateway(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.settings.save_sms_gateway(shop.shop_id, b"token-enc", "Shop")
    settings = await store.settings.get(shop.shop_id)
    assert (settings.sms_token_enc, settings.sms_sender, settings.has_sms) == (
        b"token-enc",
        "Shop",
        True,
    )


# users and dialogs


async def test_languages(store: Store) -> None:
    assert await store.users.language(7) is None
    await store.users.set_telegram_language(7, "en")
    assert (await store.users.language(7), await store.users.chosen_language(7)) == ("en", None)
    await store.users.set_language(7, "uk")
    await store.users.set_telegram_language(7, "en")
    assert (await store.users.language(7), await store.users.chosen_language(7)) == ("uk", "uk")


async def test_dialog_state_and_data(store: Store) -> None:
    dialogs = store.dialogs
    assert (await dialogs.get_state("k"), await dialogs.get_data("k")) == (None, {})
    await dialogs.set_data("k", {"amount": 25050, "note": "Кава", "items": [1, 2]})
    await dialogs.set_state("k", "Invoice:amount")
    assert await dialogs.get_state("k") == "Invoice:amount"
    assert await dialogs.get_data("k") == {"amount": 25050, "note": "Кава", "items": [1, 2]}
    await dialogs.set_state("k", None)
    await dialogs.set_data("k", {})
    assert (await dialogs.get_state("k"), await dialogs.get_data("k")) == (None, {})
    assert await dialogs.get_state("other") is None


async def test_the_aiogram_storage_over_dialogs(store: Store) -> None:
    fsm = StoreFsmStorage(store.dialogs)
    key = StorageKey(bot_id=1, chat_id=2, user_id=3)
    await fsm.set_state(key, State("amount", "Invoice"))
    await fsm.update_data(key, {"amount": 100})
    assert await fsm.get_state(key) == "Invoice:amount"
    assert await fsm.get_data(key) == {"amount": 100}
    assert await fsm.get_state(StorageKey(bot_id=1, chat_id=2, user_id=4)) is None


# the store as a whole


async def test_health(store: Store, clock: FakeClock) -> None:
    health = await store.health(clock())
    assert health.engine and health.schema_version > 0 and health.jobs_pending == 0


async def test_reopening_keeps_everything(open_store: Opener, clock: FakeClock) -> None:
    first = await open_store()
    try:
        shop = await make_owner(first, clock)
        await first.dialogs.set_data("k", {"a": 1})
        version = (await first.health()).schema_version
    finally:
        await first.close()
    second = await open_store()
    try:
        assert await second.shops.get_member(1) == shop
        assert await second.dialogs.get_data("k") == {"a": 1}
        assert (await second.health()).schema_version == version
    finally:
        await second.close()


async def test_unreadable_keys_are_alerted_once_until_keys_are_saved(
    open_store: Opener, clock: FakeClock
) -> None:
    alert = NewJob("notify", {"chat_id": 1, "kind": "keys_unreadable"}, group_key="chat:1")
    store = await open_store()
    try:
        shop = await make_owner(store, clock)
        draft = new_draft(shop.shop_id, clock, key="k")
        receipt, _ = await store.receipts.create_draft(draft, clock())

        async def tell(target: Store) -> bool:
            return await target.settings.alert_unreadable_keys(
                shop.shop_id, receipt.id, now=clock(), jobs=[alert]
            )

        assert await tell(store) is True
        assert await tell(store) is False
    finally:
        await store.close()
    store = await open_store()  # a restart does not repeat it
    try:
        assert await tell(store) is False
        assert [j.receipt_id for j in await store.jobs.find(kind="notify")] == [receipt.id]
        await store.settings.save_keys(shop.shop_id, "sandbox_i1", b"sealed", True, clock())
        assert await tell(store) is True  # keys saved, then unreadable again: a new alert
        assert len(await store.jobs.find(kind="notify")) == 2
    finally:
        await store.close()
