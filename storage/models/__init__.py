"""Typed rows and plain values the store exchanges with services, the same on every engine.

Times are timezone-aware UTC datetimes; money is integer kopecks; job payloads are
JSON-able dicts. Nothing here knows about a database driver.
"""
