"""The owner's choice of the default goods name (/settings → Goods name)."""

from __future__ import annotations

from dataclasses import dataclass

from services.goods.names import FALLBACK_GOODS_NAME, GOODS_GROUPS, check_goods_name
from storage.models.settings import SettingsChanges
from storage.protocols.settings import SettingsRepository

GROUP_NAMES: tuple[str, ...] = tuple(GOODS_GROUPS)  # a button's value is its index here


@dataclass(frozen=True)
class GoodsNameChoice:
    name: str | None  # None: the owner has not chosen
    from_purpose: bool  # the payment's purpose names the goods when the cashier typed one

    @property
    def printed(self) -> str:
        """What an "amount only" receipt prints when no purpose names it."""
        return self.name or FALLBACK_GOODS_NAME

    @property
    def is_group(self) -> bool:
        return self.name in GOODS_GROUPS


class GoodsNames:
    def __init__(self, settings: SettingsRepository) -> None:
        self._settings = settings

    async def current(self, shop_id: int) -> GoodsNameChoice:
        shop = await self._settings.get(shop_id)
        return GoodsNameChoice(shop.default_goods_name, shop.goods_name_from_purpose)

    async def choose_group(self, shop_id: int, index: int) -> str:
        """The group name at `index` of GROUP_NAMES; IndexError for no such group."""
        if not 0 <= index < len(GROUP_NAMES):
            raise IndexError(index)
        name = GROUP_NAMES[index]
        await self._settings.update(shop_id, SettingsChanges(default_goods_name=name))
        return name

    async def choose_own(self, shop_id: int, text: str) -> str:
        """The owner's own name, cleaned; ItemError (empty, over 128 characters) refuses it
        and changes nothing."""
        name = check_goods_name(text)
        await self._settings.update(shop_id, SettingsChanges(default_goods_name=name))
        return name

    async def set_from_purpose(self, shop_id: int, on: bool) -> None:
        await self._settings.update(shop_id, SettingsChanges(goods_name_from_purpose=on))
