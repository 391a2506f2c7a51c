"""Versioned SQLite schema: one list, step N is schema version N. Append new steps at the
end (branches that each add one are merged by putting theirs one after another); never
edit a released one. Times are UTC epoch seconds (REAL); money is INTEGER kopecks."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the whole first schema. Times are UTC epoch seconds (REAL); money is INTEGER kopecks.
    """
    CREATE TABLE users (
        user_id INTEGER PRIMARY KEY,
        language TEXT,  -- chosen with /lang
        telegram_language TEXT  -- as Telegram last reported it
    );
    CREATE TABLE shops (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE members (
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('owner', 'cashier')),
        name TEXT NOT NULL DEFAULT '',
        joined_at REAL NOT NULL,
        PRIMARY KEY (shop_id, user_id)
    );
    CREATE TABLE invites (
        token TEXT PRIMARY KEY,
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        created_by INTEGER NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        used_by INTEGER,
        used_at REAL
    );
    CREATE TABLE shop_settings (
        shop_id INTEGER PRIMARY KEY REFERENCES shops(id) ON DELETE CASCADE,
        public_key TEXT,
        private_key_enc BLOB,
        api_version INTEGER NOT NULL DEFAULT 3 CHECK (api_version IN (3, 7)),
        sandbox INTEGER NOT NULL DEFAULT 0,
        invoice_lifetime INTEGER NOT NULL DEFAULT 86400 CHECK (invoice_lifetime > 0),
        currency TEXT NOT NULL DEFAULT 'UAH' CHECK (currency IN ('UAH', 'USD', 'EUR')),
        sms_token_enc BLOB,
        sms_sender TEXT
    );
    -- Every key pair a shop has used: invoices made before a key change are still checked,
    -- polled and cancelled with the pair they were made with.
    CREATE TABLE liqpay_keys (
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        public_key TEXT NOT NULL,
        private_key_enc BLOB NOT NULL,
        saved_at REAL NOT NULL,
        PRIMARY KEY (shop_id, public_key)
    );
    CREATE TABLE receipts (
        id INTEGER PRIMARY KEY,
        shop_id INTEGER NOT NULL REFERENCES shops(id),
        number INTEGER NOT NULL,
        cashier_id INTEGER NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        currency TEXT NOT NULL,
        description TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('email', 'privat24', 'sms', 'link')),
        contact TEXT,
        order_id TEXT NOT NULL UNIQUE CHECK (length(order_id) <= 255),
        public_key TEXT,  -- the LiqPay key pair the invoice was made with
        idempotency_key TEXT UNIQUE,
        link TEXT,
        invoice_token TEXT,
        status TEXT NOT NULL CHECK (status IN
            ('draft', 'awaiting', 'paid', 'failed', 'expired', 'cancelled', 'refunded')),
        liqpay_status TEXT,
        flagged TEXT,
        expires_at REAL NOT NULL,
        created_at REAL NOT NULL,
        paid_at REAL,
        payment_id TEXT,
        card_mask TEXT,
        card_chat_id INTEGER,
        card_message_id INTEGER,
        last_checked_at REAL,
        next_check_at REAL NOT NULL,
        UNIQUE (shop_id, number)
    );
    CREATE INDEX receipts_awaiting_by_shop ON receipts (shop_id, status, id);
    CREATE INDEX receipts_awaiting_by_expiry ON receipts (status, expires_at);
    CREATE INDEX receipts_due_check ON receipts (next_check_at)
        WHERE status IN ('awaiting', 'draft', 'failed', 'cancelled', 'expired');
    CREATE TABLE receipt_events (
        id INTEGER PRIMARY KEY,
        receipt_id INTEGER NOT NULL REFERENCES receipts(id) ON DELETE CASCADE,
        at REAL NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('callback', 'poll', 'user')),
        from_status TEXT,
        to_status TEXT NOT NULL,
        liqpay_status TEXT,
        detail TEXT
    );
    CREATE INDEX receipt_events_by_receipt ON receipt_events (receipt_id, id);
    CREATE TRIGGER receipt_events_append_only_update BEFORE UPDATE ON receipt_events
        BEGIN SELECT RAISE(ABORT, 'receipt_events is append-only'); END;
    CREATE TRIGGER receipt_events_append_only_delete BEFORE DELETE ON receipt_events
        WHEN (SELECT status FROM receipts WHERE id = OLD.receipt_id) IS NOT 'draft'
        BEGIN SELECT RAISE(ABORT, 'receipt_events is append-only'); END;
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        receipt_id INTEGER NOT NULL REFERENCES receipts(id),
        kind TEXT NOT NULL,
        created_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        sent_at REAL,
        last_error TEXT
    );
    CREATE INDEX outbox_pending ON outbox (state, next_attempt_at, id);
    CREATE INDEX outbox_pending_by_chat ON outbox (chat_id, id) WHERE state = 'pending';
    CREATE TABLE dialogs (
        key TEXT PRIMARY KEY,
        state TEXT,
        data TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 2: what a payment that did not match its receipt brought in, kept as facts (not text)
    # so it can be shown in the reader's language; and when the owner was told that the
    # shop's stored LiqPay keys can't be read (SECRET_KEY changed), so it is said once.
    """
    ALTER TABLE receipts ADD COLUMN flag_amount INTEGER;  -- kopecks
    ALTER TABLE receipts ADD COLUMN flag_currency TEXT;
    ALTER TABLE receipts ADD COLUMN flag_payment_id TEXT;
    ALTER TABLE shop_settings ADD COLUMN keys_unreadable_at REAL;
    """,
    # 3: the job queue (outbox notifications and status checks become jobs), holds for
    # per-group and rate-slot pacing, and receipt numbers from a per-shop counter row.
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
        payload TEXT NOT NULL DEFAULT '{}',  -- JSON object
        run_at REAL NOT NULL,
        group_key TEXT,
        dedupe_key TEXT UNIQUE,
        receipt_id INTEGER REFERENCES receipts(id) ON DELETE CASCADE,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        claimed_at REAL,
        lease_owner TEXT,
        lease_until REAL,
        finished_at REAL,
        last_error TEXT
    );
    CREATE INDEX jobs_due ON jobs (kind, run_at) WHERE state = 'pending';
    CREATE INDEX jobs_pending_by_group ON jobs (group_key, id)
        WHERE state = 'pending' AND group_key IS NOT NULL;
    CREATE INDEX jobs_by_receipt ON jobs (receipt_id);
    CREATE TABLE job_holds (
        name TEXT PRIMARY KEY,
        not_before REAL NOT NULL
    );
    CREATE TABLE receipt_counters (
        shop_id INTEGER PRIMARY KEY REFERENCES shops(id) ON DELETE CASCADE,
        last_number INTEGER NOT NULL
    );
    INSERT INTO receipt_counters (shop_id, last_number)
        SELECT shop_id, MAX(number) FROM receipts GROUP BY shop_id;
    INSERT INTO jobs (kind, payload, run_at, group_key, receipt_id, state, attempts,
                      created_at, finished_at, last_error)
        SELECT 'notify', json_object('chat_id', chat_id, 'kind', kind), next_attempt_at,
               'chat:' || chat_id, receipt_id,
               CASE state WHEN 'sent' THEN 'done' ELSE state END, attempts, created_at,
               sent_at, last_error
        FROM outbox ORDER BY id;
    INSERT INTO jobs (kind, run_at, receipt_id, attempts, created_at, claimed_at)
        SELECT 'check', next_check_at, id, last_checked_at IS NOT NULL, created_at,
               last_checked_at
        FROM receipts
        WHERE status IN ('awaiting', 'draft', 'failed', 'cancelled', 'expired') ORDER BY id;
    DROP TABLE outbox;
    DROP INDEX receipts_due_check;
    ALTER TABLE receipts DROP COLUMN next_check_at;
    ALTER TABLE receipts DROP COLUMN last_checked_at;
    """,
    # 4: the issuing lease: until when a process is making a receipt's invoice and showing the
    # cashier what became of it. One left behind by a dead process tells the next one to finish.
    """
    ALTER TABLE receipts ADD COLUMN issuing_until REAL;
    CREATE INDEX receipts_issuing ON receipts (issuing_until) WHERE issuing_until IS NOT NULL;
    """,
    # 5: orders read from an index instead of sorted: the claim's (never claimed first, then
    # the least recently claimed, then id; with many due jobs a claim reads its first rows
    # instead of sorting them all) and /pending's (a shop's newest first).
    """
    CREATE INDEX jobs_claim_order ON jobs (kind, claimed_at, id) WHERE state = 'pending';
    CREATE INDEX receipts_by_shop ON receipts (shop_id, id);
    """,
    # 6: fiscal receipts (Checkbox): a shop's registrar settings, the fiscal dimension of a
    # paid receipt, the card payment facts printed on it, and fiscal changes in the event log.
    """
    CREATE TABLE fiscal_settings (
        shop_id INTEGER PRIMARY KEY REFERENCES shops(id) ON DELETE CASCADE,
        enabled INTEGER NOT NULL DEFAULT 1,
        mode TEXT NOT NULL DEFAULT 'auto' CHECK (mode IN ('auto', 'manual')),
        license_key_enc BLOB,
        pin_enc BLOB,
        token_enc BLOB,
        payment_label TEXT NOT NULL CHECK (length(payment_label) BETWEEN 1 AND 255),
        tax_code INTEGER,
        tax_label TEXT,
        close_shift_at INTEGER NOT NULL DEFAULT 1425 CHECK (close_shift_at BETWEEN 0 AND 1439),
        created_at REAL NOT NULL
    );
    ALTER TABLE receipts ADD COLUMN payment_rrn TEXT;
    ALTER TABLE receipts ADD COLUMN payment_auth_code TEXT;
    ALTER TABLE receipts ADD COLUMN payment_bank TEXT;
    ALTER TABLE receipts ADD COLUMN payment_system TEXT;
    ALTER TABLE receipts ADD COLUMN fiscal_state TEXT CHECK (fiscal_state IN
        ('not_registered', 'registering', 'registered', 'failed'));
    ALTER TABLE receipts ADD COLUMN fiscal_code TEXT;
    ALTER TABLE receipts ADD COLUMN fiscal_date REAL;
    ALTER TABLE receipts ADD COLUMN fiscal_url TEXT;
    ALTER TABLE receipts ADD COLUMN fiscal_error TEXT;
    ALTER TABLE receipts ADD COLUMN fiscal_attempt INTEGER NOT NULL DEFAULT 1
        CHECK (fiscal_attempt >= 1);
    CREATE INDEX receipts_by_fiscal_state ON receipts (shop_id, fiscal_state, id)
        WHERE fiscal_state IS NOT NULL;
    CREATE INDEX receipts_by_fiscal_date ON receipts (shop_id, fiscal_date)
        WHERE fiscal_state = 'registered';
    ALTER TABLE receipt_events ADD COLUMN fiscal_from TEXT;
    ALTER TABLE receipt_events ADD COLUMN fiscal_to TEXT;
    """,
    # 7: refunds. The receipt keeps its refunded sum (partly refunded: paid with a sum above
    # 0; refunded: nothing left); each refund is reserved before LiqPay is asked, at most one
    # in flight per receipt, and a double tap finds it by the confirmation's key.
    """
    ALTER TABLE receipts ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0
        CHECK (refunded_amount >= 0);
    CREATE TABLE refunds (
        id INTEGER PRIMARY KEY,
        receipt_id INTEGER NOT NULL REFERENCES receipts(id) ON DELETE CASCADE,
        amount INTEGER NOT NULL CHECK (amount > 0),
        state TEXT NOT NULL CHECK (state IN ('reserved', 'sent', 'unknown', 'done', 'failed')),
        idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 64),
        requested_by INTEGER NOT NULL,
        refunded_before INTEGER NOT NULL CHECK (refunded_before >= 0),
        error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX refunds_by_receipt ON refunds (receipt_id, id);
    CREATE UNIQUE INDEX refunds_one_in_flight ON refunds (receipt_id)
        WHERE state IN ('reserved', 'sent', 'unknown');
    """,
    # 8: reminders,
    # each switch off by default. remind_lead: seconds before expiry; digest_at: minutes
    # after Kyiv midnight.
    """
    ALTER TABLE shop_settings ADD COLUMN remind_cashier INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE shop_settings ADD COLUMN remind_customer INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE shop_settings ADD COLUMN remind_lead INTEGER NOT NULL DEFAULT 3600
        CHECK (remind_lead > 0);
    ALTER TABLE shop_settings ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE shop_settings ADD COLUMN digest_at INTEGER NOT NULL DEFAULT 1200
        CHECK (digest_at >= 0 AND digest_at < 1440);
    """,
    # 9: failover. Every process writes a heartbeat (replicas.seen_at); an issuing lease
    # names its holder, so a dead replica's leases are freed at once (services/jobs/failover.py).
    """
    CREATE TABLE replicas (
        id TEXT PRIMARY KEY,
        seen_at REAL NOT NULL
    );
    ALTER TABLE receipts ADD COLUMN issuing_replica TEXT;
    """,
    # 10: the shop's catalogue. search_key is the name case-folded (by the application: SQLite's
    # lower() is ASCII only); a search by a few letters scans one shop's keys. An import
    # records its token, so a second Confirm finds it applied.
    """
    CREATE TABLE catalogue_items (
        id INTEGER PRIMARY KEY,
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 256),
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
        search_key TEXT NOT NULL,
        price INTEGER CHECK (price > 0),
        unit TEXT NOT NULL,
        tax_codes TEXT NOT NULL DEFAULT '',
        barcode TEXT,
        uktzed TEXT CHECK (length(uktzed) = 10),
        archived INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (shop_id, code)
    );
    CREATE INDEX catalogue_by_name ON catalogue_items (shop_id, search_key);
    CREATE INDEX catalogue_by_barcode ON catalogue_items (shop_id, barcode)
        WHERE barcode IS NOT NULL;
    CREATE TABLE catalogue_imports (
        token TEXT PRIMARY KEY,
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        applied_at REAL NOT NULL
    );
    """,
    # 11: the cashier's signing key: when it expires (Checkbox's certificate_end, None when
    # the registrar does not say) and when that was last read (read at most once a day).
    """
    ALTER TABLE fiscal_settings ADD COLUMN certificate_end REAL;
    ALTER TABLE fiscal_settings ADD COLUMN certificate_checked_at REAL;
    """,
    # 12: the goods each receipt sells (written with its draft), how much of each line refunds
    # gave back (refund_lines: what each refund returns), and the shop's default goods name
    # (NULL: not chosen; a fallback group name is printed) and whether the payment's purpose
    # names the goods when the cashier typed one.
    """
    CREATE TABLE receipt_lines (
        receipt_id INTEGER NOT NULL REFERENCES receipts(id) ON DELETE CASCADE,
        position INTEGER NOT NULL CHECK (position > 0),
        item_id INTEGER,
        code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 256),
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
        unit TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        price INTEGER NOT NULL CHECK (price >= 0),
        tax_codes TEXT NOT NULL DEFAULT '',
        barcode TEXT,
        uktzed TEXT,
        returned INTEGER NOT NULL DEFAULT 0 CHECK (returned >= 0 AND returned <= quantity),
        PRIMARY KEY (receipt_id, position)
    );
    CREATE TABLE refund_lines (
        refund_id INTEGER NOT NULL REFERENCES refunds(id) ON DELETE CASCADE,
        position INTEGER NOT NULL CHECK (position > 0),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        amount INTEGER NOT NULL CHECK (amount >= 0),
        PRIMARY KEY (refund_id, position)
    );
    ALTER TABLE shop_settings ADD COLUMN default_goods_name TEXT
        CHECK (length(default_goods_name) BETWEEN 1 AND 128);
    ALTER TABLE shop_settings ADD COLUMN goods_name_from_purpose INTEGER NOT NULL DEFAULT 0;
    """,
    # 13: the daily reconciliation with LiqPay and the registrar (services/reconcile/): each
    # shop's Kyiv day's last result (a JSON object), for the owner's digest
    """
    CREATE TABLE reconciliations (
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        result TEXT NOT NULL,
        checked_at REAL NOT NULL,
        PRIMARY KEY (shop_id, day)
    );
    """,
    # 14: Checkbox's offline mode (services/fiscal/offline.py): a shop's register offline or
    # online (written before going offline), the last fiscal date known on it, and its offline
    # fiscal codes, each claimed once (used_for names what used it). register_key: the
    # fingerprint of the license key the state belongs to (a new key drops it). Sale jobs
    # waiting now join their register's job group (services/fiscal/policy.register_group).
    """
    CREATE TABLE offline_registers (
        shop_id INTEGER PRIMARY KEY REFERENCES shops(id) ON DELETE CASCADE,
        mode TEXT NOT NULL DEFAULT 'online' CHECK (mode IN ('online', 'offline')),
        offline_since REAL,
        last_document_at REAL,
        register_key TEXT,
        updated_at REAL NOT NULL
    );
    CREATE TABLE offline_codes (
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        fiscal_code TEXT NOT NULL,
        obtained_at REAL NOT NULL,
        used_for TEXT,
        used_at REAL,
        PRIMARY KEY (shop_id, fiscal_code),
        UNIQUE (shop_id, used_for)
    );
    UPDATE jobs SET group_key = 'fiscal.register:' || (
        SELECT r.shop_id FROM receipts r WHERE r.id = jobs.receipt_id)
    WHERE kind = 'fiscal.sale' AND state = 'pending' AND group_key IS NULL
      AND receipt_id IS NOT NULL;
    """,
    # 15: the Mini App's Today: what came in today, summed by the payment's time per shop
    """
    CREATE INDEX receipts_by_paid_at ON receipts (shop_id, paid_at) WHERE paid_at IS NOT NULL;
    """,
    # 16: the Mini App's reports summed with no sort (storage/sqlite/report_groups.py, whose
    # PACKED is this expression letter for letter): a shop's receipts in the order of their
    # report group (Kyiv-day block, status, channel, fiscal, refund), cashier, currency
    """
    CREATE INDEX receipts_report_groups ON receipts (shop_id, (((((CAST(((CASE WHEN (status
        NOT IN ('draft', 'awaiting', 'failed', 'expired', 'cancelled') OR (CASE WHEN status
        = 'refunded' AND refunded_amount = 0 THEN amount ELSE refunded_amount END) > 0) AND
        paid_at IS NOT NULL THEN paid_at ELSE created_at END) - 75600) / 86400 AS INTEGER) *
        2 + (((CASE WHEN (status NOT IN ('draft', 'awaiting', 'failed', 'expired',
        'cancelled') OR (CASE WHEN status = 'refunded' AND refunded_amount = 0 THEN amount
        ELSE refunded_amount END) > 0) AND paid_at IS NOT NULL THEN paid_at ELSE created_at
        END) - 75600) % 86400 >= 3600)) * 64 +
        instr('|awaiting|paid|expired|cancelled|refunded|failed|draft|', '|' || status ||
        '|')) * 32 + instr('|email|sms|privat24|link|', '|' || channel || '|')) * 2 +
        (fiscal_state IS 'registered')) * 3 + (CASE WHEN status = 'refunded' OR ((CASE WHEN
        status = 'refunded' AND refunded_amount = 0 THEN amount ELSE refunded_amount END) >
        0 AND (CASE WHEN status = 'refunded' AND refunded_amount = 0 THEN amount ELSE
        refunded_amount END) = amount) THEN 2 WHEN (CASE WHEN status = 'refunded' AND
        refunded_amount = 0 THEN amount ELSE refunded_amount END) > 0 THEN 1 ELSE 0 END)),
        cashier_id, currency);
    """,
)
