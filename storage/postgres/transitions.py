"""The SQL of a receipt's compare-and-set transitions, of its status and of its fiscal state."""

from __future__ import annotations

# Compare-and-set in one statement: `prior` locks the receipt only while its status is one
# of $2 (re-checked on the latest version after waiting for a concurrent change), the
# UPDATE sets the new values, and the event records the status it came from.
TRANSITION = """
    WITH prior AS (
        SELECT id, status FROM receipts WHERE id = $1 AND status = ANY($2::text[]) FOR UPDATE
    ), changed AS (
        UPDATE receipts r SET {assignments} FROM prior WHERE r.id = prior.id
        RETURNING r.*, prior.status AS from_status
    ), event AS (
        INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status,
                                    liqpay_status, detail)
        SELECT id, $3, $4, from_status, status, $5, $6 FROM changed
    )
    SELECT * FROM changed
"""
# The same with the jobs it causes, still one statement: one round trip, and the jobs'
# group locks held only while it runs.
TRANSITION_WITH_JOBS = TRANSITION.replace(
    "\n    SELECT * FROM changed\n", ",{jobs}\n    SELECT * FROM changed\n"
)

CHANGE_COLUMNS = frozenset(
    {
        "link", "invoice_token", "paid_at", "payment_id", "card_mask", "expires_at",
        "payment_rrn", "payment_auth_code", "payment_bank", "payment_system", "fiscal_state",
    }
)  # fmt: skip
FISCAL_COLUMNS = frozenset(
    {"fiscal_code", "fiscal_date", "fiscal_url", "fiscal_error", "fiscal_attempt"}
)

# Compare-and-set of the fiscal state, as TRANSITION: $2 the expected states, $3 whether a
# receipt without one matches too.
FISCAL_TRANSITION = """
    WITH prior AS (
        SELECT id, fiscal_state FROM receipts
        WHERE id = $1 AND (fiscal_state = ANY($2::text[]) OR ($3 AND fiscal_state IS NULL))
        FOR UPDATE
    ), changed AS (
        UPDATE receipts r SET {assignments} FROM prior WHERE r.id = prior.id
        RETURNING r.*, prior.fiscal_state AS fiscal_from
    ), event AS (
        INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status, detail,
                                    fiscal_from, fiscal_to)
        SELECT id, $4, $5, status, status, $6, fiscal_from, fiscal_state FROM changed
    )
    SELECT * FROM changed
"""
