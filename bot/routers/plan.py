"""Handlers registered on a plan, built into fresh aiogram Routers for each dispatcher.

An aiogram Router belongs to one parent for good, so module-level routers could serve one
dispatcher only; tests (and a process) build many. A feature module declares its handlers
on a `RouterPlan` with the same decorators as a Router's (`@plan.message(...)`,
`plan.callback_query.filter(...)`, `@plan.errors(...)`), and `plan.build()` makes a new
Router with all of them, through aiogram's public `register` and `filter` calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiogram import Router
from aiogram.dispatcher.event.telegram import TelegramEventObserver

Handler = TypeVar("Handler", bound=Callable[..., Any])


@dataclass
class _Registration:
    callback: Callable[..., Any]
    filters: tuple[Any, ...]
    options: dict[str, Any]


@dataclass
class ObserverPlan:
    """What one event type (message, callback_query) of a router gets: its router-wide
    filters and its handlers, in order."""

    filters: list[Any] = field(default_factory=list)
    handlers: list[_Registration] = field(default_factory=list)

    def __call__(self, *filters: Any, **options: Any) -> Callable[[Handler], Handler]:
        def register(callback: Handler) -> Handler:
            self.handlers.append(_Registration(callback, filters, options))
            return callback

        return register

    def filter(self, *filters: Any) -> None:
        self.filters.extend(filters)

    def apply(self, observer: TelegramEventObserver) -> None:
        if self.filters:
            observer.filter(*self.filters)
        for handler in self.handlers:
            observer.register(handler.callback, *handler.filters, **handler.options)


class RouterPlan:
    def __init__(self, name: str) -> None:
        self.name = name
        self.message = ObserverPlan()
        self.callback_query = ObserverPlan()
        self.errors = ObserverPlan()

    def build(self) -> Router:
        router = Router(name=self.name)
        self.message.apply(router.message)
        self.callback_query.apply(router.callback_query)
        self.errors.apply(router.errors)
        return router
