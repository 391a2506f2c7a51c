"""The Checkbox client's offline mode against the stand-in: codes asked while online and
used once, go-offline not before the last document, sell-offline only offline and dated as
asked, go-online sending what was made offline (docs/checkbox-offline.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.checkbox.client import CheckboxClient
from services.fiscal.registrar import FiscalRefused, FiscalStatus
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.checkbox_offline import BAD_CODE, DATE_BEFORE_LAST, NOT_OFFLINE
from tests.fiscal.test_checkbox_client import CREDS, LICENSE, a_sale, client, fake, http

__all__ = ["client", "fake", "http"]  # the fixtures


async def test_offline_mode_round_trip(client: CheckboxClient, fake: FakeCheckbox) -> None:
    online = await client.register_sale(CREDS, a_sale("1-aaaaaaaaaaaaaaaaaaaa"))
    assert online.status is FiscalStatus.DONE and not online.created_offline
    codes = await client.ask_offline_codes(CREDS, 5)
    assert len(codes) == 5 and len(set(codes)) == 5
    assert await client.ask_offline_codes(CREDS, 5) == codes  # the same until used
    late = a_sale("2-bbbbbbbbbbbbbbbbbbbb")
    with pytest.raises(FiscalRefused) as refused:  # not offline yet
        await client.sell_offline(CREDS, late, codes[1], datetime.now(UTC))
    assert refused.value.message == NOT_OFFLINE
    before = (online.fiscal_date or datetime.now(UTC)) - timedelta(minutes=1)
    with pytest.raises(FiscalRefused) as refused:  # before the last document
        await client.go_offline(CREDS, before, codes[0])
    assert refused.value.message == DATE_BEFORE_LAST
    paid_at = datetime.now(UTC)
    await client.go_offline(CREDS, paid_at, codes[0])
    with pytest.raises(FiscalRefused) as refused:  # the go-offline's code, used
        await client.sell_offline(CREDS, late, codes[0], paid_at)
    assert refused.value.message == BAD_CODE
    made = await client.sell_offline(CREDS, late, codes[1], paid_at)
    assert made.status is FiscalStatus.DONE and made.created_offline and not made.sent_to_tax
    assert made.fiscal_date == paid_at and made.fiscal_code == codes[1]
    assert fake.requests_to("POST", "/api/v1/receipts/sell-offline")[-1].body["fiscal_date"] == (
        paid_at.isoformat()
    )
    assert (await client.offline_time(CREDS)).current > timedelta(0)
    await client.go_online(CREDS)
    await client.go_online(CREDS)  # harmless when online
    found = await client.find(CREDS, late.receipt_id)
    assert found is not None and found.created_offline and found.sent_to_tax
    assert not fake.offline.of(LICENSE).offline
    assert (await client.offline_time(CREDS)).month > timedelta(0)
    assert set(await client.ask_offline_codes(CREDS, 5)).isdisjoint(codes[:2])
