"""services/fiscal/setup.py on a real SQLite store, with CheckboxClient against the stand-in
Checkbox on 127.0.0.1."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from services.checkbox.client import CheckboxClient
from services.core.crypto import SecretBox, fernet_key_from_setting
from services.fiscal.policy import FISCAL_CLOSE_SHIFT
from services.fiscal.registrar import PAYMENT_LABELS, FiscalUnavailable, TaxRate
from services.fiscal.setup import (
    CredentialsCheck,
    FiscalSetupService,
    NotSetUp,
    UnknownTaxRate,
    clean_license_key,
    clean_pin,
    format_close_time,
    mask_key,
    parse_close_time,
    tax_rate_label,
)
from storage.models.fiscal import FiscalMode
from storage.models.shops import Member, Role
from storage.protocols.store import Store
from storage.sqlite.store import SqliteStore
from tests.doubles.checkbox import FakeCheckbox

LICENSE = "test0a1b2c3d4e5f6789"
PIN = "4815162342"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
async def checkbox() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as fake:
        fake.add_register(LICENSE, PIN)
        yield fake


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await SqliteStore.open(tmp_path / "bot.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
async def service(store: Store, checkbox: FakeCheckbox) -> AsyncIterator[FiscalSetupService]:
    async with aiohttp.ClientSession() as http:
        client = CheckboxClient(http, checkbox.url, timeout=2)
        yield FiscalSetupService(client, store.fiscal, box(), store.jobs, clock=lambda: NOW)


def box(secret: str = "fiscal-setup-test-secret") -> SecretBox:
    return SecretBox(fernet_key_from_setting(secret))


@pytest.fixture
async def owner(store: Store) -> Member:
    return await store.shops.create_shop(100, "Olena", "Кав'ярня", NOW)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("23:45", 1425), ("0:00", 0), ("07:05", 425), ("23.59", 1439), (" 22:15 ", 1335)],
)
def test_close_times_that_are_read(text: str, minutes: int) -> None:
    assert parse_close_time(text) == minutes
    assert parse_close_time(format_close_time(minutes)) == minutes


@pytest.mark.parametrize("text", ["24:00", "23:60", "2345", "23:4", "", "soon", "-1:00", "123:00"])
def test_close_times_that_are_not(text: str) -> None:
    assert parse_close_time(text) is None


def test_shapes_of_license_keys_and_pins() -> None:
    assert clean_license_key(f"  {LICENSE}\n") == LICENSE
    for bad in ("short", "a" * 201, "with space inside", "ключ-кирилицею", ""):
        assert clean_license_key(bad) is None, bad
    assert clean_pin(" 1234 ") == "1234"
    for bad in ("123", "1" * 33, "12ab", "12 34", "", "١٢٣٤"):
        assert clean_pin(bad) is None, bad


def test_the_key_is_shown_by_its_last_four_characters_only() -> None:
    assert mask_key(LICENSE) == "••••6789"


def test_tax_rate_labels_in_the_registers_words() -> None:
    assert tax_rate_label(TaxRate(1, "ПДВ", "А", Decimal("20.0"))) == "ПДВ 20%"
    assert tax_rate_label(TaxRate(2, "ПДВ 7%", "Б", Decimal("7"))) == "ПДВ 7%"
    assert tax_rate_label(TaxRate(8, "Без ПДВ", "Б", Decimal(0), no_vat=True)) == "Без ПДВ"
    assert tax_rate_label(TaxRate(3, "", "В", Decimal("1.5"))) == "В 1.5%"


async def test_credentials_are_saved_encrypted_only_after_signing_in(
    service: FiscalSetupService, store: Store, owner: Member, checkbox: FakeCheckbox
) -> None:
    result = await service.check_and_save_credentials(owner, f" {LICENSE} ", f"{PIN}\n")
    assert result.outcome is CredentialsCheck.OK
    assert len(checkbox.sign_ins) == 1
    saved = await store.fiscal.get(owner.shop_id)
    assert saved is not None and saved.configured and saved.enabled
    assert saved.mode is FiscalMode.AUTO and saved.payment_label == PAYMENT_LABELS[0]
    assert saved.license_key_enc is not None and saved.pin_enc is not None
    assert service.box.decrypt(saved.license_key_enc) == LICENSE
    assert service.box.decrypt(saved.pin_enc) == PIN
    assert service.license_key_hint(saved) == "••••6789"
    creds = await service.credentials(owner.shop_id)
    assert creds.license_key.get_secret_value() == LICENSE
    assert LICENSE not in repr(creds) and PIN not in repr(creds)


async def test_a_refusal_saves_nothing_and_never_echoes_a_secret(
    service: FiscalSetupService, store: Store, owner: Member, checkbox: FakeCheckbox
) -> None:
    result = await service.check_and_save_credentials(owner, LICENSE, "1111")
    assert result.outcome is CredentialsCheck.REJECTED
    assert result.message == "Невірний ПІН-код або ліцензійний ключ"
    assert await store.fiscal.get(owner.shop_id) is None
    # a registrar that repeats what it was sent: the words are kept, the secrets are not
    checkbox.fail_next(
        403,
        {"message": f"ПІН {PIN} для {LICENSE} не підходить"},
        path="/api/v1/cashier/signinPinCode",
    )
    result = await service.check_and_save_credentials(owner, LICENSE, PIN)
    assert result.outcome is CredentialsCheck.REJECTED
    assert PIN not in result.message and LICENSE not in result.message
    assert "не підходить" in result.message
    assert await store.fiscal.get(owner.shop_id) is None


async def test_checkbox_down_raises_and_saves_nothing(
    service: FiscalSetupService, store: Store, owner: Member, checkbox: FakeCheckbox
) -> None:
    checkbox.down = True
    with pytest.raises(FiscalUnavailable):
        await service.check_and_save_credentials(owner, LICENSE, PIN)
    assert await store.fiscal.get(owner.shop_id) is None


async def test_malformed_credentials_never_reach_checkbox(
    service: FiscalSetupService, owner: Member, checkbox: FakeCheckbox
) -> None:
    result = await service.check_and_save_credentials(owner, "short", PIN)
    assert result.outcome is CredentialsCheck.MALFORMED
    result = await service.check_and_save_credentials(owner, LICENSE, "12ab")
    assert result.outcome is CredentialsCheck.MALFORMED
    assert checkbox.requests == []


async def test_only_an_owner_sets_it_up(
    service: FiscalSetupService, store: Store, owner: Member
) -> None:
    cashier = Member(owner.shop_id, owner.shop_name, 200, Role.CASHIER, "Ivan")
    with pytest.raises(PermissionError):
        await service.check_and_save_credentials(cashier, LICENSE, PIN)
    await service.check_and_save_credentials(owner, LICENSE, PIN)
    for change in (
        service.set_payment_label(cashier, 1),
        service.set_mode(cashier, FiscalMode.MANUAL),
        service.set_enabled(cashier, False),
        service.set_close_time(cashier, 60),
        service.set_tax_rate(cashier, None),
    ):
        with pytest.raises(PermissionError):
            await change


async def test_settings_before_set_up_raise_not_set_up(
    service: FiscalSetupService, owner: Member, checkbox: FakeCheckbox
) -> None:
    with pytest.raises(NotSetUp):
        await service.set_payment_label(owner, 1)
    with pytest.raises(NotSetUp):
        await service.tax_rates(owner)
    assert checkbox.requests == []


async def test_the_choices(service: FiscalSetupService, owner: Member) -> None:
    await service.check_and_save_credentials(owner, LICENSE, PIN)
    assert (await service.set_payment_label(owner, 1)).payment_label == PAYMENT_LABELS[1]
    for index in (-1, len(PAYMENT_LABELS)):
        with pytest.raises(ValueError):
            await service.set_payment_label(owner, index)
    saved = await service.set_tax_rate(owner, 1)
    assert (saved.tax_code, saved.tax_label) == (1, "ПДВ 20%")
    with pytest.raises(UnknownTaxRate):
        await service.set_tax_rate(owner, 5)
    saved = await service.set_tax_rate(owner, None)
    assert (saved.tax_code, saved.tax_label) == (None, None)
    assert (await service.set_mode(owner, FiscalMode.MANUAL)).mode is FiscalMode.MANUAL
    assert not (await service.set_enabled(owner, False)).enabled
    assert (await service.set_close_time(owner, 22 * 60)).close_shift_at == 22 * 60
    for minutes in (-1, 24 * 60):
        with pytest.raises(ValueError):
            await service.set_close_time(owner, minutes)
    # new credentials keep the choices
    saved_again = await service.check_and_save_credentials(owner, LICENSE, PIN)
    assert saved_again.outcome is CredentialsCheck.OK
    kept = await service.settings(owner.shop_id)
    assert kept is not None and kept.mode is FiscalMode.MANUAL and kept.close_shift_at == 1320


async def test_keys_sealed_under_another_secret_are_not_set_up(
    service: FiscalSetupService, store: Store, owner: Member, checkbox: FakeCheckbox
) -> None:
    await service.check_and_save_credentials(owner, LICENSE, PIN)
    other = FiscalSetupService(service.registrar, store.fiscal, box("another-secret-key"))
    saved = await other.settings(owner.shop_id)
    assert saved is not None and other.license_key_hint(saved) is None
    with pytest.raises(NotSetUp):
        await other.credentials(owner.shop_id)


async def test_the_session_of_the_check_is_kept_for_registering(
    service: FiscalSetupService, store: Store, owner: Member, checkbox: FakeCheckbox
) -> None:
    await service.check_and_save_credentials(owner, LICENSE, PIN)
    saved = await store.fiscal.get(owner.shop_id)
    assert saved is not None and saved.token_enc is not None
    token = service.box.decrypt(saved.token_enc)
    assert token == checkbox.registers[LICENSE].tokens[-1]
    assert token.encode() not in saved.token_enc


async def close_jobs(store: Store) -> list[tuple[int, datetime]]:
    claimed = await store.jobs.claim(
        FISCAL_CLOSE_SHIFT,
        "test",
        limit=10,
        lease=timedelta(minutes=1),
        now=NOW + timedelta(days=2),
    )
    return sorted((job.payload["minutes"], job.run_at) for job in claimed)


async def test_the_shift_close_is_scheduled_at_once_for_the_time_set(
    service: FiscalSetupService, store: Store, owner: Member
) -> None:
    await service.check_and_save_credentials(owner, LICENSE, PIN)
    await service.check_and_save_credentials(owner, LICENSE, PIN)  # a repeat adds none
    await service.set_close_time(owner, 22 * 60)
    await service.set_enabled(owner, False)
    await service.set_close_time(owner, 21 * 60)  # off: nothing is scheduled
    # 10:00 UTC is 12:00 in Kyiv (EET, UTC+2, in December)
    assert await close_jobs(store) == [
        (22 * 60, datetime(2026, 12, 2, 20, 0, tzinfo=UTC)),
        (23 * 60 + 45, datetime(2026, 12, 2, 21, 45, tzinfo=UTC)),
    ]
    await service.set_enabled(owner, True)
    assert await close_jobs(store) == [(21 * 60, datetime(2026, 12, 2, 19, 0, tzinfo=UTC))]


async def test_another_license_key_drops_the_old_registers_offline_state(
    service: FiscalSetupService, store: Store, owner: Member, checkbox: FakeCheckbox,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Offline codes, mode and last document are a register's: a new key is a new register
    (kept by a fingerprint of the key, never the key)."""
    await service.check_and_save_credentials(owner, LICENSE, PIN)
    await store.offline.add_codes(owner.shop_id, ["C1", "C2"], NOW)
    await store.offline.note_document(owner.shop_id, NOW, NOW)
    await service.check_and_save_credentials(owner, LICENSE, PIN)  # the same register again
    assert await store.offline.unused_codes(owner.shop_id) == 2
    assert (await store.offline.register(owner.shop_id)).last_document_at == NOW
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        [(kept,)] = db.execute("SELECT register_key FROM offline_registers").fetchall()
    assert kept == service.box.fingerprint(LICENSE) and LICENSE not in kept
    checkbox.add_register("test9f8e7d6c5b4a3210", PIN)
    await service.check_and_save_credentials(owner, "test9f8e7d6c5b4a3210", PIN)
    assert await store.offline.unused_codes(owner.shop_id) == 0
    assert (await store.offline.register(owner.shop_id)).last_document_at is None
