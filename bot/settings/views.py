"""The owner's settings screen: what is set, in one message."""

from __future__ import annotations

from bot.goods.texts import goods_name_line
from bot.i18n import t
from bot.reminders.texts import reminder_lines
from bot.settings.keyboards import LIFETIME_CHOICES
from bot.ui.format import escape
from services.fiscal.setup import FiscalSetupService
from services.goods.settings import GoodsNameChoice
from services.shops.service import ShopService
from storage.models.shops import Member


def lifetime_text(seconds: int) -> str:
    for value, label in LIFETIME_CHOICES:
        if value == seconds:
            return t(label)
    if seconds % 86400 == 0:
        return t("{n} d", n=seconds // 86400)
    if seconds % 3600 == 0:
        return t("{n} h", n=seconds // 3600)
    return t("{n} min", n=seconds // 60)


async def settings_text(
    shops: ShopService, fiscal_setup: FiscalSetupService, member: Member
) -> str:
    s = await shops.settings(member)
    if s.public_key:
        mode = t("sandbox") if s.public_key.startswith("sandbox_") else t("live")
        keys = t("set, {mode}; public key <code>{key}</code>", mode=mode, key=escape(s.public_key))
    else:
        keys = t("not set")
    sms = (
        t("TurboSMS, sender {sender}", sender=escape(s.sms_sender or ""))
        if s.has_sms
        else t("not set")
    )
    fiscal = await fiscal_setup.settings(member.shop_id)
    if fiscal is None or not fiscal.configured:
        fiscal_line = t("Fiscalization: not set up")
    elif fiscal.enabled:
        fiscal_line = t("Fiscalization: on")
    else:
        fiscal_line = t("Fiscalization: off (nothing is registered)")
    return "\n".join(
        [
            t("⚙️ <b>Settings of {shop}</b>", shop=escape(member.shop_name)),
            t("LiqPay keys: {keys}", keys=keys),
            t("Invoice lifetime: {lifetime}", lifetime=lifetime_text(s.invoice_lifetime)),
            t("Currency: {currency}", currency=s.currency),
            t("LiqPay API version: {version}", version=s.api_version),
            t("SMS gateway: {sms}", sms=sms),
            *reminder_lines(
                s.remind_cashier, s.remind_customer, s.remind_lead, s.digest, s.digest_at
            ),
            fiscal_line,
            goods_name_line(GoodsNameChoice(s.default_goods_name, s.goods_name_from_purpose)),
        ]
    )
