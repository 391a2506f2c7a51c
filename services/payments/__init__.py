"""Payments: LiqPay callbacks, the reconciler and its polling policy."""
