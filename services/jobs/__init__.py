"""The replicas and the workers that take leases on the store's jobs."""
