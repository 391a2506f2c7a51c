"""Routers are built fresh for every dispatcher, through aiogram's public API only."""

from __future__ import annotations

from pathlib import Path

from aiogram import Dispatcher

from bot.routers import build_routers

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"


def test_each_dispatcher_gets_routers_of_its_own() -> None:
    first, second = build_routers(), build_routers()
    assert not {id(r) for r in first} & {id(r) for r in second}
    for routers in (first, second):
        Dispatcher().include_routers(*routers)  # a router with a parent already would raise
    handlers = [len(r.message.handlers) + len(r.callback_query.handlers) for r in first]
    assert handlers == [len(r.message.handlers) + len(r.callback_query.handlers) for r in second]
    assert all(handlers)
    assert first[0].name == "common" and first[-1].name == "fallback"


def test_no_router_is_detached_through_a_private_attribute() -> None:
    for source in BOT_DIR.rglob("*.py"):
        assert "_parent_router" not in source.read_text(), source
