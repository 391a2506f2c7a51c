"""Issuing invoices: the issuing lease and recovery after a dead maker."""
