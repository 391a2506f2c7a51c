"""A shop's settings: its LiqPay keys."""
