"""Test doubles, one per external service and kind of test: HTTP stand-ins on 127.0.0.1
(telegram, liqpay, checkbox, turbosms on `server.LocalServer`) for everything that runs the
bot, the recording aiogram session for handler tests, and one aioresponses helper per HTTP
client for that client's unit tests."""
