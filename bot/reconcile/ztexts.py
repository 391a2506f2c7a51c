"""The reconciliation's lines about the Z reports of the shifts closed that day: agreeing,
or each difference (reported, never fixed). Amounts are formatted money."""

from __future__ import annotations

from bot.i18n import N_, t, tn
from services.core.money import format_amount
from services.reconcile.model import Result, Side, ZTotals

# (kind, more in the register?) -> the line
_DIFFERENCES = {
    ("sales", True): N_(
        "❗ Z report No {serial} counts {register} of card sales, the bot's registered "
        "receipts {bot}: {diff} more in the register."
    ),
    ("sales", False): N_(
        "❗ Z report No {serial} counts {register} of card sales, the bot's registered "
        "receipts {bot}: {diff} less in the register."
    ),
    ("returns", True): N_(
        "❗ Z report No {serial} counts {register} of card returns, the bot's return "
        "receipts {bot}: {diff} more in the register."
    ),
    ("returns", False): N_(
        "❗ Z report No {serial} counts {register} of card returns, the bot's return "
        "receipts {bot}: {diff} less in the register."
    ),
}


def _difference(shift: ZTotals, kind: str, locale: str | None) -> str | None:
    register, bot = (
        (shift.card_sales, shift.bot_sales)
        if kind == "sales"
        else (shift.card_returns, shift.bot_returns)
    )
    if register == bot:
        return None
    return t(
        _DIFFERENCES[(kind, register > bot)], locale,
        serial=shift.serial if shift.serial is not None else "—",
        register=format_amount(register), bot=format_amount(bot),
        diff=format_amount(abs(register - bot)),
    )  # fmt: skip


def z_lines(result: Result, locale: str | None = None) -> list[str]:
    """Nothing when no shift closed that day (or the Z reports were not to be read)."""
    if result.zreport is Side.UNAVAILABLE:
        if result.fiscal is Side.UNAVAILABLE:  # its own line says Checkbox is not answering
            return [t("⚠️ The Z report was not checked either.", locale)]
        return [t("⚠️ Checkbox is not answering: the Z report was not checked.", locale)]
    if result.zreport is not Side.OK or not result.shifts:
        return []
    if result.z_agrees:
        sales = format_amount(sum(s.card_sales for s in result.shifts))
        returns = format_amount(sum(s.card_returns for s in result.shifts))
        if len(result.shifts) == 1:
            return [t("Z report: sales {sales}, returns {returns} — agree ✅", locale,
                      sales=sales, returns=returns)]  # fmt: skip
        return [tn(
            "Z reports, {n} shift: sales {sales}, returns {returns} — agree ✅",
            "Z reports, {n} shifts: sales {sales}, returns {returns} — agree ✅",
            len(result.shifts), locale, sales=sales, returns=returns,
        )]  # fmt: skip
    lines = []
    for shift in result.shifts:
        for kind in ("sales", "returns"):
            line = _difference(shift, kind, locale)
            if line is not None:
                lines.append(line)
    return lines


def z_digest_part(result: Result, locale: str | None = None) -> str | None:
    """The digest's word about the Z reports, when one is off or was not read."""
    if result.zreport is Side.OK and not result.z_agrees:
        return t("❗ the Z report differs", locale)
    if result.zreport is Side.UNAVAILABLE and result.fiscal is not Side.UNAVAILABLE:
        return t("⚠️ the Z report was not checked", locale)
    return None
