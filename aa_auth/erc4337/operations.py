"""One user operation from calls to receipt, through any `Bundler`: draft, estimate, sign, send, wait.

The nonce comes from the EntryPoint on the node (`getNonce` of the signer's lane: 0 for the owner,
the key's own lane for a session key, SPEC section 6), the fees from the node's base fee, the gas
from the bundler's estimate of the draft carrying the signer's stub signature (a bundler never sees
a key), and only then does the real key sign the hash of the final operation.
"""

from __future__ import annotations

from collections.abc import Sequence

from aa_auth.chain.connection import Chain
from aa_auth.erc4337.bundler import EntryPoint
from aa_auth.erc4337.bundler_api import DEFAULT_WAIT, Bundler, wait_for_receipt
from aa_auth.erc4337.rpc_json import UserOpReceipt
from aa_auth.erc4337.userops import (
    OWNER_NONCE_KEY,
    Call,
    GasFees,
    GasLimits,
    PackedUserOperation,
    execute_batch_call_data,
    execute_call_data,
    session_nonce_key,
    sign_user_op,
    stub_signature,
    user_operation,
)
from aa_auth.errors import BundlerMismatch, InvalidInput
from aa_auth.protocol.signatures import SigningKey
from aa_auth.protocol.values import check_address

__all__ = ["calls_data", "draft_operation", "prepare_operation", "send_operation"]

def calls_data(calls: Call | Sequence[Call]) -> bytes:
    """The account's callData: `execute` for one call, `executeBatch` for a list (an empty one only spends gas)."""
    return execute_call_data(calls) if isinstance(calls, Call) else execute_batch_call_data(calls)


def _is_owner(chain: Chain, account: str, signer: str, init_code: bytes) -> bool:
    if not chain.has_code(account):
        if not init_code:
            raise InvalidInput(f"{account} has no code on chain {chain.chain_id}: pass its initCode to create it with this operation")
        return True  # only the owner can sign an account's first operation: no key is granted yet
    return bool(chain.call(chain.contract("SessionAccount", account).functions.owner()) == signer)


def draft_operation(
    chain: Chain, entry_point: str, account: str, call_data: bytes, signer: str, *,
    nonce_key: int | None = None, fees: GasFees | None = None, init_code: bytes = b"",
) -> PackedUserOperation:
    """The operation before gas: next nonce of the signer's lane, fees, the signer's stub signature."""
    account, signer = check_address("account", account), check_address("signer", signer)
    entry = EntryPoint(chain, entry_point)
    owner = _is_owner(chain, account, signer, init_code)
    if nonce_key is None:
        nonce_key = OWNER_NONCE_KEY if owner else session_nonce_key(signer)
    return user_operation(
        account, entry.nonce(account, nonce_key), call_data, GasLimits(0, 0, 0), fees or entry.suggest_fees(),
        init_code=init_code, signature=stub_signature("owner" if owner else "session"),
    )


def prepare_operation(
    bundler: Bundler, chain: Chain, account: str, call_data: bytes, signer: SigningKey | bytes | str, *,
    nonce_key: int | None = None, gas: GasLimits | None = None, fees: GasFees | None = None, init_code: bytes = b"",
) -> PackedUserOperation:
    """A signed operation with the bundler's gas estimate (or `gas`), ready for `bundler.send`."""
    if bundler.chain_id != chain.chain_id:
        raise BundlerMismatch(f"the bundler serves chain {bundler.chain_id}, the node is chain {chain.chain_id}")
    key = signer if isinstance(signer, SigningKey) else SigningKey(signer)
    draft = draft_operation(chain, bundler.entry_point, account, call_data, key.address, nonce_key=nonce_key, fees=fees,
                            init_code=init_code)
    final = draft.with_gas(gas or bundler.estimate(draft))
    return sign_user_op(final, key, chain.chain_id, bundler.entry_point)


def send_operation(
    bundler: Bundler, chain: Chain, account: str, call_data: bytes, signer: SigningKey | bytes | str, *,
    nonce_key: int | None = None, gas: GasLimits | None = None, fees: GasFees | None = None, init_code: bytes = b"",
    timeout: float = DEFAULT_WAIT,
) -> UserOpReceipt:
    """Prepare, send and wait for the receipt (UserOpTimeout after `timeout` seconds)."""
    op = prepare_operation(bundler, chain, account, call_data, signer, nonce_key=nonce_key, gas=gas, fees=fees,
                           init_code=init_code)
    return wait_for_receipt(bundler, bundler.send(op), timeout)
