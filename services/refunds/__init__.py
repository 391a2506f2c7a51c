"""Refunds: the owner's refunds, the refunded-sum ledger and their worker."""
