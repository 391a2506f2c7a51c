"""Customer contacts: Ukrainian mobile numbers and e-mail syntax (no network)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from services.core.contacts import ContactError, normalize_email, normalize_phone


@pytest.mark.parametrize(
    "text",
    [
        "0501234567",
        "+38 050 123-45-67",
        "050 123 45 67",
        "380501234567",
        "+380501234567",
        "+380 (50) 123 45 67",
        "00380501234567",
        "  0501234567\n",
    ],
)
def test_normalize_phone_ukrainian_mobile(text: str) -> None:
    assert normalize_phone(text) == "380501234567"


@pytest.mark.parametrize(
    ("text", "normalized"),
    [("067 765 43 21", "380677654321"), ("+380931112233", "380931112233")],
)
def test_normalize_phone_other_operators(text: str, normalized: str) -> None:
    assert normalize_phone(text) == normalized


@pytest.mark.parametrize("text", ["+48 512 345 678", "+48512345678", "+1 202 555 0143"])
def test_normalize_phone_foreign_number(text: str) -> None:
    with pytest.raises(ContactError) as caught:
        normalize_phone(text)
    assert caught.value.reason == "phone_not_ua"


@pytest.mark.parametrize(
    "text",
    [
        "123",
        "abc",
        "",
        "050 123 45",  # too short
        "38050123456",  # one digit short
        "0441234567",  # Kyiv landline: no SMS, no Privat24
    ],
)
def test_normalize_phone_refused(text: str) -> None:
    with pytest.raises(ContactError) as caught:
        normalize_phone(text)
    assert caught.value.reason == "phone"


def test_contact_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalize_phone("abc")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any DNS or socket use fails the test (and is recorded)."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args))
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    try:
        import dns.resolver
    except ImportError:  # pragma: no cover - dnspython comes with email-validator
        pass
    else:
        monkeypatch.setattr(dns.resolver.Resolver, "resolve", refuse)
        monkeypatch.setattr(dns.resolver, "resolve", refuse)
    return attempts


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("buyer@example.com", "buyer@example.com"),
        ("  Foo.Bar@Example.COM \n", "Foo.Bar@example.com"),
        ("name+tag@sub.example.co.uk", "name+tag@sub.example.co.uk"),
        ("user@пошта.укр", "user@пошта.укр"),
        ("someone@nonexistent-domain-for-tests.invalid-tld-xyz", None),
    ],
)
def test_normalize_email_good(no_network: list[str], text: str, normalized: str | None) -> None:
    if normalized is None:
        # A syntactically fine address at a domain that does not exist: accepted, because
        # deliverability is not checked (no DNS).
        assert normalize_email(text) == text
    else:
        assert normalize_email(text) == normalized
    assert no_network == []


@pytest.mark.parametrize(
    "text",
    [
        "foo@",
        "a b@c.com",
        "foo@bar",
        "@example.com",
        "foo@@example.com",
        "plain",
        "",
        "x@localhost",
    ],
)
def test_normalize_email_refused(no_network: list[str], text: str) -> None:
    with pytest.raises(ContactError) as caught:
        normalize_email(text)
    assert caught.value.reason == "email"
    assert no_network == []
