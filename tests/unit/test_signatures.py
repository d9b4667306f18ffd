"""Signing and SPEC reason 1 (BadSignature): byte-identical to eth-account, and every rejection rule."""

from __future__ import annotations

import pytest
from coincurve import PublicKey
from eth_account import Account
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from aa_auth.errors import InvalidInput
from aa_auth.protocol.signatures import SECP256K1_N, SigningKey, address_of, recover_signer, sign_digest

KEY = keccak(b"aa-auth signatures test key")
ADDRESS = Account.from_key(KEY).address
DIGEST = keccak(b"a digest")
HALF_N = SECP256K1_N // 2
SECP256K1_P = 2**256 - 2**32 - 977

keys = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))
digests = st.binary(min_size=32, max_size=32)


def split(signature: bytes) -> tuple[int, int, int]:
    return int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]


def join(r: int, s: int, v: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((v,))


def test_signature_equals_eth_account_unsafe_sign_hash() -> None:
    for digest in [DIGEST, bytes(32), b"\xff" * 32]:
        assert sign_digest(KEY, digest) == bytes(Account.unsafe_sign_hash(digest, KEY).signature)


@settings(derandomize=True, max_examples=100, deadline=None)
@given(key=keys, digest=digests)
def test_signature_equals_eth_account_for_any_key_and_digest(key: bytes, digest: bytes) -> None:
    assert sign_digest(key, digest) == bytes(Account.unsafe_sign_hash(digest, key).signature)


def test_signature_is_65_bytes_with_low_s_and_v_27_or_28() -> None:
    r, s, v = split(sign_digest(KEY, DIGEST))
    assert 0 < r < SECP256K1_N and 0 < s <= HALF_N and v in (27, 28)


def test_hex_and_bytes_keys_are_the_same_key() -> None:
    assert SigningKey("0x" + KEY.hex()).address == SigningKey(KEY.hex()).address == SigningKey(KEY).address == ADDRESS
    assert address_of(KEY) == ADDRESS
    assert sign_digest("0x" + KEY.hex(), DIGEST) == sign_digest(bytearray(KEY), DIGEST)  # type: ignore[arg-type]


def test_recover_signer_returns_the_checksummed_signer() -> None:
    signature = sign_digest(KEY, DIGEST)
    assert recover_signer(DIGEST, signature) == ADDRESS
    assert recover_signer(DIGEST, "0x" + signature.hex()) == ADDRESS  # type: ignore[arg-type]


def test_recover_signer_of_another_digest_is_another_address() -> None:
    assert recover_signer(keccak(b"other"), sign_digest(KEY, DIGEST)) not in (None, ADDRESS)


@pytest.mark.parametrize("length", [0, 64, 66, 130])
def test_signature_not_exactly_65_bytes_is_rejected(length: int) -> None:
    signature = sign_digest(KEY, DIGEST)
    assert recover_signer(DIGEST, (signature * 2)[:length]) is None


def test_high_s_twin_is_rejected_although_it_recovers_the_signer() -> None:
    r, s, v = split(sign_digest(KEY, DIGEST))
    twin_s, twin_recid = SECP256K1_N - s, 28 - v  # (r, n - s) with the other parity is the same signer
    twin = PublicKey.from_signature_and_message(join(r, twin_s, twin_recid)[:64] + bytes((twin_recid,)), DIGEST, hasher=None)
    assert twin.format(compressed=False) == PublicKey.from_signature_and_message(
        join(r, s, v - 27), DIGEST, hasher=None
    ).format(compressed=False)
    assert recover_signer(DIGEST, join(r, twin_s, 55 - v)) is None


def test_s_exactly_half_n_is_accepted_and_one_more_is_rejected() -> None:
    r, _, v = split(sign_digest(KEY, DIGEST))
    assert recover_signer(DIGEST, join(r, HALF_N, v)) is not None
    assert recover_signer(DIGEST, join(r, HALF_N + 1, v)) is None


@pytest.mark.parametrize("v", [0, 1, 26, 29, 255])
def test_v_other_than_27_or_28_is_rejected(v: int) -> None:
    r, s, good_v = split(sign_digest(KEY, DIGEST))
    assert recover_signer(DIGEST, join(r, s, good_v)) == ADDRESS
    assert recover_signer(DIGEST, join(r, s, v)) is None


def test_zero_signature_is_rejected() -> None:
    assert recover_signer(DIGEST, bytes(65)) is None
    assert recover_signer(DIGEST, bytes(64) + b"\x1b") is None


def test_zero_r_or_zero_s_is_rejected() -> None:
    r, s, v = split(sign_digest(KEY, DIGEST))
    assert recover_signer(DIGEST, join(0, s, v)) is None
    assert recover_signer(DIGEST, join(r, 0, v)) is None


@pytest.mark.parametrize("r", [SECP256K1_N, SECP256K1_N + 1, 2**256 - 1], ids=["n", "n+1", "max"])
def test_r_of_n_or_more_is_rejected(r: int) -> None:
    _, s, v = split(sign_digest(KEY, DIGEST))
    assert recover_signer(DIGEST, join(r, s, v)) is None


def test_r_that_is_no_curve_point_x_is_rejected() -> None:
    def on_curve(x: int) -> bool:  # x^3 + 7 is a square mod p
        return pow(x**3 + 7, (SECP256K1_P - 1) // 2, SECP256K1_P) == 1

    off_curve_r = next(x for x in range(1, 100) if not on_curve(x))
    on_curve_r = next(x for x in range(1, 100) if on_curve(x))
    _, s, v = split(sign_digest(KEY, DIGEST))
    assert recover_signer(DIGEST, join(off_curve_r, s, v)) is None
    assert recover_signer(DIGEST, join(on_curve_r, s, v)) is not None


@pytest.mark.parametrize("digest", [bytes(31), bytes(33), b""])
def test_digest_that_is_not_32_bytes_raises(digest: bytes) -> None:
    with pytest.raises(InvalidInput, match="digest must be exactly 32 bytes"):
        sign_digest(KEY, digest)
    with pytest.raises(InvalidInput, match="digest must be exactly 32 bytes"):
        recover_signer(digest, sign_digest(KEY, DIGEST))


@pytest.mark.parametrize(
    "bad_key",
    [
        bytes(31),
        bytes(33),
        bytes(32),
        SECP256K1_N.to_bytes(32, "big"),
        "0x" + "zz" * 32,
        "0x" + KEY.hex()[:-1],
        12345,
    ],
    ids=["31 bytes", "33 bytes", "zero", "n", "not hex", "odd hex", "int"],
)
def test_bad_private_key_raises_without_quoting_it(bad_key: object) -> None:
    with pytest.raises(InvalidInput, match="private_key") as caught:
        SigningKey(bad_key)  # type: ignore[arg-type]
    if isinstance(bad_key, str):
        assert bad_key[2:10] not in str(caught.value)


def test_repr_shows_the_address_never_the_key() -> None:
    text = repr(SigningKey(KEY))
    assert ADDRESS in text and KEY.hex() not in text
