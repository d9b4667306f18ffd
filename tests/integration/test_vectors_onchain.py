"""The contracts accept what ethers.js and MetaMask's eth-sig-util sign (tests/vectors/*.json).

Two layers (docs/attacks.md, "Cross-client vectors on-chain", says why both):

- Embedded chain. A vector's domain names a chain id and an address the embedded chain does not
  have, so each vector is moved to a real account here: the same types and message under this
  account's domain, signed with eth-account's `sign_typed_data` (the reference), must be accepted.
  The vector's `structHash` does not depend on the domain, so the contract's own hashing is checked
  against it directly: `orderDigest` equals keccak(0x1901 || domain || vector.structHash), and the
  `scopeHash` that `SessionGranted` emits rebuilds the vector's SessionGrant `structHash`.
- anvil (marked `anvil`). anvil can take any chain id and put code at any address, so the account
  is planted at each vector's own verifyingContract on the vector's own chain id, and the vector's
  bytes (digest and signatureEthers, exactly as the JavaScript clients made them) are submitted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from web3.logs import DISCARD

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account
from aa_auth.errors import ContractRevert, Reason
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import MarketLimit, market_limit, scope
from aa_auth.protocol.typed_data import DOMAIN_TYPEHASH, domain_separator, hash_scope, typed_data_hash
from aa_auth.protocol.values import UINT48_MAX, UINT256_MAX
from aa_auth.protocol.verify import SessionStatus, Verifier
from tests.conftest import ETHER, named_key
from tests.unit.test_storage_layout import ACCOUNT_NAMESPACE
from tests.unit.test_vectors import (
    b32,
    eth_account_digest,
    eth_account_message,
    grant_struct_hash,
    is_encoding_only,
    order_of,
    params,
    scope_of,
)

ERC1271_MAGIC = bytes.fromhex("1626ba7e")
ERC1271_FAIL = bytes.fromhex("ffffffff")


# ---------------------------------------------------------------- helpers


def scope_abi(m: dict[str, Any]) -> tuple[Any, ...]:
    """A vector's Scope message as the ABI tuple, unvalidated (encoding-only scopes included)."""
    return (
        int(m["validAfter"]),
        int(m["validUntil"]),
        list(m["venues"]),
        [(int(x["market"]), int(x["maxOrderSize"]), int(x["minPrice"]), int(x["maxPrice"])) for x in m["markets"]],
        int(m["maxNotionalPerWindow"]),
        int(m["maxOrdersPerWindow"]),
        int(m["windowSeconds"]),
        int(m["maxGasFee"]),
        [(c["target"], b32(c["selector"]), int(c["maxValue"])) for c in m["calls"]],
    )


def onchain_domain(account: SmartAccount) -> bytes:
    """The domain separator rebuilt from the account's own ERC-5267 `eip712Domain()`."""
    fields, name, version, chain_id, verifying, salt, extensions = account.contract.functions.eip712Domain().call()
    assert (fields, salt, list(extensions)) == (b"\x0f", bytes(32), [])
    separator = keccak(
        DOMAIN_TYPEHASH + keccak(name.encode()) + keccak(version.encode()) + chain_id.to_bytes(32, "big") + bytes(12) + b32(verifying)
    )
    assert separator == domain_separator(account.chain.chain_id, account.address)
    return separator


def reference_signature(v: dict[str, Any], account: SmartAccount, **overrides: Any) -> tuple[bytes, bytes]:
    """(digest, signature) by eth-account for the vector's message under `account`'s domain."""
    message = eth_account_message(v, chain_id=account.chain.chain_id, account=account.address, **overrides)
    signed = Account.sign_typed_data(v["privateKey"], full_message=message)
    return eth_account_digest(message), bytes(signed.signature)


def live_order(v: dict[str, Any], chain: Chain) -> tuple[Order, dict[str, int]]:
    """The vector's order with its deadline moved into the future when it has passed (the only change)."""
    order = order_of(v["message"])
    if order.deadline >= chain.timestamp() + 3_600:
        return order, {}
    deadline = chain.timestamp() + 3_600
    return dataclasses.replace(order, deadline=deadline), {"deadline": deadline}


def decided(account: SmartAccount, order: Order, signature: bytes) -> tuple[Reason, str | None]:
    decision = account.is_order_authorized(order, signature)
    return decision.reason, decision.signer


def events(account: SmartAccount, receipt: Any, name: str) -> list[Any]:
    return list(getattr(account.contract.events, name)().process_receipt(receipt, errors=DISCARD))


OwnedBy = Callable[[str], SmartAccount]


@pytest.fixture
def owned_by(isolated: Chain, stack: Stack, deployer: LocalAccount) -> OwnedBy:
    """An account on the embedded chain whose owner is the given address (a vector's signer)."""

    def make(owner: str) -> SmartAccount:
        account, _ = create_account(isolated, stack, deployer, owner, keccak(b"vector account"))
        return account

    return make


# ---------------------------------------------------------------- embedded chain: Order


@pytest.mark.parametrize("v", params("Order"))
def test_order_digest_on_chain_binds_the_vectors_struct_hash(account: SmartAccount, v: dict[str, Any]) -> None:
    expected = typed_data_hash(onchain_domain(account), b32(v["structHash"]))
    assert account.order_digest(order_of(v["message"])) == expected


@pytest.mark.parametrize("v", params("Order"))
def test_order_vector_signed_by_eth_account_is_authorized_for_a_granted_key(
    isolated: Chain, account: SmartAccount, owner: LocalAccount, v: dict[str, Any]
) -> None:
    order, overrides = live_order(v, isolated)
    exact = MarketLimit(order.market, order.size, order.price, order.price)  # a band of one price
    account.grant(owner, v["signer"], scope(valid_until=UINT48_MAX, venues=[order.venue], markets=[exact]))
    digest, signature = reference_signature(v, account, **overrides)
    assert account.order_digest(order) == digest
    decision = account.is_order_authorized(order, signature)
    fits = order.size * order.price // ETHER <= UINT256_MAX
    # The max-values vector's notional (size * price / 1e18) does not fit in uint256: a key may never
    # place it (reason 14), though every earlier check, the signature's included, passed.
    assert (decision.reason, decision.signer) == (Reason.AUTHORIZED if fits else Reason.NOTIONAL_CAP_EXCEEDED, v["signer"])
    state = account.state([v["signer"]], [(v["signer"], order.nonce >> 8)])
    assert Verifier(state).check(order, signature) == decision


@pytest.mark.parametrize("v", params("Order"))
def test_order_vector_signed_by_eth_account_is_authorized_for_the_owner(owned_by: OwnedBy, v: dict[str, Any]) -> None:
    account = owned_by(v["signer"])
    order, overrides = live_order(v, account.chain)
    _, signature = reference_signature(v, account, **overrides)
    assert decided(account, order, signature) == (Reason.AUTHORIZED, v["signer"])
    # The vector's own signature, made for its own domain, recovers a stranger here.
    stranger = account.is_order_authorized(order_of(v["message"]), b32(v["signatureEthers"]))
    assert stranger.reason is Reason.UNKNOWN_SIGNER and stranger.signer != v["signer"]


# ---------------------------------------------------------------- embedded chain: SessionGrant


@pytest.mark.parametrize("v", [p for p in params("SessionGrant") if not is_encoding_only(p.values[0])])
def test_grant_vector_signed_by_eth_account_is_granted_and_its_scope_hash_rebuilds_the_vector(
    owned_by: OwnedBy, deployer: LocalAccount, v: dict[str, Any]
) -> None:
    account = owned_by(v["signer"])
    m = v["message"]
    nonce, deadline = account.grant_nonce(), account.chain.timestamp() + 3_600
    _, signature = reference_signature(v, account, nonce=nonce, deadline=deadline)
    # Straight to the contract: some vectors' validUntil has passed, which Python's grant_with_sig
    # refuses before sending (the chain accepts it), and this test is about hashing, not about use.
    call = account.contract.functions.grantSessionWithSig(m["key"], scope_abi(m["scope"]), deadline, signature)
    receipt = account.chain.send(call, deployer)
    (granted,) = events(account, receipt, "SessionGranted")
    scope_hash = bytes(granted["args"]["scopeHash"])
    # The contract's hashStruct(Scope), put back in the vector's own SessionGrant, is the vector's structHash.
    assert grant_struct_hash(m["key"], scope_hash, int(m["nonce"]), int(m["deadline"])) == b32(v["structHash"])
    assert scope_hash == hash_scope(scope_of(m["scope"]))
    assert account.session(m["key"]).scope == scope_of(m["scope"])
    assert account.grant_nonce() == nonce + 1


@pytest.mark.parametrize("v", [p for p in params("SessionGrant") if is_encoding_only(p.values[0])])
def test_encoding_only_grant_vector_passes_the_signature_check_then_breaks_a_grant_rule(
    owned_by: OwnedBy, deployer: LocalAccount, v: dict[str, Any]
) -> None:
    """The Python Scope refuses these scopes, so the raw ABI call is used. The contract checks the
    owner's signature first: reaching the grant rule proves it hashed the all-zero, all-empty scope
    exactly as eth-account did; a signature from anyone else stops at InvalidSignature."""
    account = owned_by(v["signer"])
    m = v["message"]
    deadline = account.chain.timestamp() + 3_600
    _, signature = reference_signature(v, account, nonce=0, deadline=deadline)
    expected = ("InvalidSessionKey", (m["key"],)) if int(m["key"], 16) == 0 else ("InvalidValidity", (0, 0))
    for sig, error in ((signature, expected), (signature[:64] + bytes([55 - signature[64]]), ("InvalidSignature", ()))):
        call = account.contract.functions.grantSessionWithSig(m["key"], scope_abi(m["scope"]), deadline, sig)
        with pytest.raises(ContractRevert) as caught:
            account.chain.send(call, deployer)
        assert (caught.value.error_name, caught.value.error_args) == error


# ---------------------------------------------------------------- embedded chain: RevokeSession and ERC-1271


@pytest.mark.parametrize("v", params("RevokeSession"))
def test_revoke_vector_signed_by_eth_account_revokes_the_key(
    isolated: Chain, account: SmartAccount, owner: LocalAccount, deployer: LocalAccount, v: dict[str, Any]
) -> None:
    key = v["message"]["key"]
    account.grant(owner, key, scope(valid_until=isolated.timestamp() + 3_600, venues=[deployer.address], markets=[market_limit(1)]))
    digest, signature = reference_signature(v, account)
    assert digest == typed_data_hash(onchain_domain(account), b32(v["structHash"]))
    receipt = account.revoke_with_sig(deployer, key, signature)
    (revoked,) = events(account, receipt, "SessionRevoked")
    assert (revoked["args"]["key"], revoked["args"]["by"]) == (key, key)
    assert account.session(key).status is SessionStatus.REVOKED


@pytest.mark.parametrize("v", params("AAAuthMessage"))
def test_erc1271_vector_signed_by_eth_account_is_valid_and_the_vectors_own_is_not(owned_by: OwnedBy, v: dict[str, Any]) -> None:
    account = owned_by(v["signer"])
    hash32 = b32(v["message"]["hash"])
    digest, signature = reference_signature(v, account)
    assert digest == typed_data_hash(onchain_domain(account), b32(v["structHash"]))
    is_valid = account.contract.functions.isValidSignature
    assert bytes(is_valid(hash32, signature).call()) == ERC1271_MAGIC
    assert bytes(is_valid(hash32, b32(v["signatureEthers"])).call()) == ERC1271_FAIL


# ---------------------------------------------------------------- anvil: every vector verbatim at its own address


@dataclasses.dataclass
class VectorNode:
    """An anvil node with a SessionAccount clone template and helpers to plant it anywhere."""

    chain: Chain
    funder: LocalAccount
    template: bytes  # a factory clone's runtime code: 45 bytes of proxy, then the 20-byte owner
    grant_nonce_slot: int

    def rpc(self, method: str, *args: Any) -> Any:
        answer = self.chain.w3.provider.make_request(method, list(args))  # type: ignore[arg-type]
        assert "error" not in answer, answer
        return answer["result"]

    def plant(self, v: dict[str, Any], owner: str) -> SmartAccount:
        """Switch to the vector's chain id and put an account owned by `owner` at its verifyingContract."""
        self.rpc("anvil_setChainId", v["chainId"])
        self.rpc("anvil_setCode", v["account"], "0x" + (self.template[:45] + b32(owner)).hex())
        account = SmartAccount(self.chain, v["account"])
        assert account.owner() == owner and self.chain.chain_id == v["chainId"]
        return account

    def fund(self, address: str) -> None:
        # anvil_setBalance, not a transfer: anvil's own signer keeps chain id 31337 after anvil_setChainId.
        self.rpc("anvil_setBalance", address, hex(ETHER))

    def set_time(self, timestamp: int) -> None:
        self.rpc("anvil_setTime", timestamp)
        self.rpc("evm_mine")


@pytest.fixture(scope="module")
def node() -> Iterator[VectorNode]:
    """A private anvil (its chain id is changed, so it is not the shared one)."""
    from tests.anvil import running_anvil

    with running_anvil() as url:
        chain = Chain.connect(url)
        funder = named_key("vector funder")
        chain.fund(funder.address, 1_000 * ETHER)
        # The EntryPoint plays no part in these checks; any address will do.
        factory, _ = chain.deploy("AccountFactory", funder, funder.address)
        probe, _ = create_account(chain, Stack(funder.address, factory, funder.address), funder, funder.address)
        template = bytes(chain.w3.eth.get_code(probe.address))
        assert len(template) == 65 and template[45:] == b32(funder.address)
        yield VectorNode(chain, funder, template, _grant_nonce_slot(chain, probe))


def _grant_nonce_slot(chain: Chain, account: SmartAccount) -> int:
    """The storage slot behind grantNonce(), found by probing the account's ERC-7201 namespace
    (docs/storage.md) rather than assumed from the struct's field order."""
    for slot in range(ACCOUNT_NAMESPACE, ACCOUNT_NAMESPACE + 16):
        before = chain.w3.eth.get_storage_at(account.address, slot)
        chain.w3.provider.make_request("anvil_setStorageAt", [account.address, hex(slot), "0x" + (12345).to_bytes(32, "big").hex()])  # type: ignore[arg-type]
        found = account.grant_nonce() == 12345
        chain.w3.provider.make_request("anvil_setStorageAt", [account.address, hex(slot), "0x" + bytes(before).rjust(32, b"\0").hex()])  # type: ignore[arg-type]
        if found:
            return slot
    raise AssertionError("no storage slot moves grantNonce()")


@pytest.fixture
def fresh(node: VectorNode) -> Iterator[VectorNode]:
    snapshot = node.rpc("evm_snapshot")
    yield node
    node.rpc("evm_revert", snapshot)


EARLY = 1_700_000_000  # before every vector deadline that is not 0 or 1


@pytest.mark.anvil
@pytest.mark.parametrize("v", params("Order"))
def test_order_vector_verbatim_is_authorized_at_its_own_chain_and_address(fresh: VectorNode, v: dict[str, Any]) -> None:
    order = order_of(v["message"])
    fresh.set_time(min(order.deadline, EARLY))
    signature = b32(v["signatureEthers"])
    owner_account = fresh.plant(v, v["signer"])
    assert owner_account.order_digest(order) == b32(v["digest"])
    assert decided(owner_account, order, signature) == (Reason.AUTHORIZED, v["signer"])
    if "session_key" not in v["name"]:
        return
    # A session key's order: grant the vector's signer on an account with another owner, then let the
    # order's venue consume it, exactly as signed.
    owner = named_key("vector owner")
    fresh.fund(owner.address)
    account = fresh.plant(v, owner.address)
    limit = MarketLimit(order.market, order.size, order.price, order.price)
    account.grant(owner, v["signer"], scope(valid_until=UINT48_MAX, venues=[order.venue], markets=[limit]))
    assert decided(account, order, signature) == (Reason.AUTHORIZED, v["signer"])
    fresh.rpc("anvil_impersonateAccount", order.venue)
    fresh.fund(order.venue)
    consume = account.contract.functions.consumeOrder(order.as_abi(), signature)
    tx = consume.transact({"from": order.venue})
    (consumed,) = events(account, fresh.chain.w3.eth.wait_for_transaction_receipt(tx), "OrderConsumed")
    assert (consumed["args"]["signer"], bytes(consumed["args"]["digest"])) == (v["signer"], b32(v["digest"]))


@pytest.mark.anvil
@pytest.mark.parametrize("v", params("SessionGrant"))
def test_grant_vector_verbatim_passes_the_owner_signature_check_at_its_own_chain_and_address(
    fresh: VectorNode, v: dict[str, Any]
) -> None:
    m = v["message"]
    nonce, deadline = int(m["nonce"]), int(m["deadline"])
    fresh.set_time(min(deadline, EARLY))
    account = fresh.plant(v, v["signer"])
    fresh.rpc("anvil_setStorageAt", account.address, hex(fresh.grant_nonce_slot), "0x" + nonce.to_bytes(32, "big").hex())
    assert account.grant_nonce() == nonce
    call = account.contract.functions.grantSessionWithSig(m["key"], scope_abi(m["scope"]), deadline, b32(v["signatureEthers"]))
    if is_encoding_only(v) or nonce == UINT256_MAX:
        # Each of these fails only after the signature check passed (a wrong digest would be
        # InvalidSignature): a grant rule for the encoding-only vectors, and for the max-values
        # vector the grant nonce's increment past 2**256 - 1, a nonce no account can ever reach.
        expected = {
            "grant_all_zero_all_empty": ("InvalidValidity", (0, 0)),
            "grant_zero_key_all_empty": ("InvalidSessionKey", (m["key"],)),
            "grant_max_values": ("Panic", (0x11,)),
        }[v["name"]]
        with pytest.raises(ContractRevert) as caught:
            fresh.chain.call(call, **{"from": fresh.funder.address})
        assert (caught.value.error_name, caught.value.error_args) == expected
        return
    receipt = fresh.chain.send(call, fresh.funder)
    (granted,) = events(account, receipt, "SessionGranted")
    assert grant_struct_hash(m["key"], bytes(granted["args"]["scopeHash"]), nonce, deadline) == b32(v["structHash"])
    assert account.session(m["key"]).scope == scope_of(m["scope"])
    assert account.grant_nonce() == nonce + 1


@pytest.mark.anvil
@pytest.mark.parametrize("v", params("RevokeSession"))
def test_revoke_vector_verbatim_revokes_at_its_own_chain_and_address(fresh: VectorNode, v: dict[str, Any]) -> None:
    owner = named_key("vector owner")
    fresh.fund(owner.address)
    account = fresh.plant(v, owner.address)
    key = v["message"]["key"]
    account.grant(owner, key, scope(valid_until=UINT48_MAX, venues=[owner.address], markets=[market_limit(1)]))
    receipt = account.revoke_with_sig(fresh.funder, key, b32(v["signatureEthers"]))
    (revoked,) = events(account, receipt, "SessionRevoked")
    assert (revoked["args"]["key"], revoked["args"]["by"]) == (key, key)


@pytest.mark.anvil
@pytest.mark.parametrize("v", params("AAAuthMessage"))
def test_erc1271_vector_verbatim_is_valid_at_its_own_chain_and_address(fresh: VectorNode, v: dict[str, Any]) -> None:
    account = fresh.plant(v, v["signer"])
    is_valid = account.contract.functions.isValidSignature(b32(v["message"]["hash"]), b32(v["signatureEthers"]))
    assert bytes(is_valid.call()) == ERC1271_MAGIC

