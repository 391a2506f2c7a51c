"""Reminders and the end-of-day digest, and their worker."""
