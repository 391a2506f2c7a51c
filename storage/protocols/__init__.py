"""What services need from a store, one protocol per aggregate, the same on every engine.

An engine (storage/sqlite/, storage/postgres/) implements each protocol and the `Store`
container that holds them. Rules every implementation keeps:

- Values are plain: datetimes are timezone-aware UTC (the store returns them in UTC and
  compares instants, never wall-clock strings), money is integer kopecks, job payloads are
  JSON-able dicts. `now` is always passed in by the caller; the store never reads a clock.
- Every method is one transaction: it happens entirely or not at all, and returns only
  after its change is durable.
- A write that breaks a rule of the schema raises `storage.models.common.IntegrityViolation`.
- Domain policy (which statuses are polled, which key pair to use, when to check next)
  belongs to services/; the store takes plain values (status lists, cut-off times).
"""
