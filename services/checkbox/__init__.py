"""Checkbox PRRO: the client, its HTTP transport and its JSON."""
