"""End-to-end tests: the real bot process against the stand-ins in tests/doubles/."""
