"""End-to-end tests: the real bot process against local fakes of Telegram, LiqPay, TurboSMS."""
