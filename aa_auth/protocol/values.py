"""Bounds of the Solidity types the SPEC uses, and validators that turn bad input into clear errors."""

from __future__ import annotations

import time
from functools import lru_cache

from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address

from aa_auth.errors import InvalidInput

UINT256_MAX = 2**256 - 1
UINT48_MAX = 2**48 - 1
UINT32_MAX = 2**32 - 1
ANY_MARKET = UINT256_MAX
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def check_uint(name: str, value: object, bits: int = 256) -> int:
    """Return `value` if it is an int in [0, 2**bits - 1]; raise InvalidInput naming the field otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < 0:
        raise InvalidInput(f"{name} must not be negative, got {value}")
    if value >> bits:
        raise InvalidInput(f"{name} does not fit in uint{bits} (max {2**bits - 1}), got {value}")
    return value


def absolute_or_relative(what: str, absolute: tuple[str, int | None], relative: tuple[str, int | None]) -> int:
    """A unix time given either as is or as seconds (an int > 0) after the wall clock; exactly one.

    `absolute` and `relative` are (argument name, value), e.g. ("deadline", None), ("ttl", 600).
    """
    (absolute_name, at), (relative_name, seconds) = absolute, relative
    if (at is None) == (seconds is None):
        raise InvalidInput(f"give {what} exactly one of {absolute_name} (unix seconds) and {relative_name} "
                           f"(seconds from now), got {absolute_name}={at!r}, {relative_name}={seconds!r}")
    if at is not None:
        return at
    count = check_uint(relative_name, seconds)
    if count == 0:
        raise InvalidInput(f"{relative_name} must be at least 1 second: 0 is over before any block could use it")
    return int(time.time()) + count


def check_address(name: str, value: object) -> ChecksumAddress:
    """Return the checksummed form of a 20-byte hex address; raise InvalidInput otherwise."""
    if isinstance(value, bytes) and len(value) == 20:
        return to_checksum_address(value)
    checksummed = _checksummed(value) if isinstance(value, str) else None
    if checksummed is not None:
        return checksummed
    if not isinstance(value, str) or not is_address(value):
        raise InvalidInput(f"{name} must be a 0x-prefixed 20-byte hex address, got {value!r}")
    raise InvalidInput(f"{name} has a wrong EIP-55 checksum: {value!r} (expected {to_checksum_address(value)})")


@lru_cache(maxsize=65_536)  # EIP-55 costs tens of µs in pure Python; a gateway or verifier sees the same few addresses
def _checksummed(text: str) -> ChecksumAddress | None:
    """The checksummed form of a valid address (checksummed or all one case), else None."""
    if not is_address(text):
        return None
    checksummed = to_checksum_address(text)
    if text != text.lower() and text[2:] != text[2:].upper() and text != checksummed:
        return None
    return checksummed


def check_bytes(name: str, value: object, length: int | None = None) -> bytes:
    """Return `value` as bytes (accepting 0x-hex strings); check its length when one is given."""
    if isinstance(value, str):
        text = value[2:] if value.startswith(("0x", "0X")) else value
        try:
            value = bytes.fromhex(text)
        except ValueError:
            raise InvalidInput(f"{name} must be hex, got {value!r}") from None
    if isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    if not isinstance(value, bytes):
        raise InvalidInput(f"{name} must be bytes or 0x-hex, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise InvalidInput(f"{name} must be exactly {length} bytes, got {len(value)}")
    return value
