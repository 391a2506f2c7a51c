"""Shops, members, invites and their settings."""
