"""Test doubles, one per external service and kind of test.

- HTTP stand-ins on 127.0.0.1 for everything that runs the bot, on `server.LocalServer`:
  `telegram`, `liqpay`, `checkbox`, `turbosms`.
- The recording aiogram session (`recording_bot`) for handler tests fed updates in-process
  and for code that calls the Bot directly.
- aioresponses, one module per HTTP client: `liqpay_mock`, `turbosms_mock` (both on
  `http_mock`).
"""
