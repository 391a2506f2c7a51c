"""Contract: shops, members, invites, settings and key pairs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.models import IntegrityViolation, InviteOutcome, Member, Role, SettingsChanges
from storage.protocols import Store
from tests.contract.helpers import T0, at, make_shop


async def test_a_shop_starts_with_its_owner_and_default_settings(store: Store) -> None:
    owner = await make_shop(store, owner_id=10)
    assert owner == Member(owner.shop_id, "Shop 10", 10, Role.OWNER, "Owner 10")
    assert owner.is_owner
    assert await store.shops.get_member(10) == owner
    assert await store.shops.get_member(11) is None
    settings = await store.settings.get(owner.shop_id)
    assert (settings.public_key, settings.private_key_enc) == (None, None)
    assert (settings.api_version, settings.invoice_lifetime, settings.currency) == (3, 86400, "UAH")
    assert not settings.has_keys and not settings.has_sms


async def test_an_owner_belongs_to_one_shop_only(store: Store) -> None:
    await make_shop(store, owner_id=10)
    with pytest.raises(IntegrityViolation):
        await make_shop(store, owner_id=10)
    other = await make_shop(store, owner_id=20)
    assert (await store.shops.get_member(20)) == other


async def test_settings_of_an_unknown_shop_are_a_lookup_error(store: Store) -> None:
    with pytest.raises(LookupError):
        await store.settings.get(404)


async def test_members_owners_first_then_by_joining_time(store: Store) -> None:
    owner = await make_shop(store, owner_id=1)
    for n, user in enumerate((30, 20, 40), start=1):
        await store.shops.create_invite(owner.shop_id, f"t{user}", 1, T0, at(3600))
        outcome, _ = await store.shops.redeem_invite(f"t{user}", user, f"C{user}", at(n))
        assert outcome is InviteOutcome.JOINED
    members = await store.shops.list_members(owner.shop_id)
    assert [m.user_id for m in members] == [1, 30, 20, 40]
    assert [m.role for m in members] == [Role.OWNER] + [Role.CASHIER] * 3
    assert await store.shops.member_ids(owner.shop_id) == [1, 30, 20, 40]
    assert await store.shops.member_ids(owner.shop_id, Role.CASHIER) == [30, 20, 40]
    assert await store.shops.member_ids(owner.shop_id, Role.OWNER) == [1]


async def test_only_cashiers_are_removed(store: Store) -> None:
    owner = await make_shop(store, owner_id=1)
    await store.shops.create_invite(owner.shop_id, "t", 1, T0, at(3600))
    await store.shops.redeem_invite("t", 2, "C", T0)
    assert not await store.shops.remove_cashier(owner.shop_id, 1)
    assert not await store.shops.remove_cashier(owner.shop_id + 1, 2)
    assert await store.shops.remove_cashier(owner.shop_id, 2)
    assert not await store.shops.remove_cashier(owner.shop_id, 2)
    assert await store.shops.get_member(2) is None
    assert await store.shops.get_member(1) == owner


async def test_invite_outcomes(store: Store) -> None:
    owner = await make_shop(store, owner_id=1)
    other = await make_shop(store, owner_id=9)
    shop = owner.shop_id
    await store.shops.create_invite(shop, "fresh", 1, T0, at(3600))
    await store.shops.create_invite(shop, "old", 1, T0, at(60))

    assert await store.shops.redeem_invite("nope", 2, "C", T0) == (InviteOutcome.UNKNOWN, None)
    # valid while now < expires_at
    assert await store.shops.redeem_invite("old", 2, "C", at(60)) == (InviteOutcome.EXPIRED, None)
    # a member of another shop: told so, and the invite is not spent
    assert await store.shops.redeem_invite("fresh", 9, "O", T0) == (
        InviteOutcome.ALREADY_MEMBER,
        other,
    )
    outcome, member = await store.shops.redeem_invite("fresh", 2, "Cashier", at(1))
    assert outcome is InviteOutcome.JOINED
    assert member == Member(shop, "Shop 1", 2, Role.CASHIER, "Cashier")
    assert await store.shops.get_member(2) == member
    assert await store.shops.redeem_invite("fresh", 3, "C", at(2)) == (InviteOutcome.USED, None)
    assert await store.shops.get_member(3) is None


async def test_keys_every_pair_used_is_remembered(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    assert await store.settings.key_pair(shop, "pub-1") is None
    await store.settings.save_keys(shop, "pub-1", b"\x00enc-1\xff", False, T0)
    await store.settings.save_keys(shop, "pub-2", b"enc-2", True, at(1))
    settings = await store.settings.get(shop)
    assert (settings.public_key, settings.private_key_enc) == ("pub-2", b"enc-2")
    assert settings.has_keys
    assert await store.settings.key_pair(shop, "pub-1") == b"\x00enc-1\xff"
    assert await store.settings.key_pair(shop, "pub-2") == b"enc-2"
    await store.settings.save_keys(shop, "pub-1", b"enc-1-again", False, at(2))
    assert await store.settings.key_pair(shop, "pub-1") == b"enc-1-again"
    assert (await store.settings.get(shop)).public_key == "pub-1"
    other = (await make_shop(store, owner_id=2)).shop_id
    assert await store.settings.key_pair(other, "pub-1") is None


async def test_settings_changes_set_only_what_is_assigned(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    await store.settings.update(shop, SettingsChanges())
    await store.settings.update(shop, SettingsChanges(currency="USD"))
    await store.settings.update(shop, SettingsChanges(api_version=7, invoice_lifetime=600))
    settings = await store.settings.get(shop)
    assert (settings.api_version, settings.invoice_lifetime, settings.currency) == (7, 600, "USD")


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
    shop = (await make_shop(store)).shop_id
    with pytest.raises(IntegrityViolation):
        await store.settings.update(shop, changes)
    settings = await store.settings.get(shop)
    assert (settings.api_version, settings.invoice_lifetime, settings.currency) == (3, 86400, "UAH")


async def test_sms_gateway(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    await store.settings.save_sms_gateway(shop, b"token-enc", "Shop")
    settings = await store.settings.get(shop)
    assert (settings.sms_token_enc, settings.sms_sender) == (b"token-enc", "Shop")
    assert settings.has_sms


async def test_expired_invite_just_before_its_end_is_still_valid(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    await store.shops.create_invite(shop, "t", 1, T0, T0 + timedelta(seconds=60))
    outcome, _ = await store.shops.redeem_invite("t", 2, "C", T0 + timedelta(seconds=59.5))
    assert outcome is InviteOutcome.JOINED
