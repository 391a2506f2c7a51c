"""The Mini App in a real browser: Debian's chromium, driven by Playwright, opens the page the
real `python -m bot` serves, with initData signed for the owner (Telegram's script stubbed
locally); it sees today's numbers, finds a receipt by its amount, refunds part of it, and
LiqPay's stand-in sees exactly one refund. Screenshots of each screen go to tests/artifacts/.

Chromium is Debian's package, installed here (apt-get) when /usr/bin/chromium is missing;
Playwright only drives it (never `playwright install`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BOT_TOKEN, BotProcess
from tests.e2e.test_flows import new_invoice, sent_data, shop_with_cashier
from tests.miniapp.initdata import sign_init_data

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "miniapp"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, installed when missing (the suite runs as root in CI)."""
    if not CHROMIUM.exists():
        if shutil.which("apt-get") is None:
            pytest.fail("chromium is missing and apt-get is not available to install it")
        quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}  # no debconf prompt
        subprocess.run(["apt-get", "update", "-qq"], check=False, timeout=600, env=quiet)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"], check=True, timeout=1200, env=quiet
        )
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(chromium), args=ARGS)
        yield launched
        await launched.close()


def telegram_stub(init_data: str, language: str) -> str:
    """What Telegram's script gives the page: the signed initData and the reader's language."""
    unsafe = {"user": {"id": 111, "language_code": language}}
    fields = f"initData: {json.dumps(init_data)}, initDataUnsafe: {json.dumps(unsafe)}"
    return "window.Telegram = {WebApp: {" + fields + ", ready() {}, expand() {}}};"


def money(text: str) -> str:
    return text.replace("\u00a0", " ")


async def test_the_owner_finds_a_receipt_and_refunds_part_of_it_in_the_browser(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess, browser: Any
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"
    await bot_process.start()
    owner, cashier = await shop_with_cashier(fake_telegram, fake_liqpay)
    for amount in ("1 250", "250,50"):
        await new_invoice(cashier, amount, "Coffee <b>beans</b>", "E-mail", "buyer@example.com")
        order = sent_data(fake_liqpay, "invoice_send")["order_id"]
        assert await fake_liqpay.pay(order, card_mask="473118*97") == 200
        await owner.hears("paid")
    # PUBLIC_BASE_URL is http here: /app says how to enable the screen
    await owner.say("/app", "https")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    init = sign_init_data(111, datetime.now(UTC), token=BOT_TOKEN, language="uk")
    page = await browser.new_page(viewport={"width": 390, "height": 800})
    await page.route(
        TELEGRAM_JS,
        lambda route: route.fulfill(
            status=200, content_type="text/javascript", body=telegram_stub(init, "uk")
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{bot_process.url}/app/")

    # Today: the day's takings, in Ukrainian
    cards = page.locator("#today-cards")
    await cards.wait_for()
    text = money(await cards.inner_text())
    assert "1 500,50 UAH" in text
    assert "2 чеки" in text
    assert "Coffee & Co" in await page.locator("h1").inner_text()
    await page.screenshot(path=str(ARTIFACTS / "today.png"), full_page=True)

    # Receipts: found by its amount; the description's HTML shown as text
    await page.click("#tabs button[data-tab=receipts]")
    await page.locator("#receipt-list .row").first.wait_for()
    assert await page.locator("#receipt-list .row").count() == 2
    await page.screenshot(path=str(ARTIFACTS / "receipts.png"), full_page=True)
    await page.fill("#search", "1250")
    await expect(page.locator("#receipt-list .row")).to_have_count(1)
    row = page.locator("#receipt-list .row")
    assert "1 250,00 UAH" in money(await row.inner_text())
    assert "Coffee <b>beans</b>" in await row.inner_text()
    assert await page.locator("#receipt-list b").count() == 0
    await row.click()

    # The receipt's page: Refund → amount → the confirmation → one refund
    await page.locator("#receipt").wait_for()
    await page.screenshot(path=str(ARTIFACTS / "receipt.png"), full_page=True)
    await page.click("#refund")
    await page.fill("#refund-amount", "100")
    await page.click("#refund-next")
    await page.locator("#refund-confirm").wait_for()
    assert "473118*97" in await page.locator("#refund-confirm").inner_text()
    await page.screenshot(path=str(ARTIFACTS / "refund_confirm.png"), full_page=True)
    await page.dblclick("#refund-yes")  # a double tap
    await page.locator("#refunded").wait_for()
    assert "100,00 UAH" in money(await page.locator("#refunded").inner_text())
    await page.screenshot(path=str(ARTIFACTS / "refunded.png"), full_page=True)
    refunds = fake_liqpay.requests_for("refund")
    assert len(refunds) == 1
    assert refunds[0].payload["amount"] == "100"

    # Reports with the chart, the catalogue, the settings (no secret on the page)
    await page.click("#tabs button[data-tab=reports]")
    await page.locator("#chart rect").first.wait_for(state="attached")
    await page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)
    # Export: the bot sends the file to the owner's chat, the page says so
    await page.click("#export-csv")
    await page.locator("#export-note").wait_for()
    await fake_telegram.wait_for_message(111, lambda m: m.kind == "document")
    await page.click("#tabs button[data-tab=catalogue]")
    await expect(page.locator("#screen")).to_have_attribute("data-ready", "catalogue")
    await page.screenshot(path=str(ARTIFACTS / "catalogue.png"), full_page=True)
    await page.click("#tabs button[data-tab=settings]")
    await expect(page.locator("#screen")).to_have_attribute("data-ready", "settings")
    settings = await page.locator("#screen").inner_text()
    assert "/settings" in settings
    assert "sandbox" not in settings.lower() or "••••" in settings
    await page.screenshot(path=str(ARTIFACTS / "settings.png"), full_page=True)
    assert errors == []
    await page.close()
    await bot_process.stop()
