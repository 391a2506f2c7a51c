"""What services need from a store, one protocol per aggregate, the same on every engine.

An engine (storage/sqlite/, later PostgreSQL) implements each protocol and the `Store`
container that holds them. Rules every implementation keeps:

- Values are plain: datetimes are timezone-aware UTC (the store returns them in UTC and
  compares instants, never wall-clock strings), money is integer kopecks, job payloads are
  JSON-able dicts. `now` is always passed in by the caller; the store never reads a clock.
- Every method is one transaction: it happens entirely or not at all, and returns only
  after its change is durable.
- A write that breaks a rule of the schema raises `storage.models.IntegrityViolation`.
- Domain policy (which statuses are polled, which key pair to use, when to check next)
  belongs to services/; the store takes plain values (status lists, cut-off times).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from storage.models import (
    CurrencyTotal,
    EventSource,
    ExportRow,
    FiscalChanges,
    FiscalSettings,
    FiscalSettingsChanges,
    FiscalState,
    FiscalTotals,
    InviteOutcome,
    Job,
    JobState,
    Member,
    NewDraft,
    NewJob,
    NewRefund,
    PaymentMismatch,
    Receipt,
    ReceiptChanges,
    ReceiptEvent,
    ReceiptStatus,
    Refund,
    RefundState,
    ReportRow,
    Role,
    SettingsChanges,
    ShopSettings,
    StoreHealth,
)


class UserRepository(Protocol):
    """Per-user preferences (any Telegram user, member of a shop or not)."""

    async def language(self, user_id: int) -> str | None:
        """The language chosen with /lang, else the one Telegram last reported, else None."""
        ...

    async def chosen_language(self, user_id: int) -> str | None:
        """Only the language chosen with /lang."""
        ...

    async def set_language(self, user_id: int, language: str) -> None: ...

    async def set_telegram_language(self, user_id: int, language: str) -> None: ...


class ShopRepository(Protocol):
    """Shops, their members (a user belongs to at most one shop) and one-time invites."""

    async def create_shop(self, owner_id: int, owner_name: str, name: str, now: datetime) -> Member:
        """A shop with its owner as first member and default settings, in one transaction.
        IntegrityViolation when the owner already belongs to a shop."""
        ...

    async def get_member(self, user_id: int) -> Member | None: ...

    async def list_members(self, shop_id: int) -> list[Member]:
        """Owners first, then by joining time."""
        ...

    async def member_ids(self, shop_id: int, role: Role | None = None) -> list[int]:
        """User ids by joining time, optionally of one role."""
        ...

    async def remove_cashier(self, shop_id: int, user_id: int) -> bool:
        """False when that user is not a cashier of that shop (an owner is never removed)."""
        ...

    async def create_invite(
        self, shop_id: int, token: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None: ...

    async def redeem_invite(
        self, token: str, user_id: int, name: str, now: datetime
    ) -> tuple[InviteOutcome, Member | None]:
        """Atomically: an invite is spent at most once even when redeemed concurrently.
        UNKNOWN, USED, EXPIRED (valid while now < expires_at) -> (outcome, None);
        ALREADY_MEMBER -> the user's current membership, and the invite is not spent;
        JOINED -> the new cashier membership."""
        ...


class SettingsRepository(Protocol):
    """A shop's settings and every LiqPay key pair it has used."""

    async def get(self, shop_id: int) -> ShopSettings:
        """LookupError when the shop does not exist."""
        ...

    async def save_keys(
        self,
        shop_id: int,
        public_key: str,
        private_key_enc: bytes,
        sandbox: bool,
        now: datetime,
    ) -> None:
        """Make the pair the shop's current one and remember it among the pairs it has used
        (a pair saved again replaces its private key), in one transaction. Keys saved anew
        may be reported unreadable again (see alert_unreadable_keys)."""
        ...

    async def key_pair(self, shop_id: int, public_key: str) -> bytes | None:
        """The encrypted private key of a pair the shop has used (the current one included),
        named by its public key; None when the shop never used that public key."""
        ...

    async def update(self, shop_id: int, changes: SettingsChanges) -> None:
        """Set the fields of `changes` that are not UNSET."""
        ...

    async def save_sms_gateway(self, shop_id: int, token_enc: bytes, sender: str) -> None: ...

    async def alert_unreadable_keys(
        self, shop_id: int, receipt_id: int, *, now: datetime, jobs: Sequence[NewJob]
    ) -> bool:
        """Insert the owners' "enter the LiqPay keys again" notices (`jobs`, their receipt_id
        set to `receipt_id`, the receipt that met the unreadable keys) unless they were
        already since the keys were last saved (save_keys resets it); in one transaction.
        True when they were inserted now."""
        ...


class ReceiptRepository(Protocol):
    """Receipts, their append-only events, and the jobs their changes cause."""

    async def create_draft(
        self,
        draft: NewDraft,
        now: datetime,
        jobs: Sequence[NewJob] = (),
        *,
        issuing_until: datetime | None = None,
        issuing_replica: str | None = None,
    ) -> tuple[Receipt, bool]:
        """In one transaction: take the shop's next receipt number from its counter (one row
        per shop updated atomically, so concurrent drafts never share a number and a number
        is never reused), insert the draft (status DRAFT, created_at = now, description
        `draft.description_for(number)`, holding the issuing lease until `issuing_until`,
        held by the replica `issuing_replica`)
        and `jobs` (their receipt_id set to the draft's).

        A draft with an idempotency key already used returns (that receipt, False) and
        writes nothing; otherwise (the new draft, True).
        IntegrityViolation for an unknown shop or an order id already used."""
        ...

    async def delete_draft(self, receipt_id: int, lease: datetime | None = None) -> bool:
        """Delete a receipt that is still a draft, not flagged and whose issuing lease is
        `lease` (None: a draft nobody is issuing), with its events and jobs. False (nothing
        deleted) otherwise."""
        ...

    async def by_idempotency_key(self, key: str) -> Receipt | None: ...

    # The issuing lease (receipts.issuing_until): until when a process is making the
    # invoice of a draft and showing its outcome, and which replica holds it (the holder
    # `None`: one that ReplicaRegistry never frees early). Every change is a compare-and-set.

    async def take_issue_lease(
        self, receipt_id: int, now: datetime, until: datetime, holder: str | None = None
    ) -> bool:
        """Set the lease of a draft nobody holds (none, or one expired before `now`) to
        `until`, held by `holder`. False, and nothing written, otherwise."""
        ...

    async def move_issue_lease(
        self, receipt_id: int, held: datetime, until: datetime, holder: str | None = None
    ) -> bool:
        """Set the lease to `until`, held by `holder`, if it is still `held` (renew one's
        own, or take over one seen expired). False, and nothing written, otherwise."""
        ...

    async def release_issue_lease(
        self, receipt_id: int, held: datetime, now: datetime, jobs: Sequence[NewJob] = ()
    ) -> bool:
        """Clear the lease if it is still `held`, and insert `jobs` (the notifications that
        tell the outcome; their receipt_id set), in one transaction. False, and nothing
        written, when the lease is not `held` any more."""
        ...

    async def leased_receipts(self, limit: int, cashier_id: int | None = None) -> list[Receipt]:
        """Receipts under an issuing lease (of one cashier when given), the soonest to
        expire first."""
        ...

    async def get(self, receipt_id: int) -> Receipt | None: ...

    async def get_many(self, receipt_ids: Sequence[int]) -> list[Receipt]:
        """Those of the receipts that exist, by id."""
        ...

    async def by_order_id(self, order_id: str) -> Receipt | None: ...

    async def transition(
        self,
        receipt_id: int,
        *,
        expected: Sequence[ReceiptStatus],
        new: ReceiptStatus,
        source: EventSource,
        now: datetime,
        changes: ReceiptChanges | None = None,
        liqpay_status: str | None = None,
        detail: str | None = None,
        jobs: Sequence[NewJob] = (),
    ) -> Receipt | None:
        """Compare-and-set: if the receipt's status is one of `expected`, set it to `new`
        with `changes` (and liqpay_status when given), append the event (from the old
        status, at `now`) and insert `jobs` (their receipt_id set), all in one transaction;
        return the receipt as it now is. None, and nothing written, when the status was not
        one of `expected` (or there is no such receipt)."""
        ...

    async def flag(
        self,
        receipt_id: int,
        *,
        reason: str,
        source: EventSource,
        now: datetime,
        liqpay_status: str | None,
        jobs: Sequence[NewJob] = (),
        mismatch: PaymentMismatch | None = None,
    ) -> bool:
        """Mark the receipt for the owner's attention with `reason` and the facts of the
        payment that did not match it (`mismatch`, read back as Receipt.mismatch), status
        unchanged, with an event (detail "flagged: <reason>", plus the facts) and `jobs`, in
        one transaction. False, and nothing written, when it is already flagged with that
        very reason and those very facts."""
        ...

    async def list_by_status(
        self,
        shop_id: int,
        statuses: Sequence[ReceiptStatus],
        *,
        cashier_id: int | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Receipt], int]:
        """A page of the shop's receipts in these statuses (of one cashier when given),
        newest (highest id) first, and how many there are in all."""
        ...

    async def totals(
        self,
        shop_id: int,
        statuses: Sequence[ReceiptStatus],
        *,
        cashier_id: int | None = None,
        paid_from: datetime | None = None,
        paid_until: datetime | None = None,
        expires_after: datetime | None = None,
    ) -> list[CurrencyTotal]:
        """How many of the shop's receipts are in these statuses and their sum, one total per
        currency (by currency name; none for a currency without receipts). Only those of one
        cashier, paid in [paid_from, paid_until), expiring after `expires_after`, when given."""
        ...

    async def set_card_message(self, receipt_id: int, chat_id: int, message_id: int) -> None:
        """Where the receipt's card is shown, so notifications can redraw it."""
        ...

    async def events(self, receipt_id: int) -> list[ReceiptEvent]:
        """Oldest first."""
        ...

    # The fiscal dimension of a paid receipt (fiscal_state and the fiscal_* fields).

    async def fiscal_transition(
        self,
        receipt_id: int,
        *,
        expected: Sequence[FiscalState | None],
        new: FiscalState,
        source: EventSource,
        now: datetime,
        changes: FiscalChanges | None = None,
        detail: str | None = None,
        jobs: Sequence[NewJob] = (),
    ) -> Receipt | None:
        """Compare-and-set of the fiscal state: if it is one of `expected` (None matches a
        receipt without one), set it to `new` with `changes`, append the event (status
        unchanged, fiscal_from/fiscal_to set, at `now`) and insert `jobs` (their receipt_id
        set), in one transaction; the receipt as it now is. None, and nothing written,
        otherwise (or when there is no such receipt)."""
        ...

    async def list_by_fiscal_state(
        self,
        shop_id: int,
        states: Sequence[FiscalState],
        *,
        statuses: Sequence[ReceiptStatus],
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Receipt], int]:
        """A page of the shop's receipts in one of these payment `statuses` whose fiscal
        state is one of `states`, newest first, and how many there are in all."""
        ...

    async def fiscal_totals(self, shop_id: int, since: datetime, until: datetime) -> FiscalTotals:
        """The shop's receipts REGISTERED with a fiscal date in [since, until)."""
        ...


class ReportRepository(Protocol):
    """A shop's receipts over a period, streamed for reports and exports: rows are read in
    batches of `batch_size` (keyset pagination), so a period of 100,000 receipts never sits
    in memory. `start` is included, `end` excluded; `cashier_id` keeps one cashier's."""

    def report_rows(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ReportRow]:
        """Every receipt created or paid in [start, end) (a superset of what a report
        counts: services/report.py decides which day counts each), by id."""
        ...

    def export_rows(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        statuses: Sequence[ReceiptStatus] | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ExportRow]:
        """Every receipt created in [start, end) (in these statuses, when given), by number;
        the cashier's name as a member of the shop, or their user id once they left it."""
        ...


class JobQueue(Protocol):
    """Background work with leases, for every worker (outbox sender, status checks, ...).

    A job is due when state is PENDING, run_at <= now and it holds no live lease
    (lease_until is NULL or <= now: a killed worker's jobs are claimed again once their
    lease runs out). A grouped job is claimable only while it is the oldest (lowest id)
    PENDING job of its group and the group is not held (see `hold`): so at most one job of
    a group is in flight and a group's jobs go in order; a later job of a group waits
    behind an earlier one that is postponed. Finishing, postponing, giving up and releasing
    take the worker's id and change nothing (returning False) when the job's lease is not
    that worker's any more.

    Holds: `hold(name, until)` keeps the group `name` from being claimed before `until`,
    and is also the slot timeline `reserve_slot` hands out; group keys and slot names share
    one namespace, so callers prefix them (e.g. "chat:42", "telegram").
    """

    async def enqueue(self, jobs: Sequence[NewJob], now: datetime) -> int:
        """Insert the jobs (run_at None -> now) in one transaction, skipping any whose
        dedupe_key exists already; how many were inserted."""
        ...

    async def claim(
        self, kind: str, worker_id: str, *, limit: int, lease: timedelta, now: datetime
    ) -> list[Job]:
        """Up to `limit` due jobs of `kind`, leased to `worker_id` until now + lease: each
        gets lease_owner, lease_until, claimed_at = now and attempts + 1. Order: jobs never
        claimed before first, then the least recently claimed, then by id; the jobs come
        back in that order. Two concurrent claims never return the same job."""
        ...

    async def finish(
        self,
        job_id: int,
        worker_id: str,
        now: datetime,
        *,
        hold_group_until: datetime | None = None,
    ) -> bool:
        """Done: state DONE, finished_at = now, lease cleared. With `hold_group_until`, the
        job's group is also held until then (see `hold`), in the same transaction."""
        ...

    async def postpone(
        self, job_id: int, worker_id: str, *, until: datetime, error: str | None
    ) -> bool:
        """Again later: run_at = until, last_error = error (None clears it), lease cleared;
        still PENDING, so it keeps its place at the head of its group."""
        ...

    async def give_up(self, job_id: int, worker_id: str, *, error: str, now: datetime) -> bool:
        """Never again: state DEAD, last_error = error, finished_at = now, lease cleared."""
        ...

    async def release(self, job_id: int, worker_id: str) -> bool:
        """Claimed but not worked on: the lease is cleared so it is due again at once."""
        ...

    async def extend_lease(self, job_id: int, worker_id: str, until: datetime) -> bool:
        """Still working on it: the lease runs until `until`. False, and nothing written,
        when the job's lease is not that worker's any more (or it is finished)."""
        ...

    async def revive(self, dedupe_key: str, now: datetime) -> bool:
        """Make the job with that dedupe key due at `now` again: PENDING, run_at = now,
        finished_at cleared (a DONE or DEAD one too; its attempts and last_error stay).
        False, and nothing written, when there is no such job, it is leased now, or it is
        pending and due already."""
        ...

    async def get(self, job_id: int) -> Job | None: ...

    async def find(
        self,
        *,
        kind: str | None = None,
        receipt_id: int | None = None,
        state: JobState | None = None,
    ) -> list[Job]:
        """Jobs matching every filter given, by id."""
        ...

    async def hold(self, name: str, until: datetime) -> None:
        """Nothing of group (or slot) `name` before `until`; a later hold never shortens an
        earlier one."""
        ...

    async def reserve_slot(self, name: str, interval: timedelta, now: datetime) -> datetime:
        """Atomically take the next free moment of the slot timeline `name`: the later of
        `now` and the end of the last slot given out (or of a hold); the next caller gets a
        moment at least `interval` later. A rate limit shared by every replica."""
        ...

    async def pending_count(
        self, kind: str | None = None, *, due_at: datetime | None = None
    ) -> int:
        """Pending jobs (of one kind); with `due_at`, only those due then and not leased."""
        ...

    async def leased_count(self, worker_ids: Sequence[str], now: datetime) -> int:
        """Pending jobs whose lease, live at `now`, belongs to one of `worker_ids`."""
        ...


class ReplicaRegistry(Protocol):
    """The processes working on this database (table replicas: id, seen_at), so that a dead
    one's leases go to the living at once (services/failover.py). A replica's job leases are
    those whose lease_owner is "<replica id>:<role>"; its issuing leases name it."""

    async def beat(self, replica_id: str, now: datetime) -> bool:
        """The replica is alive at `now` (registered if it is not); False when it was not
        registered: new, or declared dead meanwhile (its leases were freed then)."""
        ...

    async def silent(self, alive: str, seen_before: datetime) -> list[str]:
        """The replicas other than `alive` last seen before `seen_before`."""
        ...

    async def free_dead(
        self, dead: Sequence[str], now: datetime, *, seen_before: datetime
    ) -> list[str]:
        """In one transaction: forget those of `dead` still last seen before `seen_before`,
        clear their jobs' leases (due again at once) and end their issuing leases at `now`
        (the recovery takes them over). The replicas forgotten."""
        ...

    async def free_all_but(self, alive: str, now: datetime) -> int:
        """The database serves one process, `alive` (SQLite, under its flock): every other
        replica is dead. Forget them, and free every lease not `alive`'s as free_dead does
        (also those naming no replica); how many leases were freed."""
        ...


class FiscalSettingsRepository(Protocol):
    """A shop's fiscal registrar settings (one row per shop, none until first set up)."""

    async def get(self, shop_id: int) -> FiscalSettings | None:
        """None: never set up."""
        ...

    async def save_credentials(
        self,
        shop_id: int,
        license_key_enc: bytes,
        pin_enc: bytes,
        token_enc: bytes | None,
        now: datetime,
    ) -> FiscalSettings:
        """The first save makes the row (enabled, mode AUTO, the default payment label, no
        VAT, shift closed at 23:45); later saves keep the other fields and replace the
        credentials and the token. IntegrityViolation for an unknown shop."""
        ...

    async def update(self, shop_id: int, changes: FiscalSettingsChanges) -> FiscalSettings | None:
        """Set the fields of `changes` that are not UNSET; None (nothing written) when the
        shop was never set up. IntegrityViolation for a value out of range."""
        ...

    async def save_token(self, shop_id: int, token_enc: bytes | None) -> None:
        """Replace the stored cashier token (None forgets it)."""
        ...

    async def forget_credentials(self, shop_id: int) -> None:
        """Drop the license key, PIN and token; the other settings stay."""
        ...

    async def configured(self) -> list[FiscalSettings]:
        """Every shop with both credentials stored and fiscalization enabled, by shop id."""
        ...


class RefundRepository(Protocol):
    """Refunds of paid receipts, and the receipt's refunded sum (receipts.refunded_amount).

    A refund is reserved before LiqPay is asked; at most one is in flight (RESERVED, SENT or
    UNKNOWN) per receipt; every change is a compare-and-set."""

    async def reserve(
        self, refund: NewRefund, now: datetime, jobs: Sequence[NewJob] = ()
    ) -> tuple[Refund | None, bool]:
        """In one transaction: insert the refund (RESERVED, refunded_before = the receipt's
        refunded sum, created_at = updated_at = now) and `jobs` (their receipt_id set), if the
        receipt is PAID, its refunded sum is still `refund.refunded_before` (what the owner
        saw when confirming: a compare-and-set), `refund.amount` is at most what is left
        unrefunded and no other refund of it is in flight. A key already used: (that
        refund, False), nothing written. Refused: (None, False), nothing written. Else
        (the new refund, True)."""
        ...

    async def get(self, refund_id: int) -> Refund | None: ...

    async def by_key(self, idempotency_key: str) -> Refund | None: ...

    async def in_flight(self, receipt_id: int) -> Refund | None:
        """The receipt's refund in flight, if any."""
        ...

    async def for_receipt(self, receipt_id: int) -> list[Refund]:
        """Oldest first."""
        ...

    async def move(
        self,
        refund_id: int,
        *,
        expected: Sequence[RefundState],
        new: RefundState,
        now: datetime,
        error: str | None = None,
        jobs: Sequence[NewJob] = (),
    ) -> Refund | None:
        """Compare-and-set of a refund's state (updated_at = now, error set) with `jobs`
        (their receipt_id the refund's), in one transaction; None, nothing written, when
        its state is not one of `expected`."""
        ...

    async def record_refunded(
        self,
        receipt_id: int,
        *,
        expected_refunded: int,
        refunded: int,
        status: ReceiptStatus,
        source: EventSource,
        now: datetime,
        liqpay_status: str | None = None,
        detail: str | None = None,
        jobs: Sequence[NewJob] = (),
        refund_id: int | None = None,
        refund_expected: Sequence[RefundState] = (),
        refund_state: RefundState | None = None,
    ) -> Receipt | None:
        """In one transaction: if the receipt is PAID or REFUNDED with refunded_amount
        `expected_refunded`, and `refunded` is more than that, set it to `refunded` with
        `status` and append the event (detail set); when `refunded` equals it, the receipt
        is left alone. With `refund_id`, that refund moves from one of `refund_expected` to
        `refund_state` in the same transaction. Then `jobs` (their receipt_id set). The
        receipt as it now is; None, and nothing written, when either compare failed or
        `refunded` is less than `expected_refunded`."""
        ...

    async def unsettled(self, limit: int) -> list[Refund]:
        """Refunds in flight, oldest first (what a restart resolves)."""
        ...


class DialogRepository(Protocol):
    """aiogram FSM state and data by storage key, so a restart loses no half-filled dialog."""

    async def get_state(self, key: str) -> str | None: ...

    async def set_state(self, key: str, state: str | None) -> None: ...

    async def get_data(self, key: str) -> dict[str, Any]:
        """{} when nothing was stored."""
        ...

    async def set_data(self, key: str, data: Mapping[str, Any]) -> None:
        """`data` is JSON-able; it replaces what was stored."""
        ...


class ExclusiveHold(Protocol):
    """A database-wide hold taken by one holder at a time (see Store.hold_exclusive)."""

    @property
    def held(self) -> bool:
        """Still held: not released, and the engine has not lost it."""
        ...

    async def release(self) -> None:
        """Let the next holder take it; safe to call twice."""
        ...


class Store(Protocol):
    """One open store: the repositories of one engine over one database."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def shops(self) -> ShopRepository: ...

    @property
    def settings(self) -> SettingsRepository: ...

    @property
    def receipts(self) -> ReceiptRepository: ...

    @property
    def jobs(self) -> JobQueue: ...

    @property
    def fiscal(self) -> FiscalSettingsRepository: ...

    @property
    def reports(self) -> ReportRepository: ...

    @property
    def dialogs(self) -> DialogRepository: ...

    @property
    def refunds(self) -> RefundRepository: ...

    @property
    def replicas(self) -> ReplicaRegistry: ...

    async def health(self, now: datetime | None = None) -> StoreHealth:
        """Engine name, schema version and how many pending jobs are due at `now` (not
        leased; the backlog — jobs scheduled for later would tell the shops' volume), or all
        pending jobs when `now` is None; raises when the database does not answer."""
        ...

    async def hold_exclusive(self, name: str) -> ExclusiveHold | None:
        """Take the hold `name` on this database (e.g. "polling": one process may poll
        Telegram), or None at once while anyone else holds it: another process, or another
        store opened on the same database. The engine's own primitive keeps it, so a process
        that dies (even by SIGKILL) leaves nothing behind; close() releases the store's holds."""
        ...

    async def close(self) -> None:
        """Wait for operations in flight, then close; the store is unusable afterwards."""
        ...
