"""One router per feature; the fallback router goes last."""

from __future__ import annotations

from aiogram import Router


def build_routers() -> list[Router]:
    from bot.routers import common

    return [common.router]
