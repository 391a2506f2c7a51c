"""/reconcile and the daily reconciliation's message (services/reconcile/)."""
