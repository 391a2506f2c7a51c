"""Names for the workers that take leases on jobs."""

from __future__ import annotations

import os
import secrets
import socket


def new_worker_id(role: str) -> str:
    """Unique per process start: a restarted process never mistakes an old lease for its own."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}:{secrets.token_hex(3)}"
