"""LogThrottle: the first line of a kind is written, repeats are counted, one summary line
tells how many when the window is over."""

from __future__ import annotations

import asyncio
import logging

import pytest

from services.core.logthrottle import LogThrottle

log = logging.getLogger("tests.throttle")


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == log.name]


def test_repeats_are_counted_and_summarised_when_the_window_is_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    ticks = Ticks()
    throttle = LogThrottle(log, clock=ticks)
    for n in range(1000):
        throttle.log(
            ("10.0.0.1", "bad signature"), "rejected from %s: %s #%d", "10.0.0.1", "sig", n
        )
    assert lines(caplog) == ["rejected from 10.0.0.1: sig #0"]

    ticks.now += 59
    throttle.flush()
    assert len(lines(caplog)) == 1  # the window is not over yet
    ticks.now += 1
    throttle.flush()
    assert lines(caplog)[1] == (
        "rejected from 10.0.0.1: sig #0 — and 999 more like it in the last minute"
    )
    throttle.log(("10.0.0.1", "bad signature"), "again")  # a new window: written at once
    assert lines(caplog)[2] == "again"
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_each_source_and_reason_is_its_own_kind(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    ticks = Ticks()
    throttle = LogThrottle(log, clock=ticks)
    for _ in range(10):
        throttle.log(("a", "sig"), "a sig")
        throttle.log(("b", "sig"), "b sig")
        throttle.log(("a", "json"), "a json")
    assert lines(caplog) == ["a sig", "b sig", "a json"]
    ticks.now += 60
    throttle.log(("c", "sig"), "c sig")  # any later line rolls the windows that are over
    assert sorted(lines(caplog)[3:]) == sorted(
        [
            "a sig — and 9 more like it in the last minute",
            "b sig — and 9 more like it in the last minute",
            "a json — and 9 more like it in the last minute",
            "c sig",
        ]
    )


def test_a_line_without_repeats_has_no_summary(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    ticks = Ticks()
    throttle = LogThrottle(log, clock=ticks)
    throttle.log("once", "only once")
    ticks.now += 120
    throttle.flush()
    assert lines(caplog) == ["only once"]


def test_kinds_beyond_the_limit_are_counted_together(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    ticks = Ticks()
    throttle = LogThrottle(log, clock=ticks, max_kinds=3)
    for source in range(1000):  # a flood from a thousand addresses
        throttle.log((source, "sig"), "from %s", source)
    assert lines(caplog) == ["from 0", "from 1", "from 2"]
    ticks.now += 60
    throttle.flush()
    assert lines(caplog)[3:] == [
        "Other repeated lines (too many kinds to track each) — and 997 more like it in the "
        "last minute"
    ]


async def test_the_summary_is_written_even_if_the_flood_stops(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    throttle = LogThrottle(log, window=0.05)
    for _ in range(5):
        throttle.log("kind", "flooded")
    await asyncio.sleep(0.2)  # nothing else is logged: the timer writes the summary
    assert lines(caplog) == ["flooded", "flooded — and 4 more like it in the last 0.05 s"]
