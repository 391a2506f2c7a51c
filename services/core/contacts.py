"""Customer contacts: e-mail syntax and Ukrainian phone numbers."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class ContactError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_email(text: str) -> str:
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ContactError("email") from exc


def normalize_phone(text: str) -> str:
    """A Ukrainian mobile number as 380XXXXXXXXX; anything else raises ContactError."""
    cleaned = text.strip()
    if any(ch.isdigit() and not ch.isascii() for ch in cleaned):
        raise ContactError("phone")  # phonenumbers would read "０５０…" or "٠٥٠…" as digits
    if cleaned.startswith("380"):
        cleaned = "+" + cleaned
    try:
        number = phonenumbers.parse(cleaned, "UA")
    except phonenumbers.NumberParseException as exc:
        raise ContactError("phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ContactError("phone")
    if number.country_code != 380:
        raise ContactError("phone_not_ua")
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise ContactError("phone")  # a landline gets neither SMS nor Privat24 invoices
    return f"380{number.national_number}"
