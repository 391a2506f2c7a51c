"""Repeated log lines summarised, so a flood (forged callbacks, an outage met by every
receipt of a sweep) can't fill the disk: the first line of a kind is written, repeats within
the window are only counted, and one line tells how many there were when the window is over."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

WINDOW = 60.0  # seconds
MAX_KINDS = 1024  # kinds tracked at once; beyond that, repeats are counted together


@dataclass
class _Window:
    ends_at: float
    first: str  # the first line of this kind, as written
    repeats: int = 0


class LogThrottle:
    """`log(kind, msg, *args)` writes the first line of each kind per window; `kind` is any
    hashable, e.g. (source address, reason)."""

    _OTHERS = object()  # the kind repeats are counted under when MAX_KINDS are tracked

    def __init__(
        self,
        logger: logging.Logger,
        *,
        level: int = logging.WARNING,
        window: float = WINDOW,
        max_kinds: int = MAX_KINDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.level = level
        self.window = window
        self.max_kinds = max_kinds
        self.clock = clock
        self._windows: dict[Hashable, _Window] = {}
        self._next_end = float("inf")  # the earliest end of a window: flush has work then
        self._timer: tuple[asyncio.AbstractEventLoop, asyncio.TimerHandle] | None = None

    def log(self, kind: Hashable, msg: str, *args: object) -> None:
        now = self.clock()
        self.flush(now)
        current = self._windows.get(kind)
        if current is None and len(self._windows) >= self.max_kinds:
            kind, current = self._OTHERS, self._windows.get(self._OTHERS)
            if current is None:
                first = "Other repeated lines (too many kinds to track each)"
                current = self._windows[kind] = _Window(now + self.window, first)
                self._next_end = min(self._next_end, current.ends_at)
        if current is not None:
            current.repeats += 1
            self._wake_at(current.ends_at)
            return
        first = msg % args if args else msg
        self._windows[kind] = _Window(now + self.window, first)
        self._next_end = min(self._next_end, now + self.window)
        self.logger.log(self.level, first)

    def flush(self, now: float | None = None) -> None:
        """Write the summary of every window that is over (and forget it)."""
        now = self.clock() if now is None else now
        if now < self._next_end:
            return
        over = [kind for kind, w in self._windows.items() if w.ends_at <= now]
        for kind in over:
            window = self._windows.pop(kind)
            if window.repeats:
                self.logger.log(
                    self.level,
                    "%s — and %d more like it in the last %s",
                    window.first,
                    window.repeats,
                    "minute" if self.window == 60 else f"{self.window:g} s",
                )
        self._next_end = min((w.ends_at for w in self._windows.values()), default=float("inf"))

    def _wake_at(self, moment: float) -> None:
        """Make sure the summary is written even if nothing else is logged afterwards."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the next log() or an explicit flush() writes it
        if self._timer is not None and self._timer[0] is loop:
            return
        delay = max(0.0, moment - self.clock()) + 0.01
        self._timer = (loop, loop.call_later(delay, self._on_timer))

    def _on_timer(self) -> None:
        self._timer = None
        self.flush()
        pending = [w.ends_at for w in self._windows.values() if w.repeats]
        if pending:
            self._wake_at(min(pending))
