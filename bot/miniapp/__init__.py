"""The Telegram Mini App: the shop in one screen, served by the bot under /app/ (the web side
of the Telegram layer; its chat side is the /app command in chat.py)."""
