"""The Catalogue screen's CSV import on every engine: the catalogue service's preview, then
all of it or nothing, once for a double tap, the owner's only."""

from __future__ import annotations

import base64
from typing import Any

from tests.miniapp.conftest import AppWorld

GOOD = "name;price;unit\nКава зернова;450,00;kg\nСтакан <b>;10;pcs\n".encode()
BAD = "name;price;unit\nКава;450,00;kg\n;10;pcs\n".encode()


def file(data: bytes, **more: Any) -> dict[str, Any]:
    return {"file": base64.b64encode(data).decode(), **more}


async def names(world: AppWorld) -> list[str]:
    status, body = await world.get("/app/api/catalogue", world.shop.owner_id)
    assert status == 200
    return sorted(item["name"] for item in body["items"])


async def test_preview_then_everything_once(world: AppWorld) -> None:
    owner, path = world.shop.owner_id, "/app/api/catalogue/import"
    status, preview = await world.post(path + "/preview", owner, file(GOOD))
    assert status == 200, preview
    assert preview["applicable"] and preview["new"] == 2 and preview["errors"] == 0
    assert "2" in preview["text"]
    assert await names(world) == []  # nothing written by a preview
    confirm = file(GOOD, token=preview["token"], digest=preview["digest"])
    status, done = await world.post(path, owner, confirm)
    assert status == 200 and done["applied"], done
    status, again = await world.post(path, owner, confirm)  # a double tap
    assert status == 200 and not again["applied"]
    assert await names(world) == ["Кава зернова", "Стакан <b>"]


async def test_a_refused_line_writes_nothing(world: AppWorld) -> None:
    owner, path = world.shop.owner_id, "/app/api/catalogue/import"
    status, preview = await world.post(path + "/preview", owner, file(BAD))
    assert status == 200 and not preview["applicable"] and preview["errors"] == 1
    assert "3" in preview["text"]  # the line named
    status, body = await world.post(
        path, owner, file(BAD, token=preview["token"], digest=preview["digest"])
    )
    assert status == 409
    assert await names(world) == []
    status, body = await world.post(path + "/preview", owner, file(b"\x00\xff\x00garbage"))
    assert status == 400 and body["error"]
    status, body = await world.post(path + "/preview", owner, {"file": "not base64!"})
    assert status == 400


async def test_a_changed_catalogue_needs_a_new_preview_and_a_cashier_cannot(
    world: AppWorld,
) -> None:
    owner, path = world.shop.owner_id, "/app/api/catalogue/import"
    coded = "code;name;price;unit\nA1;Кава зернова;450,00;kg\n".encode()
    status, preview = await world.post(path + "/preview", owner, file(coded))
    assert preview["new"] == 1
    # meanwhile an item of that code is added (in the chat, or another tab)
    status, _ = await world.post("/app/api/catalogue", owner, {"name": "Кава", "price": "1",
                                                                "code": "A1"})  # fmt: skip
    assert status == 200
    status, body = await world.post(
        path, owner, file(coded, token=preview["token"], digest=preview["digest"])
    )
    assert status == 409 and body["error"]
    assert await names(world) == ["Кава"]
    cashier = world.shop.cashier_id
    status, _ = await world.post(path + "/preview", cashier, file(GOOD))
    assert status == 403


async def test_a_body_that_arrives_in_pieces_is_read_whole(world: AppWorld) -> None:
    """A file of a few hundred rows, sent chunked (as from a mobile link or a proxy), is read
    whole: not just the first piece that arrived."""
    import asyncio
    import json

    rows = "".join(f"Товар {n};{n},50;pcs\n" for n in range(1, 600))
    body = json.dumps(file(("name;price;unit\n" + rows).encode())).encode()

    async def pieces() -> Any:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]
            await asyncio.sleep(0.005)  # the next piece is still on its way

    headers = world.auth(world.shop.owner_id)
    async with world.client.post(
        "/app/api/catalogue/import/preview", headers=headers, data=pieces()
    ) as r:
        assert r.status == 200, await r.text()
        assert (await r.json())["new"] == 599
