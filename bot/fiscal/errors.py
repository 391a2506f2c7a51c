"""Why the registrar said no, in the reader's language.

A refusal or a failed receipt keeps Checkbox's own words when it gave any (they come from
the tax service, in Ukrainian); without them the service keeps the refusal's reason or the
receipt's status code, which is shown here as a translated sentence, never as the code."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, t
from services.core.periods import KYIV
from services.fiscal.key_expiry import expired_end
from services.fiscal.registrar import FiscalStatus, RefusalReason

WHY: dict[str, str] = {
    RefusalReason.BAD_CREDENTIALS: N_("the license key or the PIN code is wrong"),
    RefusalReason.INVALID_TOKEN: N_("the Checkbox session has ended"),
    RefusalReason.SHIFT_NOT_OPENED: N_("the Checkbox shift is not open"),
    RefusalReason.SHIFT_ALREADY_OPENED: N_("the Checkbox shift is already open elsewhere"),
    RefusalReason.REGISTER_BUSY: N_("another cashier is working with the cash register"),
    RefusalReason.SHIFT_FAILED: N_("the Checkbox shift closed instead of opening"),
    RefusalReason.KEY_EXPIRED: N_(
        "the cashier's key has expired: renew it in the Checkbox cabinet"
    ),
    RefusalReason.NOT_FOUND: N_("Checkbox has no such receipt"),
    RefusalReason.VALIDATION: N_("Checkbox did not accept the receipt's data"),
    RefusalReason.OTHER: N_("Checkbox gave no reason"),
    FiscalStatus.ERROR: N_("the tax service gave an error without a reason"),
    FiscalStatus.CANCELLED: N_("the receipt was cancelled"),
    FiscalStatus.PENDING: N_("the tax service has not answered"),
}


def fiscal_error_text(stored: str | None, locale: str | None = None) -> str:
    """Checkbox's own words as they are; a kept reason or status code translated."""
    text = (stored or "").strip()
    expired, end = expired_end(text)
    if expired:
        return key_expired_text(end, locale)
    if not text:
        return t("Checkbox gave no reason", locale)
    why = WHY.get(text.lower())  # "ERROR" as kept by earlier versions too
    return t(why, locale) if why is not None else text


def kyiv_date(moment: datetime) -> str:
    return moment.astimezone(KYIV).strftime("%d.%m.%Y")


def key_expired_text(end: datetime | None, locale: str | None = None) -> str:
    """A sale refused for the cashier's expired key, in plain words."""
    if end is None:
        return t(WHY[RefusalReason.KEY_EXPIRED], locale)
    return t(
        "the cashier's key expired on {date}: renew it in the Checkbox cabinet",
        locale,
        date=kyiv_date(end),
    )


def refusal_text(message: str, reason: RefusalReason, locale: str | None = None) -> str:
    """A refusal as it is raised: its message, or its reason translated."""
    return fiscal_error_text(message or reason.value, locale)
