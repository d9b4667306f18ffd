"""ERC-1271 `isValidSignature` (SPEC section 7): the owner's signature over the replay-safe
AAAuthMessage hash, under the account's own domain, and nothing else."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account
from aa_auth.protocol.scope import market_limit, scope
from aa_auth.protocol.signatures import sign_digest
from aa_auth.protocol.typed_data import aa_auth_message_digest
from tests.conftest import named_key

MAGIC = bytes.fromhex("1626ba7e")
INVALID = bytes.fromhex("ffffffff")
MESSAGE_HASH = keccak(text="an off-chain order book login, say")


def is_valid(account: SmartAccount, signature: bytes, message_hash: bytes = MESSAGE_HASH) -> bytes:
    return bytes(account.contract.functions.isValidSignature(message_hash, signature).call())


def owner_signature(account: SmartAccount, owner: LocalAccount, message_hash: bytes = MESSAGE_HASH) -> bytes:
    return sign_digest(owner.key, aa_auth_message_digest(account.chain.chain_id, account.address, message_hash))


def test_owner_signature_over_the_wrapped_hash_is_valid(account: SmartAccount, owner: LocalAccount) -> None:
    assert is_valid(account, owner_signature(account, owner)) == MAGIC


def test_owner_signature_is_bound_to_its_message(account: SmartAccount, owner: LocalAccount) -> None:
    assert is_valid(account, owner_signature(account, owner), keccak(text="another message")) == INVALID


def test_owner_signature_does_not_validate_on_a_second_account_of_the_same_owner(
    isolated: Chain, stack: Stack, deployer: LocalAccount, account: SmartAccount, owner: LocalAccount
) -> None:
    second, _ = create_account(isolated, stack, deployer, owner.address, b"\x01" * 32)
    assert second.address != account.address and second.owner() == owner.address
    signature = owner_signature(account, owner)
    assert is_valid(account, signature) == MAGIC
    assert is_valid(second, signature) == INVALID
    assert is_valid(second, owner_signature(second, owner)) == MAGIC


def test_raw_owner_signature_of_the_hash_is_not_valid(account: SmartAccount, owner: LocalAccount) -> None:
    # Without the AAAuthMessage wrapper a signature could be replayed on every account of the owner.
    assert is_valid(account, sign_digest(owner.key, MESSAGE_HASH)) == INVALID


def test_session_key_signature_never_validates(
    isolated: Chain, account: SmartAccount, owner: LocalAccount, stack: Stack
) -> None:
    key = named_key("erc1271 session")
    account.grant(owner, key.address, scope(valid_until=2**40, venues=[stack.venue], markets=[market_limit(1)]))
    wrapped = aa_auth_message_digest(isolated.chain_id, account.address, MESSAGE_HASH)
    assert is_valid(account, sign_digest(key.key, wrapped)) == INVALID
    assert is_valid(account, sign_digest(key.key, MESSAGE_HASH)) == INVALID


@pytest.mark.parametrize("signature", [b"", b"\x01" * 64, b"\x01" * 66, bytes(65)], ids=["empty", "64 bytes", "66 bytes", "zeros"])
def test_malformed_signatures_are_invalid_without_reverting(account: SmartAccount, signature: bytes) -> None:
    assert is_valid(account, signature) == INVALID


def test_the_implementation_validates_nothing(chain: Chain, stack: Stack) -> None:
    implementation = chain.contract("AccountFactory", stack.factory).functions.accountImplementation().call()
    bare = SmartAccount(chain, implementation)
    # Its owner is address(0): a signature that fails to recover must not match it.
    assert is_valid(bare, bytes(65)) == INVALID
    assert is_valid(bare, sign_digest(named_key("anyone").key, aa_auth_message_digest(chain.chain_id, implementation, MESSAGE_HASH))) == INVALID
