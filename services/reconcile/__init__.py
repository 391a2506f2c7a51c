"""The daily reconciliation of LiqPay's money, the bot's receipts and the registrar's."""
