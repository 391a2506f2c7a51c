"""Contract: fiscal registrar settings (store.fiscal) and the fiscal dimension of paid
receipts — compare-and-set with its event and jobs in one transaction, listings, totals."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.models.common import IntegrityViolation
from storage.models.fiscal import (
    DEFAULT_CLOSE_SHIFT_AT,
    DEFAULT_FISCAL_PAYMENT_LABEL,
    FiscalChanges,
    FiscalMode,
    FiscalSettingsChanges,
    FiscalState,
    FiscalTotals,
)
from storage.models.jobs import JobState, NewJob
from storage.models.receipts import EventSource, Receipt, ReceiptChanges, ReceiptStatus
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import make_draft, new_draft

S = ReceiptStatus
F = FiscalState


async def make_paid(
    store: Store,
    clock: FakeClock,
    shop_id: int,
    *,
    fiscal: FiscalState | None = F.NOT_REGISTERED,
    jobs: tuple[NewJob, ...] = (),
) -> Receipt:
    draft = await make_draft(store, clock, shop_id)
    paid = await store.receipts.transition(
        draft.id,
        expected=[S.DRAFT],
        new=S.PAID,
        source=EventSource.CALLBACK,
        now=clock(),
        changes=ReceiptChanges(paid_at=clock(), fiscal_state=fiscal),
        jobs=jobs,
    )
    assert paid is not None
    return paid


# settings


async def test_a_shop_has_no_fiscal_settings_until_saved(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    assert await store.fiscal.get(shop.shop_id) is None
    assert await store.fiscal.update(shop.shop_id, FiscalSettingsChanges(enabled=False)) is None
    assert await store.fiscal.get(shop.shop_id) is None
    assert await store.fiscal.configured() == []


async def test_first_save_has_the_defaults(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    saved = await store.fiscal.save_credentials(shop.shop_id, b"key", b"pin", b"tok", clock())
    assert saved == await store.fiscal.get(shop.shop_id)
    assert (saved.license_key_enc, saved.pin_enc, saved.token_enc) == (b"key", b"pin", b"tok")
    assert saved.configured and saved.enabled and saved.mode is FiscalMode.AUTO
    assert saved.payment_label == DEFAULT_FISCAL_PAYMENT_LABEL
    assert (saved.tax_code, saved.tax_label) == (None, None)
    assert saved.close_shift_at == DEFAULT_CLOSE_SHIFT_AT == 23 * 60 + 45


async def test_changes_and_a_later_save_keep_the_other_fields(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    await store.fiscal.save_credentials(shop.shop_id, b"key", b"pin", None, clock())
    changed = await store.fiscal.update(
        shop.shop_id,
        FiscalSettingsChanges(
            mode=FiscalMode.MANUAL,
            payment_label="Інтернет еквайринг",
            tax_code=8,
            tax_label="ПДВ 20%",
            close_shift_at=22 * 60,
        ),
    )
    assert changed is not None
    assert (changed.mode, changed.payment_label, changed.tax_code, changed.tax_label) == (
        FiscalMode.MANUAL,
        "Інтернет еквайринг",
        8,
        "ПДВ 20%",
    )
    assert changed.close_shift_at == 1320 and changed.enabled
    again = await store.fiscal.save_credentials(shop.shop_id, b"key2", b"pin2", b"t2", clock())
    assert (again.license_key_enc, again.pin_enc, again.token_enc) == (b"key2", b"pin2", b"t2")
    assert (again.mode, again.tax_code, again.close_shift_at) == (FiscalMode.MANUAL, 8, 1320)
    no_vat = await store.fiscal.update(shop.shop_id, FiscalSettingsChanges(tax_code=None))
    assert no_vat is not None and no_vat.tax_code is None and no_vat.tax_label == "ПДВ 20%"


async def test_token_and_forgetting(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.fiscal.save_credentials(shop.shop_id, b"key", b"pin", None, clock())
    await store.fiscal.save_token(shop.shop_id, b"sealed-token")
    got = await store.fiscal.get(shop.shop_id)
    assert got is not None and got.token_enc == b"sealed-token"
    await store.fiscal.save_token(shop.shop_id, None)
    got = await store.fiscal.get(shop.shop_id)
    assert got is not None and got.token_enc is None
    await store.fiscal.update(shop.shop_id, FiscalSettingsChanges(tax_code=4))
    await store.fiscal.forget_credentials(shop.shop_id)
    got = await store.fiscal.get(shop.shop_id)
    assert got is not None and not got.configured and got.tax_code == 4
    assert (got.license_key_enc, got.pin_enc, got.token_enc) == (None, None, None)


async def test_the_certificate_end_is_kept_per_shop(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.fiscal.save_credentials(shop.shop_id, b"key", b"pin", None, clock())
    got = await store.fiscal.get(shop.shop_id)
    assert got is not None and (got.certificate_end, got.certificate_checked_at) == (None, None)
    end = clock() + timedelta(days=3, microseconds=250)
    await store.fiscal.save_certificate(shop.shop_id, end, clock())
    got = await store.fiscal.get(shop.shop_id)
    assert got is not None and got.certificate_end == end
    assert got.certificate_checked_at == clock()
    clock.advance(days=1)
    await store.fiscal.save_certificate(shop.shop_id, None, clock())
    got = await store.fiscal.get(shop.shop_id)
    assert got is not None and got.certificate_end is None
    assert got.certificate_checked_at == clock()
    await store.fiscal.save_certificate(shop.shop_id, end, clock())
    await store.fiscal.forget_credentials(shop.shop_id)
    got = await store.fiscal.get(shop.shop_id)
    assert got is not None and (got.certificate_end, got.certificate_checked_at) == (None, None)


async def test_configured_lists_enabled_shops_with_credentials(
    store: Store, clock: FakeClock
) -> None:
    shops = [await make_owner(store, clock, owner_id=n) for n in (1, 2, 3, 4)]
    for shop in shops[:3]:
        await store.fiscal.save_credentials(shop.shop_id, b"key", b"pin", None, clock())
    await store.fiscal.update(shops[1].shop_id, FiscalSettingsChanges(enabled=False))
    await store.fiscal.forget_credentials(shops[2].shop_id)
    assert [s.shop_id for s in await store.fiscal.configured()] == [shops[0].shop_id]
    await store.fiscal.update(shops[1].shop_id, FiscalSettingsChanges(enabled=True))
    assert [s.shop_id for s in await store.fiscal.configured()] == [
        shops[0].shop_id,
        shops[1].shop_id,
    ]


async def test_bad_fiscal_settings_are_refused(store: Store, clock: FakeClock) -> None:
    with pytest.raises(IntegrityViolation):
        await store.fiscal.save_credentials(999, b"key", b"pin", None, clock())
    shop = await make_owner(store, clock)
    await store.fiscal.save_credentials(shop.shop_id, b"key", b"pin", None, clock())
    for minutes in (-1, 24 * 60):
        with pytest.raises(IntegrityViolation):
            await store.fiscal.update(shop.shop_id, FiscalSettingsChanges(close_shift_at=minutes))
    with pytest.raises(IntegrityViolation):
        await store.fiscal.update(shop.shop_id, FiscalSettingsChanges(payment_label=""))
    got = await store.fiscal.get(shop.shop_id)
    assert got is not None and got.close_shift_at == DEFAULT_CLOSE_SHIFT_AT


# the fiscal dimension of receipts


async def test_the_paid_transition_sets_the_fiscal_state_and_its_job(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id)
    assert (draft.fiscal_state, draft.fiscal_attempt, draft.fiscal_code) == (None, 1, None)
    paid = await store.receipts.transition(
        draft.id,
        expected=[S.DRAFT],
        new=S.PAID,
        source=EventSource.CALLBACK,
        now=clock(),
        changes=ReceiptChanges(
            paid_at=clock(),
            payment_id="165629",
            card_mask="473118*97",
            payment_rrn="000664267598",
            payment_auth_code="108527",
            payment_bank="pb",
            payment_system="visa",
            fiscal_state=F.NOT_REGISTERED,
        ),
        jobs=[NewJob("fiscal.sale", {"attempt": 1}, dedupe_key=f"fiscal.sale:{draft.id}:1")],
    )
    assert paid is not None and paid == await store.receipts.get(draft.id)
    assert paid.fiscal_state is F.NOT_REGISTERED
    assert (paid.payment_rrn, paid.payment_auth_code, paid.payment_bank, paid.payment_system) == (
        "000664267598",
        "108527",
        "pb",
        "visa",
    )
    [job] = await store.jobs.find(kind="fiscal.sale")
    assert (job.receipt_id, job.payload, job.state) == (draft.id, {"attempt": 1}, JobState.PENDING)
    # the same dedupe key never makes a second job
    await store.jobs.enqueue(
        [NewJob("fiscal.sale", dedupe_key=f"fiscal.sale:{draft.id}:1", receipt_id=draft.id)],
        clock(),
    )
    assert len(await store.jobs.find(kind="fiscal.sale")) == 1


async def test_a_paid_transition_that_loses_writes_no_fiscal_job(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    again = await store.receipts.transition(
        paid.id,
        expected=[S.DRAFT, S.AWAITING],
        new=S.PAID,
        source=EventSource.CALLBACK,
        now=clock(),
        changes=ReceiptChanges(fiscal_state=F.NOT_REGISTERED),
        jobs=[NewJob("fiscal.sale", dedupe_key="x")],
    )
    assert again is None
    assert await store.jobs.find(kind="fiscal.sale") == []


async def test_fiscal_transition_is_a_compare_and_set_with_its_event(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    clock.advance(seconds=1)
    registering = await store.receipts.fiscal_transition(
        paid.id,
        expected=[F.NOT_REGISTERED, F.FAILED],
        new=F.REGISTERING,
        source=EventSource.POLL,
        now=clock(),
    )
    assert registering is not None and registering.fiscal_state is F.REGISTERING
    assert registering.status is S.PAID
    stale = await store.receipts.fiscal_transition(
        paid.id,
        expected=[F.NOT_REGISTERED],
        new=F.REGISTERING,
        source=EventSource.POLL,
        now=clock(),
    )
    assert stale is None
    clock.advance(seconds=1)
    fiscal_date = clock() - timedelta(seconds=0.5)
    done = await store.receipts.fiscal_transition(
        paid.id,
        expected=[F.REGISTERING],
        new=F.REGISTERED,
        source=EventSource.POLL,
        now=clock(),
        changes=FiscalChanges(
            fiscal_code="TEST-iA5fmb",
            fiscal_date=fiscal_date,
            fiscal_url="https://cabinet.tax.gov.ua/cashregs/check?id=TEST-iA5fmb",
            fiscal_error=None,
        ),
        detail="TEST-iA5fmb",
        jobs=[NewJob("notify", {"chat_id": 1, "kind": "fiscal_done"}, group_key="chat:1")],
    )
    assert done is not None and done == await store.receipts.get(paid.id)
    assert (done.fiscal_state, done.fiscal_code, done.fiscal_date) == (
        F.REGISTERED,
        "TEST-iA5fmb",
        fiscal_date,
    )
    assert done.fiscal_url is not None and done.fiscal_url.endswith("TEST-iA5fmb")
    [note] = await store.jobs.find(kind="notify")
    assert note.receipt_id == paid.id
    events = await store.receipt_queries.events(paid.id)
    fiscal = [(e.fiscal_from, e.fiscal_to, e.from_status, e.to_status) for e in events[1:]]
    assert fiscal == [
        (F.NOT_REGISTERED, F.REGISTERING, S.PAID, S.PAID),
        (F.REGISTERING, F.REGISTERED, S.PAID, S.PAID),
    ]
    assert events[-1].detail == "TEST-iA5fmb" and events[-1].at == clock()
    assert (events[0].fiscal_from, events[0].fiscal_to) == (None, None)


async def test_a_failed_registration_keeps_the_message_and_a_retry_takes_a_new_attempt(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    failed = await store.receipts.fiscal_transition(
        paid.id,
        expected=[F.NOT_REGISTERED],
        new=F.FAILED,
        source=EventSource.POLL,
        now=clock(),
        changes=FiscalChanges(fiscal_error="Помилка ДПС"),
    )
    assert failed is not None and failed.fiscal_error == "Помилка ДПС"
    retried = await store.receipts.fiscal_transition(
        paid.id,
        expected=[F.FAILED],
        new=F.NOT_REGISTERED,
        source=EventSource.USER,
        now=clock(),
        changes=FiscalChanges(fiscal_attempt=failed.fiscal_attempt + 1, fiscal_error=None),
    )
    assert retried is not None
    assert (retried.fiscal_state, retried.fiscal_attempt, retried.fiscal_error) == (
        F.NOT_REGISTERED,
        2,
        None,
    )
    with pytest.raises(IntegrityViolation):
        await store.receipts.fiscal_transition(
            paid.id,
            expected=[F.NOT_REGISTERED],
            new=F.REGISTERING,
            source=EventSource.USER,
            now=clock(),
            changes=FiscalChanges(fiscal_attempt=0),
        )
    got = await store.receipts.get(paid.id)
    assert got is not None and got.fiscal_state is F.NOT_REGISTERED


async def test_a_receipt_without_a_fiscal_state_matches_none(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id, fiscal=None)
    assert paid.fiscal_state is None
    unmoved = await store.receipts.fiscal_transition(
        paid.id, expected=[F.FAILED], new=F.NOT_REGISTERED, source=EventSource.USER, now=clock()
    )
    assert unmoved is None
    moved = await store.receipts.fiscal_transition(
        paid.id,
        expected=[None, F.FAILED],
        new=F.NOT_REGISTERED,
        source=EventSource.USER,
        now=clock(),
    )
    assert moved is not None and moved.fiscal_state is F.NOT_REGISTERED
    assert (
        await store.receipts.fiscal_transition(
            999, expected=[None], new=F.NOT_REGISTERED, source=EventSource.USER, now=clock()
        )
        is None
    )


async def test_concurrent_fiscal_transitions_let_one_win(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    results = await asyncio.gather(
        *(
            store.receipts.fiscal_transition(
                paid.id,
                expected=[F.NOT_REGISTERED],
                new=F.REGISTERING,
                source=EventSource.POLL,
                now=clock(),
                jobs=[NewJob("notify", {"n": n})],
            )
            for n in range(5)
        )
    )
    assert sum(r is not None for r in results) == 1
    assert len(await store.jobs.find(kind="notify")) == 1
    assert len(await store.receipt_queries.events(paid.id)) == 2


async def test_list_by_fiscal_state(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    other = await make_owner(store, clock, owner_id=2)
    waiting = await make_paid(store, clock, shop.shop_id)
    failed = await make_paid(store, clock, shop.shop_id)
    await store.receipts.fiscal_transition(
        failed.id, expected=[F.NOT_REGISTERED], new=F.FAILED,
        source=EventSource.POLL, now=clock(),
    )  # fmt: skip
    done = await make_paid(store, clock, shop.shop_id)
    await store.receipts.fiscal_transition(
        done.id, expected=[F.NOT_REGISTERED], new=F.REGISTERED,
        source=EventSource.POLL, now=clock(), changes=FiscalChanges(fiscal_date=clock()),
    )  # fmt: skip
    await make_paid(store, clock, shop.shop_id, fiscal=None)
    await make_paid(store, clock, other.shop_id)
    await make_draft(store, clock, shop.shop_id)
    states = [F.NOT_REGISTERED, F.REGISTERING, F.FAILED]
    page, total = await store.receipt_queries.list_by_fiscal_state(
        shop.shop_id, states, statuses=[S.PAID]
    )
    assert ([r.id for r in page], total) == ([failed.id, waiting.id], 2)
    page, total = await store.receipt_queries.list_by_fiscal_state(
        shop.shop_id, states, statuses=[S.PAID], offset=1, limit=1
    )
    assert ([r.id for r in page], total) == ([waiting.id], 2)
    assert await store.receipt_queries.list_by_fiscal_state(
        shop.shop_id, states, statuses=[S.REFUNDED]
    ) == ([], 0)
    assert await store.receipt_queries.list_by_fiscal_state(
        shop.shop_id, [], statuses=[S.PAID]
    ) == (
        [],
        0,
    )


async def test_fiscal_totals_count_registered_receipts_of_the_period(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    start = clock()
    amounts = []
    for n, offset in enumerate((0, 10, 3600, 86400)):
        draft, _ = await store.receipts.create_draft(
            new_draft(shop.shop_id, clock, key=f"tot{n}", amount=1000 + n), clock()
        )
        await store.receipts.transition(
            draft.id, expected=[S.DRAFT], new=S.PAID, source=EventSource.CALLBACK,
            now=clock(), changes=ReceiptChanges(fiscal_state=F.NOT_REGISTERED),
        )  # fmt: skip
        await store.receipts.fiscal_transition(
            draft.id, expected=[F.NOT_REGISTERED], new=F.REGISTERED, source=EventSource.POLL,
            now=clock(), changes=FiscalChanges(fiscal_date=start + timedelta(seconds=offset)),
        )  # fmt: skip
        amounts.append(1000 + n)
    await make_paid(store, clock, shop.shop_id)  # not registered: not counted
    day = start + timedelta(days=1)
    assert await store.receipt_queries.fiscal_totals(shop.shop_id, start, day) == FiscalTotals(
        3, sum(amounts[:3])
    )
    assert await store.receipt_queries.fiscal_totals(
        shop.shop_id, start + timedelta(seconds=1), day + timedelta(seconds=1)
    ) == FiscalTotals(3, sum(amounts[1:]))
    assert await store.receipt_queries.fiscal_totals(shop.shop_id + 1, start, day) == FiscalTotals(
        0, 0
    )


# jobs: reviving one by its dedupe key (the Register and Retry buttons)


async def test_revive_makes_a_job_due_now_once(store: Store, clock: FakeClock) -> None:
    later = clock() + timedelta(minutes=10)
    await store.jobs.enqueue([NewJob("fiscal.sale", run_at=later, dedupe_key="sale:1")], clock())
    assert (
        await store.jobs.claim("fiscal.sale", "w", limit=5, lease=timedelta(minutes=1), now=clock())
        == []
    )
    assert await store.jobs.revive("sale:1", clock()) is True
    assert await store.jobs.revive("sale:1", clock()) is False  # due already
    [job] = await store.jobs.claim(
        "fiscal.sale", "w", limit=5, lease=timedelta(minutes=1), now=clock()
    )
    assert await store.jobs.revive("sale:1", clock()) is False  # leased: it is running
    assert await store.jobs.finish(job.id, "w", clock())
    assert await store.jobs.revive("missing", clock()) is False
    clock.advance(seconds=5)
    assert await store.jobs.revive("sale:1", clock()) is True
    again = await store.jobs.get(job.id)
    assert again is not None
    assert (again.state, again.run_at, again.finished_at, again.attempts) == (
        JobState.PENDING,
        clock(),
        None,
        1,
    )
    await store.jobs.give_up(
        (
            await store.jobs.claim(
                "fiscal.sale", "w", limit=1, lease=timedelta(minutes=1), now=clock()
            )
        )[0].id,
        "w",
        error="x",
        now=clock(),
    )
    assert await store.jobs.revive("sale:1", clock()) is True
    revived = await store.jobs.get(job.id)
    assert revived is not None and revived.state is JobState.PENDING


async def test_extend_lease_only_for_its_holder(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([NewJob("fiscal.sale", dedupe_key="sale:2")], clock())
    lease = timedelta(seconds=30)
    [job] = await store.jobs.claim("fiscal.sale", "w1", limit=1, lease=lease, now=clock())
    later = clock() + timedelta(seconds=90)
    assert await store.jobs.extend_lease(job.id, "w2", later) is False
    assert await store.jobs.extend_lease(job.id, "w1", later) is True
    clock.advance(seconds=60)  # past the first lease, within the extended one
    assert await store.jobs.claim("fiscal.sale", "w2", limit=1, lease=lease, now=clock()) == []
    clock.advance(seconds=31)
    [again] = await store.jobs.claim("fiscal.sale", "w2", limit=1, lease=lease, now=clock())
    assert again.id == job.id
    assert await store.jobs.extend_lease(job.id, "w1", later) is False  # taken over
    assert await store.jobs.finish(job.id, "w2", clock())
    assert await store.jobs.extend_lease(job.id, "w2", later) is False
