"""Domain logic: LiqPay, invoices, payments, notifications. No aiogram imports here."""
