"""What the owner reads on the fiscalization screen, in the reader's language."""

from __future__ import annotations

from bot.fiscal.errors import key_expired_text, kyiv_date, refusal_text
from bot.i18n import t
from bot.ui.format import escape
from services.core.clock import utcnow
from services.fiscal.registrar import FiscalRefused
from services.fiscal.setup import FiscalSetupService, format_close_time
from storage.models.fiscal import FiscalMode, FiscalSettings


def owner_only() -> str:
    return t("Only the shop owner can change the settings.")


def checkbox_down() -> str:
    return t("Checkbox is not answering right now. Nothing changed; try again in a minute.")


def not_set_up() -> str:
    return t("Give me the license key and the PIN code first.")


def fiscal_text(fiscal_setup: FiscalSetupService, settings: FiscalSettings | None) -> str:
    title = t("🧾 <b>Fiscalization (Checkbox)</b>")
    if settings is None or not settings.configured:
        return "\n".join(
            [
                title,
                t(
                    "Not set up. A card sale needs a fiscal receipt registered with the tax "
                    "service: give me the Checkbox cash register's license key and the cashier's "
                    "PIN code, and paid invoices get their receipts."
                ),
            ]
        )
    return "\n".join([title, *_settings_lines(fiscal_setup, settings)])


def _settings_lines(fiscal_setup: FiscalSetupService, s: FiscalSettings) -> list[str]:
    hint = fiscal_setup.license_key_hint(s)
    key = f"<code>{escape(hint)}</code>" if hint else t("can't be read: enter it again")
    if s.tax_code is None:
        tax = t("no VAT")
    else:
        tax = t("{name} (code {code})", name=escape(s.tax_label or ""), code=s.tax_code)
    mode = (
        t("automatic, as soon as an invoice is paid")
        if s.mode is FiscalMode.AUTO
        else t("only by the «Register receipt» button")
    )
    return [
        t("Fiscalization: on") if s.enabled else t("Fiscalization: off (nothing is registered)"),
        t("License key: {key}", key=key),
        t("Cashier's PIN code: set"),
        t("Payment form: {label}", label=escape(s.payment_label)),
        t("Tax rate: {tax}", tax=tax),
        t("Mode: {mode}", mode=mode),
        t("The shift is closed at {time} (Kyiv time)", time=format_close_time(s.close_shift_at)),
        *_key_line(s),
    ]


def _key_line(s: FiscalSettings) -> list[str]:
    """The cashier's key: until when, or that it has expired (nothing while unknown)."""
    end = s.certificate_end
    if end is None:
        return []
    if end <= utcnow():
        text = key_expired_text(end)
        return ["⚠️ " + text[:1].upper() + text[1:]]
    return [t("Cashier's key: valid until {date}", date=kyiv_date(end))]


def refused_text(exc: FiscalRefused) -> str:
    return t(
        "Checkbox refused: {reason}. Nothing changed.",
        reason=escape(refusal_text(exc.message[:200], exc.reason)),
    )
