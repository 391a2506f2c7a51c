"""Telegram side: routers, keyboards, middlewares, texts."""
