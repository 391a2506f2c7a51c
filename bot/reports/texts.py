"""What /report and /export say: the report message, the chart's and the file's words, and
why a typed period was refused — in the reader's language, counts in their plural form."""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import t, tn
from bot.receipts.views import channel_name
from bot.ui.format import escape
from services.core.money import format_amount
from services.core.periods import Period, PeriodErrorReason
from services.reports.chart import ChartLabels
from services.reports.export import ExportHeaders, ExportLabels
from services.reports.totals import Bucket, Report, Totals
from storage.models.receipts import Channel, ReceiptStatus


def receipts_count(n: int, locale: str | None = None) -> str:
    return tn("{n} receipt", "{n} receipts", n, locale)


def bucket_text(bucket: Bucket, currency: str, locale: str | None = None) -> str:
    """ "3 receipts · 750,00 UAH", or just "0 receipts"."""
    count = receipts_count(bucket.count, locale)
    return f"{count} · {format_amount(bucket.kopecks, currency)}" if bucket.count else count


def period_error_text(reason: PeriodErrorReason, locale: str | None = None) -> str:
    texts = {
        PeriodErrorReason.MALFORMED: t(
            "I could not read that period. Send it like 01.11.2026–30.11.2026 "
            "(or 01.11.2026-30.11.2026), or one date like 05.11.2026.",
            locale,
        ),
        PeriodErrorReason.NO_SUCH_DATE: t(
            "There is no such date on the calendar. Check the day and the month.", locale
        ),
        PeriodErrorReason.REVERSED: t(
            "The first date is after the second one. Send the earlier date first.", locale
        ),
        PeriodErrorReason.TOO_LONG: t("A period can be at most a year (366 days).", locale),
        PeriodErrorReason.FUTURE: t(
            "The period reaches into the future. It can end today at the latest.", locale
        ),
    }
    return texts[reason]


def ask_range_text(locale: str | None = None) -> str:
    return t(
        "Send the period as two dates, like 01.11.2026–30.11.2026, or one date for one day. "
        "/cancel to stop.",
        locale,
    )


def nothing_in_period_text(period: Period, locale: str | None = None) -> str:
    return t("No receipts for {period}.", locale, period=period.range_text())


def _compact(totals: Totals, currency: str, locale: str | None) -> str:
    """One line per channel or cashier: the buckets that are not empty, by their emoji."""
    parts = []
    for emoji, bucket in (
        ("✅", totals.paid),
        ("⏳", totals.awaiting),
        ("⌛", totals.expired),
        ("🚫", totals.cancelled),
        ("❌", totals.failed),
    ):
        if bucket.count:
            parts.append(f"{emoji} {bucket_text(bucket, currency, locale)}")
    if totals.refunded_count:
        refunded = Bucket(totals.refunded_count, totals.refunded_kopecks)
        parts.append(f"↩️ {bucket_text(refunded, currency, locale)}")
    return ", ".join(parts)


def totals_lines(totals: Totals, currency: str, locale: str | None = None) -> list[str]:
    def b(bucket: Bucket) -> str:
        return bucket_text(bucket, currency, locale)

    refunded = Bucket(totals.refunded_count, totals.refunded_kopecks)
    lines = [
        t("✅ Paid: {paid}", locale, paid=b(totals.paid)),
        t(
            "    registered with the tax service: {registered}",
            locale,
            registered=b(totals.fiscal_registered),
        ),
        t("    not registered: {unregistered}", locale, unregistered=b(totals.fiscal_unregistered)),
        t("⏳ Awaiting payment: {awaiting}", locale, awaiting=b(totals.awaiting)),
        t("⌛ Expired: {expired}", locale, expired=b(totals.expired)),
        t("🚫 Cancelled: {cancelled}", locale, cancelled=b(totals.cancelled)),
    ]
    if totals.failed.count:
        lines.append(t("❌ Payment failed: {failed}", locale, failed=b(totals.failed)))
    lines.append(t("↩️ Refunded: {refunded}", locale, refunded=b(refunded)))
    if totals.refunded_count:
        lines.append(
            t(
                "    in full: {full}; in part: {partial}",
                locale,
                full=receipts_count(totals.refunded_full.count, locale),
                partial=receipts_count(totals.refunded_partial.count, locale),
            )
        )
        lines.append(
            t(
                "💰 Paid less refunded: {net}",
                locale,
                net=format_amount(totals.net_kopecks, currency),
            )
        )
    return lines


def report_text(
    reports: tuple[Report, ...],
    *,
    heading: str,
    cashier_names: Mapping[int, str] | None,
    locale: str | None = None,
) -> str:
    """The whole report; with `cashier_names` (the owner's view) a line per cashier."""
    lines = [heading, ""]
    for index, report in enumerate(reports):
        currency = report.currency
        if index:
            if report.totals.is_empty:
                continue
            lines += ["", t("<b>In {currency}</b>", locale, currency=currency)]
        lines += totals_lines(report.totals, currency, locale)
        channels = [
            f"• {channel_name(channel, locale)}: {_compact(totals, currency, locale)}"
            for channel, totals in report.by_channel.items()
            if not totals.is_empty and _compact(totals, currency, locale)
        ]
        if channels:
            lines += ["", t("<b>By channel</b>", locale), *channels]
        if cashier_names is not None and report.by_cashier:
            lines += ["", t("<b>By cashier</b>", locale)]
            for user_id, totals in report.by_cashier.items():
                name = escape(cashier_names.get(user_id) or str(user_id))
                lines.append(f"• {name}: {_compact(totals, currency, locale)}")
    return "\n".join(lines)


def report_heading(period: Period, shop_name: str, *, own: bool, locale: str | None = None) -> str:
    if own:
        return t("📊 <b>Your receipts, {period}</b>", locale, period=period.range_text())
    return t(
        "📊 <b>{shop}: report for {period}</b>",
        locale,
        shop=escape(shop_name),
        period=period.range_text(),
    )


def chart_labels(period: Period, currency: str, locale: str | None = None) -> ChartLabels:
    return ChartLabels(
        title=t("Paid per day, {period}", locale, period=period.range_text()),
        y_caption=t("Amount", locale),
        x_caption=t("Day", locale),
        currency=currency,
        empty_note=t("No payments in this period", locale),
    )


def chart_caption(report: Report, locale: str | None = None) -> str:
    return t(
        "📈 Paid per day, {period}: {paid}",
        locale,
        period=report.period.range_text(),
        paid=bucket_text(report.totals.paid, report.currency, locale),
    )


def status_name(status: ReceiptStatus, locale: str | None = None) -> str:
    names = {
        ReceiptStatus.DRAFT: t("Not confirmed by LiqPay", locale),
        ReceiptStatus.AWAITING: t("Awaiting", locale),
        ReceiptStatus.PAID: t("Paid", locale),
        ReceiptStatus.FAILED: t("Payment failed", locale),
        ReceiptStatus.EXPIRED: t("Expired", locale),
        ReceiptStatus.CANCELLED: t("Cancelled", locale),
        ReceiptStatus.REFUNDED: t("Refunded", locale),
    }
    return names[status]


def export_labels(locale: str) -> ExportLabels:
    headers = ExportHeaders(
        number=t("Receipt No", locale),
        created=t("Created", locale),
        paid=t("Paid", locale),
        cashier=t("Cashier", locale),
        amount=t("Amount", locale),
        currency=t("Currency", locale),
        description=t("What for", locale),
        channel=t("Channel", locale),
        contact=t("Customer's contact", locale),
        status=t("Status", locale),
        payment_id=t("LiqPay payment id", locale),
        fiscal_number=t("Fiscal receipt number", locale),
        refunded=t("Refunded", locale),
    )

    def channel(value: Channel) -> str:
        return channel_name(value, locale)

    def status(value: ReceiptStatus) -> str:
        return status_name(value, locale)

    return ExportLabels(
        headers=headers, channel=channel, status=status, sheet=t("Receipts", locale)
    )


def export_caption(count: int, period: Period, locale: str | None = None) -> str:
    return t(
        "📄 {count} for {period}. Times are Kyiv time.",
        locale,
        count=receipts_count(count, locale),
        period=period.range_text(),
    )
