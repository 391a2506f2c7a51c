"""Contract: users' languages, dialog state and the store's health."""

from __future__ import annotations

from storage.models import NewJob
from storage.protocols import Store
from tests.contract.helpers import T0, at


async def test_language_is_the_chosen_one_else_telegrams(store: Store) -> None:
    assert await store.users.language(7) is None
    await store.users.set_telegram_language(7, "en")
    assert await store.users.language(7) == "en"
    assert await store.users.chosen_language(7) is None
    await store.users.set_language(7, "uk")
    await store.users.set_telegram_language(7, "de")
    assert await store.users.language(7) == "uk"
    assert await store.users.chosen_language(7) == "uk"


async def test_dialog_state_and_data_by_key(store: Store) -> None:
    assert await store.dialogs.get_state("a") is None
    assert await store.dialogs.get_data("a") == {}
    await store.dialogs.set_state("a", "Invoice:amount")
    await store.dialogs.set_data("a", {"amount": 12345, "items": ["x", "ї"], "nested": {"k": 1}})
    await store.dialogs.set_data("b", {"other": True})
    assert await store.dialogs.get_state("a") == "Invoice:amount"
    assert await store.dialogs.get_data("a") == {
        "amount": 12345,
        "items": ["x", "ї"],
        "nested": {"k": 1},
    }
    await store.dialogs.set_data("a", {"replaced": 1})
    await store.dialogs.set_state("a", None)
    assert await store.dialogs.get_data("a") == {"replaced": 1}
    assert await store.dialogs.get_state("a") is None
    assert await store.dialogs.get_data("b") == {"other": True}


async def test_health_names_the_engine_and_counts_the_backlog(store: Store, engine: str) -> None:
    health = await store.health()
    assert health.engine == {"sqlite": "sqlite", "postgres": "postgresql"}[engine]
    assert health.schema_version >= 2
    assert health.jobs_pending == 0
    await store.jobs.enqueue([NewJob("a"), NewJob("a", run_at=at(60))], T0)
    assert (await store.health()).jobs_pending == 2
