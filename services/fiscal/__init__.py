"""Fiscal receipts through a fiscal registrar (PRRO), exactly once."""
