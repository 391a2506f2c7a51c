"""An invoice's payment link by SMS, through the shop's TurboSMS gateway."""

from __future__ import annotations

import logging

from services.core.crypto import SecretBox, SecretKeyMismatch
from services.core.money import format_amount
from services.turbosms import SmsError, SmsMaybeSent, SmsUnavailable, TurboSmsClient
from storage.models.receipts import Receipt
from storage.models.settings import ShopSettings
from storage.protocols.settings import SettingsRepository

log = logging.getLogger(__name__)

# Why an SMS was not sent, besides a TurboSMS status code (bot/ says it in the reader's words)
SMS_NOT_CONFIGURED = "not_configured"
SMS_TOKEN_UNREADABLE = "token_unreadable"  # noqa: S105 (a reason code: SECRET_KEY changed)
SMS_UNAVAILABLE = "unavailable"  # TurboSMS could not be reached or failed: not sent
SMS_MAYBE_SENT = "maybe_sent"  # the request went out, no answer came: it may have been sent


class InvoiceSms:
    def __init__(
        self, shop_settings: SettingsRepository, box: SecretBox, sms: TurboSmsClient
    ) -> None:
        self.shop_settings = shop_settings
        self.box = box
        self.sms = sms

    async def send(
        self, receipt: Receipt, text: str | None = None, *, shop: ShopSettings | None = None
    ) -> str | None:
        """Send the payment link by SMS (`text`, else the amount and the link); returns why
        it failed (SMS_MAYBE_SENT: it may have gone after all), or None when sent. `shop`: the
        shop's settings when the caller has just read them (else read here)."""
        shop = shop or await self.shop_settings.get(receipt.shop_id)
        if not shop.sms_token_enc or not shop.sms_sender or not receipt.link or not receipt.contact:
            return SMS_NOT_CONFIGURED
        try:
            token = self.box.decrypt(shop.sms_token_enc)
        except SecretKeyMismatch:
            log.warning("Shop %s: the stored SMS token can't be read", receipt.shop_id)
            return SMS_TOKEN_UNREADABLE
        text = text or f"{format_amount(receipt.amount, receipt.currency)}: {receipt.link}"
        try:
            await self.sms.send(token, shop.sms_sender, receipt.contact, text)
        except SmsMaybeSent as exc:
            log.warning(
                "SMS for receipt %s may have been sent (%s): no answer came", receipt.id, exc.reason
            )
            return SMS_MAYBE_SENT
        except SmsUnavailable as exc:
            log.warning("SMS for receipt %s not sent: %s", receipt.id, exc.reason)
            return SMS_UNAVAILABLE
        except SmsError as exc:
            log.warning("SMS for receipt %s not sent: %s", receipt.id, exc.reason)
            return exc.reason
        return None
