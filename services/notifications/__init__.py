"""Notifications: the outbox jobs a receipt's change causes."""
