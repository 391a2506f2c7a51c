"""LiqPay: the HTTP client and its payment answers read strictly."""
