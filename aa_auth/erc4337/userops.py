"""ERC-4337 user operations for EntryPoint v0.8: build, pack, hash, sign.

A `PackedUserOperation` holds exactly the fields `handleOps` takes. Builders take the unpacked gas
fields (`GasLimits`, `GasFees`) and pack them as the EntryPoint does (high 128 bits | low 128 bits).
`user_op_hash` is EntryPoint v0.8's `getUserOpHash`, computed locally: EIP-712 over the
PackedUserOperation struct under the domain ("ERC4337", "1", chainId, the EntryPoint), so a
signature is bound to one EntryPoint on one chain. Talking to the EntryPoint is in `aa_auth.erc4337.bundler`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final, Sequence

from eth_abi.abi import encode as abi_encode
from eth_hash.auto import keccak

from aa_auth.errors import InvalidInput
from aa_auth.protocol.signatures import SigningKey
from aa_auth.protocol.typed_data import DOMAIN_TYPEHASH, typed_data_hash
from aa_auth.protocol.values import check_address, check_bytes, check_uint

__all__ = [
    "Call",
    "ENTRY_POINT_DOMAIN_NAME",
    "ENTRY_POINT_DOMAIN_VERSION",
    "GAS_VALUE_MAX",
    "GasFees",
    "GasLimits",
    "OWNER_NONCE_KEY",
    "PACKED_USER_OP_TYPE",
    "PACKED_USER_OP_TYPEHASH",
    "PackedUserOperation",
    "SIGNER_KINDS",
    "entry_point_domain_separator",
    "execute_batch_call_data",
    "execute_call_data",
    "pack_nonce",
    "session_nonce_key",
    "sign_user_op",
    "stub_signature",
    "user_op_hash",
    "user_operation",
]

ENTRY_POINT_DOMAIN_NAME: Final = "ERC4337"
ENTRY_POINT_DOMAIN_VERSION: Final = "1"
PACKED_USER_OP_TYPE: Final = (
    "PackedUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,"
    "uint256 preVerificationGas,bytes32 gasFees,bytes paymasterAndData)"
)
PACKED_USER_OP_TYPEHASH: Final = keccak(PACKED_USER_OP_TYPE.encode())

# The EntryPoint refuses any gas field above uint120 (AA94) so that its sums cannot overflow.
GAS_VALUE_MAX: Final = 2**120 - 1
OWNER_NONCE_KEY: Final = 0
SIGNATURE_LENGTH: Final = 65

_EXECUTE: Final = keccak(b"execute(address,uint256,bytes)")[:4]
_EXECUTE_BATCH: Final = keccak(b"executeBatch((address,uint256,bytes)[])")[:4]
# An initCode starting with 0x7702 (padded to 20 bytes) makes the EntryPoint hash the sender's
# EIP-7702 delegate instead of the initCode; aa-auth accounts are clones, never 7702 delegates.
_EIP7702_MARKER: Final = b"\x77\x02" + bytes(18)


@dataclass(frozen=True)
class GasLimits:
    """The gas an operation may use: validation, execution, and the bundler's unmetered share."""

    verification_gas_limit: int
    call_gas_limit: int
    pre_verification_gas: int

    def __post_init__(self) -> None:
        for name in ("verification_gas_limit", "call_gas_limit", "pre_verification_gas"):
            _check_gas_value(name, getattr(self, name))

    @property
    def total(self) -> int:
        """What the account prepays for (no paymaster): the factor of SPEC section 4's maxGasFee charge."""
        return self.verification_gas_limit + self.call_gas_limit + self.pre_verification_gas


@dataclass(frozen=True)
class GasFees:
    """EIP-1559 fees of an operation; it pays min(max_fee, priority + basefee) per gas."""

    max_priority_fee_per_gas: int
    max_fee_per_gas: int

    def __post_init__(self) -> None:
        _check_gas_value("max_priority_fee_per_gas", self.max_priority_fee_per_gas)
        _check_gas_value("max_fee_per_gas", self.max_fee_per_gas)
        if self.max_priority_fee_per_gas > self.max_fee_per_gas:
            raise InvalidInput(
                f"max_priority_fee_per_gas ({self.max_priority_fee_per_gas}) exceeds max_fee_per_gas ({self.max_fee_per_gas})"
            )


@dataclass(frozen=True)
class Call:
    """One call an account makes: `executeBatch`'s Call struct, or the arguments of `execute`."""

    target: str
    value: int = 0
    data: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", check_address("call target", self.target))
        check_uint("call value", self.value)
        object.__setattr__(self, "data", check_bytes("call data", self.data))

    def as_abi(self) -> tuple[str, int, bytes]:
        return (self.target, self.value, self.data)


@dataclass(frozen=True)
class PackedUserOperation:
    """EntryPoint v0.8's PackedUserOperation, field for field (snake_case); `as_abi()` is the tuple."""

    sender: str
    nonce: int
    init_code: bytes
    call_data: bytes
    account_gas_limits: bytes  # verificationGasLimit << 128 | callGasLimit
    pre_verification_gas: int
    gas_fees: bytes  # maxPriorityFeePerGas << 128 | maxFeePerGas
    paymaster_and_data: bytes
    signature: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "sender", check_address("sender", self.sender))
        check_uint("nonce", self.nonce)
        for name in ("init_code", "call_data", "paymaster_and_data", "signature"):
            object.__setattr__(self, name, check_bytes(name, getattr(self, name)))
        object.__setattr__(self, "account_gas_limits", check_bytes("account_gas_limits", self.account_gas_limits, 32))
        object.__setattr__(self, "gas_fees", check_bytes("gas_fees", self.gas_fees, 32))
        check_uint("pre_verification_gas", self.pre_verification_gas)

    @property
    def verification_gas_limit(self) -> int:
        return int.from_bytes(self.account_gas_limits[:16], "big")

    @property
    def call_gas_limit(self) -> int:
        return int.from_bytes(self.account_gas_limits[16:], "big")

    @property
    def max_priority_fee_per_gas(self) -> int:
        return int.from_bytes(self.gas_fees[:16], "big")

    @property
    def max_fee_per_gas(self) -> int:
        return int.from_bytes(self.gas_fees[16:], "big")

    @property
    def gas(self) -> GasLimits:
        return GasLimits(self.verification_gas_limit, self.call_gas_limit, self.pre_verification_gas)

    @property
    def fees(self) -> GasFees:
        return GasFees(self.max_priority_fee_per_gas, self.max_fee_per_gas)

    @property
    def nonce_key(self) -> int:
        """The EntryPoint nonce lane (uint192) this operation uses."""
        return self.nonce >> 64

    @property
    def nonce_sequence(self) -> int:
        return self.nonce & (2**64 - 1)

    def max_cost(self) -> int:
        """The prefund the EntryPoint asks for without a paymaster, and what a session key's maxGasFee is charged."""
        return self.gas.total * self.max_fee_per_gas

    def with_signature(self, signature: bytes) -> PackedUserOperation:
        return replace(self, signature=check_bytes("signature", signature))

    def with_gas(self, gas: GasLimits) -> PackedUserOperation:
        """The same operation with other gas limits (its signature no longer matches: sign again)."""
        return replace(
            self,
            account_gas_limits=_pack128(gas.verification_gas_limit, gas.call_gas_limit),
            pre_verification_gas=gas.pre_verification_gas,
            signature=b"",
        )

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.sender,
            self.nonce,
            self.init_code,
            self.call_data,
            self.account_gas_limits,
            self.pre_verification_gas,
            self.gas_fees,
            self.paymaster_and_data,
            self.signature,
        )

    def to_message(self) -> dict[str, Any]:
        """The EIP-712 message (signature excluded) under the type PACKED_USER_OP_TYPE."""
        return {
            "sender": self.sender,
            "nonce": self.nonce,
            "initCode": self.init_code,
            "callData": self.call_data,
            "accountGasLimits": self.account_gas_limits,
            "preVerificationGas": self.pre_verification_gas,
            "gasFees": self.gas_fees,
            "paymasterAndData": self.paymaster_and_data,
        }


def _check_gas_value(name: str, value: object) -> int:
    value = check_uint(name, value)
    if value > GAS_VALUE_MAX:
        raise InvalidInput(f"{name} is {value}; the EntryPoint refuses gas values above 2**120 - 1 (AA94)")
    return value


def _pack128(high: int, low: int) -> bytes:
    return (high << 128 | low).to_bytes(32, "big")


def user_operation(
    sender: str,
    nonce: int,
    call_data: bytes,
    gas: GasLimits,
    fees: GasFees,
    *,
    init_code: bytes = b"",
    paymaster_and_data: bytes = b"",
    signature: bytes = b"",
) -> PackedUserOperation:
    """An operation from unpacked gas fields; sign it with `sign_user_op`."""
    return PackedUserOperation(
        sender=sender,
        nonce=nonce,
        init_code=init_code,
        call_data=call_data,
        account_gas_limits=_pack128(gas.verification_gas_limit, gas.call_gas_limit),
        pre_verification_gas=gas.pre_verification_gas,
        gas_fees=_pack128(fees.max_priority_fee_per_gas, fees.max_fee_per_gas),
        paymaster_and_data=paymaster_and_data,
        signature=signature,
    )


# ---------------------------------------------------------------- nonces (SPEC section 6)


def session_nonce_key(key: str) -> int:
    """The nonce lane of a session key: uint192(uint160(key)); the account refuses any other lane."""
    return int(check_address("session key", key), 16)


def pack_nonce(key: int, sequence: int) -> int:
    """The EntryPoint nonce `key << 64 | sequence` (what `getNonce(sender, key)` returns when next)."""
    return check_uint("nonce key", key, 192) << 64 | check_uint("nonce sequence", sequence, 64)


# ---------------------------------------------------------------- hashing and signing


def entry_point_domain_separator(chain_id: int, entry_point: str) -> bytes:
    """EntryPoint v0.8's EIP-712 domain: ("ERC4337", "1", chainId, the EntryPoint)."""
    return keccak(
        DOMAIN_TYPEHASH
        + keccak(ENTRY_POINT_DOMAIN_NAME.encode())
        + keccak(ENTRY_POINT_DOMAIN_VERSION.encode())
        + check_uint("chain_id", chain_id).to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(check_address("entry point", entry_point)[2:])
    )


def user_op_hash(op: PackedUserOperation, chain_id: int, entry_point: str) -> bytes:
    """EntryPoint v0.8 `getUserOpHash(op)`: what the owner or a session key signs (no prefix)."""
    if op.init_code[:20] == _EIP7702_MARKER:
        raise InvalidInput("EIP-7702 initCode (0x7702...) is not supported: aa-auth accounts are factory clones")
    struct_hash = keccak(
        abi_encode(
            ["bytes32", "address", "uint256", "bytes32", "bytes32", "bytes32", "uint256", "bytes32", "bytes32"],
            [
                PACKED_USER_OP_TYPEHASH,
                op.sender,
                op.nonce,
                keccak(op.init_code),
                keccak(op.call_data),
                op.account_gas_limits,
                op.pre_verification_gas,
                op.gas_fees,
                keccak(op.paymaster_and_data),
            ],
        )
    )
    return typed_data_hash(entry_point_domain_separator(chain_id, entry_point), struct_hash)


def sign_user_op(
    op: PackedUserOperation, signer: SigningKey | bytes | str, chain_id: int, entry_point: str
) -> PackedUserOperation:
    """`op` with a 65-byte signature over its userOpHash by `signer` (the owner or a session key)."""
    key = signer if isinstance(signer, SigningKey) else SigningKey(signer)
    return op.with_signature(key.sign_digest(user_op_hash(op, chain_id, entry_point)))


# A signature for gas estimation (docs/erc4337.md, "Stub signatures"): 65 bytes with a low s and v = 28,
# so OpenZeppelin's checks pass and the account pays for the ecrecover precompile as with a real one;
# it recovers to no key, and the account compares the signer only after every other check. The bytes
# are the ones permissionless uses for ECDSA accounts.
_STUB_SIGNATURE: Final = bytes.fromhex(
    "fffffffffffffffffffffffffffffff0000000000000000000000000000000007aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1c"
)
SIGNER_KINDS: Final = ("owner", "session")


def stub_signature(kind: str) -> bytes:
    """The signature to put in an operation a bundler estimates, for the signer `kind` ("owner" or
    "session"). Validation with it costs at least what it costs with the real signature (for a
    session key, on the key's own nonce lane) and always fails, so it is never a valid signature."""
    if kind not in SIGNER_KINDS:
        raise InvalidInput(f"signer kind must be one of {', '.join(SIGNER_KINDS)}, not {kind!r}")
    return _STUB_SIGNATURE


# ---------------------------------------------------------------- callData of the account


def execute_call_data(call: Call) -> bytes:
    """callData of `execute(target, value, data)`."""
    return _EXECUTE + abi_encode(["address", "uint256", "bytes"], list(call.as_abi()))


def execute_batch_call_data(calls: Sequence[Call]) -> bytes:
    """callData of `executeBatch(calls)`; the calls run in order and any revert reverts all."""
    return _EXECUTE_BATCH + abi_encode(["(address,uint256,bytes)[]"], [[c.as_abi() for c in calls]])
