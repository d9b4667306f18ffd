"""secp256k1 signatures over 32-byte digests, and recovery under the SPEC's reason-1 rules.

libsecp256k1 (through coincurve) signs with RFC 6979 nonces and low s, so a signature here is
byte for byte the one eth-account makes for the same key and digest.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from coincurve import PrivateKey, PublicKey
from eth_utils.address import to_checksum_address

from aa_auth.errors import InvalidInput
from aa_auth.protocol.keccak import keccak
from aa_auth.protocol.values import check_bytes

__all__ = ["SECP256K1_N", "SigningKey", "address_of", "recover_signer", "sign_digest"]

SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N: Final = SECP256K1_N // 2
# Ethereum's v is 27 + libsecp256k1's recovery id, 0 or 1 (2 and 3 need R.x >= n: odds about 2**-128).
_V_BYTE: Final = (b"\x1b", b"\x1c")


@lru_cache(maxsize=4096)  # checksumming costs ~13 µs and a verifier sees the same few keys again and again
def _address(uncompressed_public_key: bytes) -> str:
    return to_checksum_address(keccak(uncompressed_public_key[1:])[12:])


def _secret(private_key: object) -> bytes:
    """The key's 32 bytes. Unlike check_bytes, no message quotes the value: a key must never reach a log."""
    if isinstance(private_key, str):
        try:
            private_key = bytes.fromhex(private_key.removeprefix("0x"))
        except ValueError:
            private_key = None
    if not isinstance(private_key, (bytes, bytearray)) or len(private_key) != 32:
        raise InvalidInput("private_key must be 32 bytes, or 0x followed by 64 hex digits")
    secret = bytes(private_key)
    if not 0 < int.from_bytes(secret, "big") < SECP256K1_N:
        raise InvalidInput("private_key is not a secp256k1 scalar in [1, n-1]; generate keys with a wallet or eth-account")
    return secret


class SigningKey:
    """A validated private key, ready to sign; its repr shows the address, never the key."""

    __slots__ = ("_key", "_address")

    def __init__(self, private_key: bytes | str) -> None:
        self._key = PrivateKey(_secret(private_key))
        self._address = _address(self._key.public_key.format(compressed=False))

    @property
    def address(self) -> str:
        """The checksummed address of the key."""
        return self._address

    def sign_digest(self, digest: bytes) -> bytes:
        """65 bytes r || s || v, v = 27 or 28, s low (EIP-2)."""
        signature = self._key.sign_recoverable(check_bytes("digest", digest, 32), hasher=None)
        return signature[:64] + _V_BYTE[signature[64]]

    def __repr__(self) -> str:
        return f"SigningKey(address={self._address})"


# Module-level helpers build a fresh SigningKey (~30 µs) rather than caching key objects by secret:
# a global cache would keep every secret ever passed alive. Loops should hold a SigningKey or an OrderSigner.
def sign_digest(private_key: bytes | str, digest: bytes) -> bytes:
    """Sign a 32-byte digest: 65 bytes r || s || v, identical to eth-account's `unsafe_sign_hash`."""
    return SigningKey(private_key).sign_digest(digest)


def address_of(private_key: bytes | str) -> str:
    """The checksummed address of a private key."""
    return SigningKey(private_key).address


def recover_signer(digest: bytes, signature: bytes) -> str | None:
    """The checksummed signer of `digest`, or None where SPEC reason 1 (BadSignature) applies.

    None unless the signature is exactly 65 bytes, 0 < r, 0 < s <= secp256k1n/2, v is 27 or 28 and
    recovery succeeds: the rules of OpenZeppelin's ECDSA.tryRecover over the ecrecover precompile.
    """
    digest = check_bytes("digest", digest, 32)
    signature = check_bytes("signature", signature)
    if len(signature) != 65:
        return None
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28) or r == 0 or s == 0 or s > _HALF_N:
        return None
    try:
        public_key = PublicKey.from_signature_and_message(signature[:64] + bytes((v - 27,)), digest, hasher=None)
    except ValueError:  # r >= n, or no curve point has x = r
        return None
    return _address(public_key.format(compressed=False))
