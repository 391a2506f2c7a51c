"""Signing and verifying LiqPay data/signature pairs (see shared/reference/liqpay.md)."""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal

import pytest

from services.liqpay.signing import SignatureError, decode_data, encode_data, sign, verify

# The three test vectors from the reference.
KEY = "a4825234f4bae72a0be04eafe9e8e2bada209255"
DATA_V3 = (
    "eyJwdWJsaWNfa2V5IjoiaTAwMDAwMDAwIiwidmVyc2lvbiI6IjMiLCJhY3Rpb24iOiJwYXkiLCJhbW91bnQiOiIz"
    "IiwiY3VycmVuY3kiOiJVQUgiLCJkZXNjcmlwdGlvbiI6InRlc3QiLCJvcmRlcl9pZCI6IjAwMDAwMSJ9"
)
SIG_V3 = "wR+UZDC4jjeL/qUOvIsofIWpZh8="
DATA_V7 = (
    "eyJwdWJsaWNfa2V5IjoiaTAwMDAwMDAwIiwidmVyc2lvbiI6NywiYWN0aW9uIjoicGF5IiwiYW1vdW50IjoiMyIs"
    "ImN1cnJlbmN5IjoiVUFIIiwiZGVzY3JpcHRpb24iOiJ0ZXN0Iiwib3JkZXJfaWQiOiIwMDAwMDEifQ=="
)
SIG_V7 = "0adgJ8F2Ds5HCVkcz4AlmdLMRoIJf7IxsL3QmeFRz/s="


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _sha1_sig(private: str, data: str) -> str:
    return _b64(hashlib.sha1((private + data + private).encode()).digest())


def _sha3_sig(private: str, data: str) -> str:
    return _b64(hashlib.sha3_256((private + data + private).encode()).digest())


# sign


def test_sign_matches_v3_vector_with_real_payload() -> None:
    assert sign(KEY, DATA_V3, 3) == SIG_V3


def test_sign_matches_v3_vector_with_placeholder_strings() -> None:
    assert sign("your_private_key", "base64_post_string", 3) == "tp+ZLmKm1/E83dIzUpx5ljcttP4="


def test_sign_defaults_to_version_3() -> None:
    assert sign(KEY, DATA_V3) == SIG_V3


def test_sign_matches_v7_vector_sha3_256() -> None:
    assert sign(KEY, DATA_V7, 7) == SIG_V7


def test_sign_produces_raw_digest_not_hex() -> None:
    assert len(base64.b64decode(sign(KEY, DATA_V3, 3))) == 20
    assert len(base64.b64decode(sign(KEY, DATA_V7, 7))) == 32


def test_sign_rejects_unsupported_version() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        sign(KEY, DATA_V3, 5)


# verify: genuine payloads


def test_verify_returns_payload_for_genuine_v3() -> None:
    payload = verify(KEY, DATA_V3, SIG_V3)
    assert payload == {
        "public_key": "i00000000",
        "version": "3",
        "action": "pay",
        "amount": "3",
        "currency": "UAH",
        "description": "test",
        "order_id": "000001",
    }


def test_verify_returns_payload_for_genuine_v7() -> None:
    payload = verify(KEY, DATA_V7, SIG_V7)
    assert payload["version"] == 7
    assert payload["order_id"] == "000001"
    assert payload["public_key"] == "i00000000"


def test_verify_tolerates_surrounding_whitespace_in_signature() -> None:
    assert verify(KEY, DATA_V3, f" {SIG_V3}\n")["order_id"] == "000001"


def test_verify_round_trip_with_encode_data() -> None:
    payload = {"version": 7, "public_key": "p", "order_id": "x-1", "status": "success"}
    data = encode_data(payload)
    assert verify("secret", data, sign("secret", data, 7)) == payload


# verify: everything that must be refused


def test_verify_refuses_tampered_data() -> None:
    payload = json.loads(base64.b64decode(DATA_V3))
    payload["amount"] = "3000"
    tampered = _b64(json.dumps(payload).encode())
    with pytest.raises(SignatureError):
        verify(KEY, tampered, SIG_V3)


def test_verify_refuses_reencoded_data_with_the_same_meaning() -> None:
    # The signature covers the exact data string, not the JSON it decodes to.
    reencoded = encode_data(json.loads(base64.b64decode(DATA_V7)))
    assert reencoded != DATA_V7
    with pytest.raises(SignatureError):
        verify(KEY, reencoded, SIG_V7)


def test_verify_refuses_tampered_signature() -> None:
    sig = bytearray(base64.b64decode(SIG_V3))
    sig[0] ^= 1
    with pytest.raises(SignatureError):
        verify(KEY, DATA_V3, _b64(bytes(sig)))


def test_verify_refuses_wrong_private_key() -> None:
    with pytest.raises(SignatureError):
        verify("another_private_key", DATA_V3, SIG_V3)
    with pytest.raises(SignatureError):
        verify("another_private_key", DATA_V7, SIG_V7)


def test_verify_refuses_version_7_payload_signed_with_sha1() -> None:
    sha1_signature = _sha1_sig(KEY, DATA_V7)
    with pytest.raises(SignatureError):
        verify(KEY, DATA_V7, sha1_signature)


def test_verify_refuses_version_3_payload_signed_with_sha3() -> None:
    sha3_signature = _sha3_sig(KEY, DATA_V3)
    with pytest.raises(SignatureError):
        verify(KEY, DATA_V3, sha3_signature)


def test_helpers_agree_with_vectors() -> None:
    # Guards the two tests above: the helpers sign correctly with the right hash.
    assert _sha1_sig(KEY, DATA_V3) == SIG_V3
    assert _sha3_sig(KEY, DATA_V7) == SIG_V7


def test_verify_refuses_data_that_is_not_base64() -> None:
    data = "this is not base64!!"
    with pytest.raises(SignatureError):
        verify(KEY, data, _sha1_sig(KEY, data))


def test_verify_refuses_non_ascii_data() -> None:
    data = "eyJ2ZXJzaW9uIjozfQ==ї"
    with pytest.raises(SignatureError):
        verify(KEY, data, _sha1_sig(KEY, data))


def test_verify_refuses_base64_of_non_json() -> None:
    data = _b64(b"hello, world")
    with pytest.raises(SignatureError):
        verify(KEY, data, _sha1_sig(KEY, data))


def test_verify_refuses_base64_of_invalid_utf8() -> None:
    data = _b64(b"\xff\xfe\xfd")
    with pytest.raises(SignatureError):
        verify(KEY, data, _sha1_sig(KEY, data))


@pytest.mark.parametrize("document", ["[1, 2, 3]", '"text"', "42", "null", "true"])
def test_verify_refuses_json_that_is_not_an_object(document: str) -> None:
    data = _b64(document.encode())
    with pytest.raises(SignatureError):
        verify(KEY, data, _sha1_sig(KEY, data))


def test_verify_refuses_deeply_nested_json_without_crashing() -> None:
    data = _b64(b"[" * 50_000)
    with pytest.raises(SignatureError):
        verify(KEY, data, _sha1_sig(KEY, data))


@pytest.mark.parametrize("version", [1, 2, 4, 8, "7.0", "seven", None, 3.5])
def test_verify_refuses_unsupported_version(version: object) -> None:
    data = encode_data({"version": version, "public_key": "p", "order_id": "o"})
    # Signed with either hash: neither is accepted for an unsupported version.
    for signature in (_sha1_sig(KEY, data), _sha3_sig(KEY, data)):
        with pytest.raises(SignatureError):
            verify(KEY, data, signature)


def test_verify_treats_missing_version_as_3() -> None:
    data = encode_data({"public_key": "p", "order_id": "o"})
    assert verify(KEY, data, _sha1_sig(KEY, data))["order_id"] == "o"
    with pytest.raises(SignatureError):
        verify(KEY, data, _sha3_sig(KEY, data))


def test_verify_accepts_version_as_string() -> None:
    data = encode_data({"version": "7", "order_id": "o"})
    assert verify(KEY, data, _sha3_sig(KEY, data))["order_id"] == "o"


# decode_data


def test_decode_data_keeps_amounts_as_decimal() -> None:
    data = _b64(b'{"amount": 250.50, "sender_commission": 0.1, "count": 2}')
    payload = decode_data(data)
    assert isinstance(payload["amount"], Decimal)
    assert payload["amount"] == Decimal("250.50")
    assert payload["sender_commission"] == Decimal("0.1")  # a float would be 0.1000000000000000055
    assert payload["count"] == 2


def test_decode_data_refuses_non_object() -> None:
    with pytest.raises(SignatureError):
        decode_data(_b64(b"[]"))
