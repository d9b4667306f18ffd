"""Attack corpus (issue 5): one named test per attack on the embedded chain.

Each test states the attack, carries it out against the deployed contracts and checks that it fails
and changes nothing; where the attack needs an honest twin to mean anything (a signature, a grant) the
honest twin is shown to work in the same test, so a broken fixture cannot pass for a defence.
docs/attacks.md names the line of code that defends against each attack and how the test was seen
to fail with that line removed (mutants compiled in a scratch copy). Several attacks are also pinned
by tests/integration (reason codes, sessions, venue); these are restatements with the attack framing.
The user-operation variants (a session key's operation that calls the account, a paymaster, another
key's nonce lane) live with the ERC-4337 code in tests/integration/test_userops*.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_keys.datatypes import Signature
from web3.contract import Contract
from web3.logs import DISCARD

from aa_auth.chain.artifacts import artifact, decode_revert
from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account
from aa_auth.contracts.venue import Venue
from aa_auth.errors import ContractRevert, Reason
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import CallPermission, MarketLimit, Scope, market_limit
from aa_auth.protocol.signatures import SECP256K1_N, sign_digest
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.typed_data import aa_auth_message_digest, revoke_session_digest, session_grant_digest
from aa_auth.protocol.values import ANY_MARKET, UINT32_MAX, UINT256_MAX, ZERO_ADDRESS, check_address
from aa_auth.protocol.verify import SessionStatus
from tests.conftest import named_key
from tests.integration.conftest import MARKET, OTHER_VENUE, Desk, E

ERC1271_MAGIC = bytes.fromhex("1626ba7e")
ERC1271_FAIL = bytes.fromhex("ffffffff")
TRANSFER = bytes.fromhex("a9059cbb")
TOKEN = "0x" + "cc" * 20


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def desk(isolated: Chain, stack: Stack, account: SmartAccount, owner: LocalAccount, deployer: LocalAccount) -> Iterator[Desk]:
    yield Desk(isolated, stack, account, owner, deployer, Venue(isolated, stack.venue))


@pytest.fixture
def bot(isolated: Chain) -> LocalAccount:
    key = named_key("bot")
    isolated.fund(key.address, E)  # so the key can send transactions of its own
    return key


@pytest.fixture
def bot2() -> LocalAccount:
    return named_key("bot 2")


@pytest.fixture
def attacker(isolated: Chain) -> LocalAccount:
    key = named_key("attacker")
    isolated.fund(key.address, E)
    return key


def reverted(chain: Chain, call: Any, sender: LocalAccount) -> tuple[str, tuple[object, ...]]:
    """Send `call`; it must revert. Returns the custom error's name and arguments."""
    with pytest.raises(ContractRevert) as caught:
        chain.send(call, sender)
    return caught.value.error_name, caught.value.error_args


def calldata(call: Any) -> bytes:
    return bytes.fromhex(call._encode_transaction_data()[2:])


def helper(desk: Desk, test_artifacts: dict[str, Any], name: str) -> Contract:
    """Deploy a helper contract of tests/contracts/."""
    compiled = test_artifacts[name]
    address, _ = desk.chain.deploy_artifact(compiled, desk.relayer)
    return desk.chain.w3.eth.contract(address=check_address("helper", address), abi=compiled["abi"])


def attempts(contract: Contract, receipt: Any) -> list[tuple[str, tuple[object, ...]]]:
    """The Attempt events of a hostile helper: ("ok", ()) or the named error of each call it made."""
    logs = sorted(contract.events.Attempt().process_receipt(receipt, errors=DISCARD), key=lambda log: log["logIndex"])
    outcomes: list[tuple[str, tuple[object, ...]]] = []
    for log in logs:
        if log["args"]["ok"]:
            outcomes.append(("ok", ()))
        else:
            error = decode_revert(bytes(log["args"]["returnData"]))
            outcomes.append((error.error_name, error.error_args))
    return outcomes


def settle_raw(desk: Desk, account: str, order: Order, signature: bytes) -> Reason:
    """Settle one order through the ReferenceVenue contract directly (the Python Venue refuses a
    signature that is not 65 bytes before sending; the attack must reach the contracts)."""
    venue = desk.venue.contract
    receipt = desk.chain.send(venue.functions.settle([(account, order.as_abi(), signature)]), desk.relayer)
    rejected = venue.events.OrderRejected().process_receipt(receipt, errors=DISCARD)
    settled = venue.events.OrderSettled().process_receipt(receipt, errors=DISCARD)
    assert len(rejected) + len(settled) == 1
    return Reason(rejected[0]["args"]["reason"]) if rejected else Reason.AUTHORIZED


def session_snapshot(account: SmartAccount, *keys: str) -> tuple[Any, ...]:
    """Everything an attack on the account's authority could change."""
    return (
        account.owner(), account.guardian(), account.frozen(), account.grant_nonce(), account.session_keys(),
        tuple(account.session(k) for k in keys), account.chain.w3.eth.get_balance(account.address),
    )


def owner_1271_signature(desk: Desk, account: str, hash32: bytes, chain_id: int | None = None) -> bytes:
    return sign_digest(desk.owner.key, aa_auth_message_digest(chain_id or desk.chain.chain_id, account, hash32))


def is_valid_1271(account: SmartAccount, hash32: bytes, signature: bytes) -> bytes:
    return bytes(account.contract.functions.isValidSignature(hash32, signature).call())


# ---------------------------------------------------------------- replay across accounts, chains, nonces, deadlines


def test_cross_account_replay_one_owner_two_accounts(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    """Every signature made for account A is worthless on account B of the same owner, although B
    has the same owner, the same key and the same scope."""
    a = desk.account
    b, _ = create_account(desk.chain, desk.stack, desk.relayer, desk.owner.address, keccak(b"second account"))
    assert b.owner() == a.owner() and b.address != a.address
    granted = desk.grant(bot)
    b.grant(desk.owner, bot.address, granted)
    for signer in (bot, desk.owner):
        signed = desk.sign(signer)  # signed for A
        assert desk.reason(signed) is Reason.AUTHORIZED
        on_b = b.is_order_authorized(signed.order, signed.signature)
        assert on_b.reason is Reason.UNKNOWN_SIGNER and on_b.signer not in (bot.address, desk.owner.address)
        assert settle_raw(desk, b.address, signed.order, signed.signature) is Reason.UNKNOWN_SIGNER
    deadline = desk.now() + 100
    grant_sig = a.sign_grant(desk.owner.key, bot2.address, granted, deadline)
    assert reverted(desk.chain, b.contract.functions.grantSessionWithSig(bot2.address, granted.as_abi(), deadline, grant_sig), desk.relayer) == ("InvalidSignature", ())
    revoke_sig = a.sign_revoke(bot.key)
    assert reverted(desk.chain, b.contract.functions.revokeSessionWithSig(bot.address, revoke_sig), desk.relayer) == ("InvalidSignature", ())
    message = keccak(b"pay 100 USDC to 0xabc")
    erc1271 = owner_1271_signature(desk, a.address, message)
    assert is_valid_1271(b, message, erc1271) == ERC1271_FAIL
    # The same signatures on A, where they belong, work.
    assert is_valid_1271(a, message, erc1271) == ERC1271_MAGIC
    a.grant_with_sig(desk.relayer, bot2.address, granted, deadline, grant_sig)
    a.revoke_with_sig(desk.relayer, bot.address, revoke_sig)
    assert b.session(bot.address).status is SessionStatus.ACTIVE and b.session(bot2.address).status is SessionStatus.NONE


def test_cross_chain_replay_of_orders_grants_revocations_and_erc1271(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    """Signatures made for the same account address on chain id + 1 (a fork, a testnet twin) are refused."""
    a, here = desk.account, desk.chain.chain_id
    there = here + 1
    granted = desk.grant(bot)
    for signer in (bot, desk.owner):
        order = desk.order(signer)
        foreign = OrderSigner(signer.key, there, a.address).sign(order)
        decision = desk.decide(order, foreign.signature)
        assert decision.reason is Reason.UNKNOWN_SIGNER and decision.signer not in (bot.address, desk.owner.address)
        assert settle_raw(desk, a.address, order, foreign.signature) is Reason.UNKNOWN_SIGNER
        assert desk.decide(order, OrderSigner(signer.key, here, a.address).sign(order).signature).reason is Reason.AUTHORIZED
    deadline = desk.now() + 100
    grant_there = sign_digest(desk.owner.key, session_grant_digest(there, a.address, bot2.address, granted, 0, deadline))
    call = a.contract.functions.grantSessionWithSig(bot2.address, granted.as_abi(), deadline, grant_there)
    assert reverted(desk.chain, call, desk.relayer) == ("InvalidSignature", ())
    revoke_there = sign_digest(bot.key, revoke_session_digest(there, a.address, bot.address))
    assert reverted(desk.chain, a.contract.functions.revokeSessionWithSig(bot.address, revoke_there), desk.relayer) == ("InvalidSignature", ())
    message = keccak(b"permit")
    assert is_valid_1271(a, message, owner_1271_signature(desk, a.address, message, there)) == ERC1271_FAIL
    assert is_valid_1271(a, message, owner_1271_signature(desk, a.address, message, here)) == ERC1271_MAGIC
    assert a.session(bot.address).status is SessionStatus.ACTIVE and a.session(bot2.address).status is SessionStatus.NONE


def test_grant_signature_replayed_is_refused(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    """A grant signature is good once: its nonce is spent when it is relayed, so neither the same
    signature (even after the key is revoked) nor a second one signed at the same nonce goes through."""
    a = desk.account
    granted = desk.default_scope()
    deadline = desk.now() + 100
    for_bot = a.sign_grant(desk.owner.key, bot.address, granted, deadline)  # nonce 0
    for_bot2 = a.sign_grant(desk.owner.key, bot2.address, granted, deadline)  # nonce 0 as well: one or the other
    a.grant_with_sig(desk.relayer, bot.address, granted, deadline, for_bot)
    assert a.grant_nonce() == 1
    second = a.contract.functions.grantSessionWithSig(bot2.address, granted.as_abi(), deadline, for_bot2)
    assert reverted(desk.chain, second, desk.relayer) == ("InvalidSignature", ())
    a.revoke(desk.owner, bot.address)
    replay = a.contract.functions.grantSessionWithSig(bot.address, granted.as_abi(), deadline, for_bot)
    assert reverted(desk.chain, replay, desk.relayer) == ("InvalidSignature", ())
    assert a.grant_nonce() == 1
    assert a.session(bot.address).status is SessionStatus.REVOKED and a.session(bot2.address).status is SessionStatus.NONE


def test_grant_signature_after_its_deadline_is_refused(desk: Desk, bot: LocalAccount) -> None:
    """A grant is good up to and including its deadline second, and never after."""
    a = desk.account
    granted = desk.default_scope()
    deadline = desk.now() + 50
    signature = a.sign_grant(desk.owner.key, bot.address, granted, deadline)
    call = a.contract.functions.grantSessionWithSig(bot.address, granted.as_abi(), deadline, signature)
    before = desk.chain.snapshot()
    desk.chain.pin_next_block(deadline)
    receipt = desk.chain.send(call, desk.relayer)
    assert desk.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"] == deadline
    assert a.session(bot.address).status is SessionStatus.ACTIVE
    desk.chain.revert(before)
    desk.chain.pin_next_block(deadline + 1)
    assert reverted(desk.chain, call, desk.relayer) == ("GrantExpired", (deadline,))
    assert a.session(bot.address).status is SessionStatus.NONE and a.grant_nonce() == 0


def _with_markets(s: Scope, change: Callable[[MarketLimit], MarketLimit]) -> Scope:
    return dataclasses.replace(s, markets=(change(s.markets[0]),))


def _with_calls(s: Scope, change: Callable[[CallPermission], CallPermission]) -> Scope:
    return dataclasses.replace(s, calls=(change(s.calls[0]),))


SCOPE_CHANGES: dict[str, Callable[[Scope], Scope]] = {
    "validAfter earlier": lambda s: dataclasses.replace(s, valid_after=s.valid_after - 1),
    "validUntil later": lambda s: dataclasses.replace(s, valid_until=s.valid_until + 1),
    "a venue added": lambda s: dataclasses.replace(s, venues=(*s.venues, OTHER_VENUE)),
    "the venue swapped": lambda s: dataclasses.replace(s, venues=(OTHER_VENUE,)),
    "a market added": lambda s: dataclasses.replace(s, markets=(*s.markets, market_limit(ANY_MARKET))),
    "the market swapped": lambda s: _with_markets(s, lambda m: dataclasses.replace(m, market=m.market + 1)),
    "maxOrderSize raised": lambda s: _with_markets(s, lambda m: dataclasses.replace(m, max_order_size=m.max_order_size + 1)),
    "minPrice lowered": lambda s: _with_markets(s, lambda m: dataclasses.replace(m, min_price=m.min_price - 1)),
    "maxPrice raised": lambda s: _with_markets(s, lambda m: dataclasses.replace(m, max_price=m.max_price + 1)),
    "maxNotionalPerWindow raised": lambda s: dataclasses.replace(s, max_notional_per_window=s.max_notional_per_window + 1),
    "maxOrdersPerWindow raised": lambda s: dataclasses.replace(s, max_orders_per_window=s.max_orders_per_window + 1),
    "windowSeconds changed": lambda s: dataclasses.replace(s, window_seconds=s.window_seconds + 1),
    "maxGasFee raised": lambda s: dataclasses.replace(s, max_gas_fee=s.max_gas_fee + 1),
    "a call added": lambda s: dataclasses.replace(s, calls=(*s.calls, CallPermission(OTHER_VENUE, bytes(4), 1))),
    "the call's target swapped": lambda s: _with_calls(s, lambda c: dataclasses.replace(c, target=OTHER_VENUE)),
    "the call's selector swapped": lambda s: _with_calls(s, lambda c: dataclasses.replace(c, selector=bytes.fromhex("095ea7b3"))),
    "the call's maxValue raised": lambda s: _with_calls(s, lambda c: dataclasses.replace(c, max_value=c.max_value + 1)),
}


@pytest.mark.parametrize("change", [*SCOPE_CHANGES, "another key", "a later deadline"])
def test_grant_signature_with_a_changed_scope_is_refused(desk: Desk, bot: LocalAccount, bot2: LocalAccount, change: str) -> None:
    """A relayer (or a thief of the signed grant) changes one thing before relaying it: the grant's
    key, its deadline, or any one field of any level of the scope. The signature no longer matches."""
    a = desk.account
    signed_scope = desk.default_scope(max_gas_fee=10**16, calls=[CallPermission(TOKEN, TRANSFER, 0)])
    deadline = desk.now() + 100
    signature = a.sign_grant(desk.owner.key, bot.address, signed_scope, deadline)
    key, sent_scope, sent_deadline = bot.address, signed_scope, deadline
    if change == "another key":
        key = bot2.address
    elif change == "a later deadline":
        sent_deadline = deadline + 1
    else:
        sent_scope = SCOPE_CHANGES[change](signed_scope)
        assert sent_scope != signed_scope
    call = a.contract.functions.grantSessionWithSig(key, sent_scope.as_abi(), sent_deadline, signature)
    assert reverted(desk.chain, call, desk.relayer) == ("InvalidSignature", ())
    assert a.session_keys() == [] and a.grant_nonce() == 0
    a.grant_with_sig(desk.relayer, bot.address, signed_scope, deadline, signature)  # as signed, it works
    assert a.session(bot.address).scope == signed_scope


# ---------------------------------------------------------------- signature malleability


def _split(signature: bytes) -> tuple[bytes, int, int]:
    return signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]


def _high_s(signature: bytes) -> bytes:
    r, s, v = _split(signature)
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # the other valid (r, s, v) of the same signer


def _eip2098(signature: bytes) -> bytes:
    r, s, v = _split(signature)
    return r + (s | (v - 27) << 255).to_bytes(32, "big")  # EIP-2098 compact form: v folded into s's top bit


MANGLES: dict[str, Callable[[bytes], bytes]] = {
    "high s": _high_s,
    "v of 0/1": lambda sig: sig[:64] + bytes([sig[64] - 27]),
    "64-byte compact": _eip2098,
    "66 bytes": lambda sig: sig + b"\x00",
    "zero signature": lambda sig: bytes(65),
}


def lenient_recover(digest: bytes, signature: bytes) -> str | None:
    """What a lax verifier (raw ecrecover, v of 0/1 allowed, EIP-2098 and trailing bytes accepted) recovers."""
    if len(signature) == 64:
        vs = int.from_bytes(signature[32:], "big")
        r, s, v = int.from_bytes(signature[:32], "big"), vs & ((1 << 255) - 1), vs >> 255
    else:
        r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
        v = v - 27 if v >= 27 else v
    try:
        return str(Signature(vrs=(v, r, s)).recover_public_key_from_msg_hash(digest).to_checksum_address())
    except Exception:
        return None


def _real_attack(digest: bytes, mangled: bytes, signer: str, mangle: str) -> None:
    """The mangled signature is a real threat: a lax verifier would take it as the signer's."""
    assert lenient_recover(digest, mangled) == (None if mangle == "zero signature" else signer)


@pytest.mark.parametrize("mangle", MANGLES)
def test_signature_malleability_on_orders(desk: Desk, bot: LocalAccount, mangle: str) -> None:
    desk.grant(bot)
    signed = desk.sign(bot)
    mangled = MANGLES[mangle](signed.signature)
    _real_attack(signed.digest, mangled, bot.address, mangle)
    decision = desk.decide(signed.order, mangled)
    assert (decision.reason, decision.signer) == (Reason.BAD_SIGNATURE, None)
    assert settle_raw(desk, desk.account.address, signed.order, mangled) is Reason.BAD_SIGNATURE
    assert desk.account.nonce_bitmap(bot.address, 0) == 0
    assert settle_raw(desk, desk.account.address, signed.order, signed.signature) is Reason.AUTHORIZED


@pytest.mark.parametrize("mangle", MANGLES)
def test_signature_malleability_on_grants(desk: Desk, bot: LocalAccount, mangle: str) -> None:
    a = desk.account
    granted = desk.default_scope()
    deadline = desk.now() + 100
    signature = a.sign_grant(desk.owner.key, bot.address, granted, deadline)
    digest = session_grant_digest(desk.chain.chain_id, a.address, bot.address, granted, 0, deadline)
    mangled = MANGLES[mangle](signature)
    _real_attack(digest, mangled, desk.owner.address, mangle)
    call = a.contract.functions.grantSessionWithSig(bot.address, granted.as_abi(), deadline, mangled)
    assert reverted(desk.chain, call, desk.relayer) == ("InvalidSignature", ())
    assert a.session(bot.address).status is SessionStatus.NONE and a.grant_nonce() == 0
    a.grant_with_sig(desk.relayer, bot.address, granted, deadline, signature)


@pytest.mark.parametrize("mangle", MANGLES)
def test_signature_malleability_on_revocations(desk: Desk, bot: LocalAccount, mangle: str) -> None:
    a = desk.account
    desk.grant(bot)
    signature = a.sign_revoke(bot.key)
    mangled = MANGLES[mangle](signature)
    _real_attack(revoke_session_digest(desk.chain.chain_id, a.address, bot.address), mangled, bot.address, mangle)
    assert reverted(desk.chain, a.contract.functions.revokeSessionWithSig(bot.address, mangled), desk.relayer) == ("InvalidSignature", ())
    assert a.session(bot.address).status is SessionStatus.ACTIVE
    a.revoke_with_sig(desk.relayer, bot.address, signature)


@pytest.mark.parametrize("mangle", MANGLES)
def test_signature_malleability_on_erc1271(desk: Desk, mangle: str) -> None:
    a = desk.account
    message = keccak(b"order 7")
    signature = owner_1271_signature(desk, a.address, message)
    mangled = MANGLES[mangle](signature)
    _real_attack(aa_auth_message_digest(desk.chain.chain_id, a.address, message), mangled, desk.owner.address, mangle)
    assert is_valid_1271(a, message, mangled) == ERC1271_FAIL
    assert is_valid_1271(a, message, signature) == ERC1271_MAGIC


# ---------------------------------------------------------------- a key reaching for the owner's power


def test_session_key_cannot_grant_itself_power_through_execute_or_execute_batch(
    desk: Desk, bot: LocalAccount, bot2: LocalAccount
) -> None:
    """A session key is not the owner: called by the key itself, every admin function and every
    execute/executeBatch path (the account calling itself, nested batches) reverts Unauthorized(key).
    The user-operation variants are in tests/integration/test_userops*.py."""
    a = desk.account
    f = a.contract.functions
    granted = desk.grant(bot)
    desk.chain.fund(a.address, E)
    wide = desk.default_scope(markets=[market_limit(ANY_MARKET)], max_orders_per_window=UINT32_MAX, max_notional_per_window=UINT256_MAX)
    grant_bot2 = calldata(f.grantSession(bot2.address, wide.as_abi()))
    attempts_by_key = {
        "grantSession": f.grantSession(bot2.address, wide.as_abi()),
        "rotateSession": f.rotateSession(bot.address, bot2.address),
        "setGuardian": f.setGuardian(bot.address),
        "unfreeze": f.unfreeze(),
        "invalidateNonces": f.invalidateNonces(desk.owner.address, 0, UINT256_MAX),
        "execute(account.grantSession)": f.execute(a.address, 0, grant_bot2),
        "execute(account.setGuardian)": f.execute(a.address, 0, calldata(f.setGuardian(bot.address))),
        "executeBatch([account.grantSession])": f.executeBatch([(a.address, 0, grant_bot2)]),
        "executeBatch nested in executeBatch": f.executeBatch([(a.address, 0, calldata(f.executeBatch([(a.address, 0, grant_bot2)])))]),
        "execute(pay the key)": f.execute(bot.address, E, b""),
    }
    before = session_snapshot(a, bot.address, bot2.address)
    for name, call in attempts_by_key.items():
        assert reverted(desk.chain, call, bot) == ("Unauthorized", (bot.address,)), name
    assert session_snapshot(a, bot.address, bot2.address) == before
    assert a.session(bot.address).scope == granted


def test_session_key_cannot_sign_for_the_account_through_erc1271(desk: Desk, bot: LocalAccount) -> None:
    """A key reaches for the account's tokens off-chain instead: it signs an ERC-1271 message (a
    Permit2 permit, an order on another exchange) in the account's name. Only the owner signs for
    the account; the key's signature over the very same replay-safe hash is not valid."""
    a = desk.account
    desk.grant(bot)
    message = keccak(b"Permit2: spend all USDC of the account")
    digest = aa_auth_message_digest(desk.chain.chain_id, a.address, message)
    assert is_valid_1271(a, message, sign_digest(bot.key, digest)) == ERC1271_FAIL
    assert is_valid_1271(a, message, sign_digest(bot.key, message)) == ERC1271_FAIL  # nor over the bare hash
    assert is_valid_1271(a, message, sign_digest(desk.owner.key, digest)) == ERC1271_MAGIC


# ---------------------------------------------------------------- delegatecall


def _opcodes(code: bytes) -> set[int]:
    """Opcodes of runtime code, skipping PUSH data and the trailing CBOR metadata."""
    body = code[: len(code) - 2 - int.from_bytes(code[-2:], "big")]
    found, i = set(), 0
    while i < len(body):
        op = body[i]
        found.add(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return found


def test_account_has_no_delegatecall_path(desk: Desk) -> None:
    """No function of the account can run foreign code in its context: the implementation's code has
    no DELEGATECALL, CALLCODE or SELFDESTRUCT at all, execute/executeBatch take no call-type
    argument, there is no upgrade function, and a clone is exactly the standard minimal proxy, whose
    one DELEGATECALL goes to the fixed implementation."""
    implementation = desk.chain.contract("AccountFactory", desk.stack.factory).functions.accountImplementation().call()
    code = bytes(desk.chain.w3.eth.get_code(implementation))
    assert not _opcodes(code) & {0xF4, 0xF2, 0xFF}  # DELEGATECALL, CALLCODE, SELFDESTRUCT
    abi = {f["name"]: f for f in artifact("SessionAccount")["abi"] if f["type"] == "function"}
    assert not [name for name in abi if any(word in name.lower() for word in ("delegate", "upgrade", "init", "implementation"))]
    assert [i["type"] for i in abi["execute"]["inputs"]] == ["address", "uint256", "bytes"]
    assert [(c["name"], c["type"]) for c in abi["executeBatch"]["inputs"][0]["components"]] == [
        ("target", "address"), ("value", "uint256"), ("data", "bytes")]
    clone = bytes(desk.chain.w3.eth.get_code(desk.account.address))
    proxy = bytes.fromhex("363d3d373d3d3d363d73") + bytes.fromhex(implementation[2:]) + bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
    assert clone == proxy + bytes.fromhex(desk.owner.address[2:])


def test_execute_runs_targets_by_call_so_they_cannot_write_account_storage(
    desk: Desk, bot: LocalAccount, test_artifacts: dict[str, Any]
) -> None:
    """The owner executes a target that would rewrite the account's guardian, freeze flag, epoch,
    grant nonce and key list if it ran with delegatecall semantics; it only rewrites its own slots."""
    a = desk.account
    clobber = helper(desk, test_artifacts, "StorageClobber")
    a.set_guardian(desk.owner, named_key("guardian").address)
    desk.grant(bot)
    w3 = desk.chain.w3
    slots = range(16)
    raw_before = [w3.eth.get_storage_at(a.address, i) for i in slots]
    before = session_snapshot(a, bot.address)
    junk = b"\xff" * 32
    payload = calldata(clobber.functions.clobber(len(slots), junk))
    desk.chain.send(a.contract.functions.execute(clobber.address, 0, payload), desk.owner)
    desk.chain.send(a.contract.functions.executeBatch([(clobber.address, 0, payload)]), desk.owner)
    assert [w3.eth.get_storage_at(a.address, i) for i in slots] == raw_before
    assert session_snapshot(a, bot.address) == before
    assert all(bytes(w3.eth.get_storage_at(clobber.address, i)) == junk for i in slots)
    assert desk.reason(desk.sign(bot)) is Reason.AUTHORIZED


# ---------------------------------------------------------------- grant rules under attack


@pytest.mark.parametrize("how", ["revoked by the owner", "revoked by itself", "rotated away", "swept by revokeAllSessions"])
def test_revoked_key_cannot_be_granted_again(desk: Desk, bot: LocalAccount, bot2: LocalAccount, how: str) -> None:
    """A key that is gone stays gone: no direct grant, signed grant or rotation brings it back, so a
    stolen key that was revoked can never be revived with its old (or a new) scope."""
    a = desk.account
    desk.grant(bot)
    if how == "revoked by the owner":
        a.revoke(desk.owner, bot.address)
    elif how == "revoked by itself":
        a.revoke_with_sig(desk.relayer, bot.address, a.sign_revoke(bot.key))
    elif how == "rotated away":
        a.rotate(desk.owner, bot.address, bot2.address)
    else:
        a.revoke_all(desk.owner)
    assert a.session(bot.address).status is SessionStatus.REVOKED
    spare = named_key("spare bot")
    desk.grant(spare)
    again = desk.default_scope()
    deadline = desk.now() + 100
    signature = a.sign_grant(desk.owner.key, bot.address, again, deadline)
    f = a.contract.functions
    for call in (
        f.grantSession(bot.address, again.as_abi()),
        f.grantSessionWithSig(bot.address, again.as_abi(), deadline, signature),
        f.rotateSession(spare.address, bot.address),
    ):
        sender = desk.relayer if call.fn_name == "grantSessionWithSig" else desk.owner
        assert reverted(desk.chain, call, sender) == ("KeyAlreadyGranted", (bot.address,))
    assert a.session(bot.address).status is SessionStatus.REVOKED
    assert desk.reason(desk.sign(bot)) is Reason.SESSION_REVOKED


@pytest.mark.parametrize("target", ["the owner", "an active key", "itself", "the account", "the zero address"])
def test_rotation_to_the_owner_or_an_active_key_is_refused(desk: Desk, bot: LocalAccount, bot2: LocalAccount, target: str) -> None:
    """rotateSession(old, new) revokes old before it checks new; a refused new key must undo that too."""
    a = desk.account
    desk.grant(bot)
    desk.grant(bot2)
    new, expected = {
        "the owner": (desk.owner.address, "InvalidSessionKey"),
        "an active key": (bot2.address, "KeyAlreadyGranted"),
        "itself": (bot.address, "KeyAlreadyGranted"),
        "the account": (a.address, "InvalidSessionKey"),
        "the zero address": (ZERO_ADDRESS, "InvalidSessionKey"),
    }[target]
    before = session_snapshot(a, bot.address, bot2.address, new)
    assert reverted(desk.chain, a.contract.functions.rotateSession(bot.address, new), desk.owner) == (expected, (new,))
    assert session_snapshot(a, bot.address, bot2.address, new) == before
    assert desk.reason(desk.sign(bot)) is Reason.AUTHORIZED


# ---------------------------------------------------------------- reentrancy and hostile callers


def test_malicious_venue_cannot_consume_an_order_twice_in_one_transaction(
    desk: Desk, bot: LocalAccount, test_artifacts: dict[str, Any]
) -> None:
    """A venue the key trusts consumes the same order twice in one transaction, then two more orders
    past the window's order cap: consumeOrder writes the nonce and the window before it returns."""
    a = desk.account
    venue = helper(desk, test_artifacts, "MaliciousVenue")
    desk.grant(bot, venues=[venue.address], max_orders_per_window=2)
    first, second, third = (desk.sign(bot, venue=venue.address) for _ in range(3))
    consume = [calldata(a.contract.functions.consumeOrder(s.order.as_abi(), s.signature)) for s in (first, first, second, third)]
    receipt = desk.chain.send(venue.functions.attack(a.address, consume), desk.owner)
    assert attempts(venue, receipt) == [
        ("ok", ()),
        ("OrderRejected", (Reason.NONCE_ALREADY_USED,)),
        ("ok", ()),
        ("OrderRejected", (Reason.RATE_LIMITED,)),
    ]
    assert len(a.contract.events.OrderConsumed().process_receipt(receipt, errors=DISCARD)) == 2
    assert a.nonce_bitmap(bot.address, 0) == 0b011
    assert a.session(bot.address).window_orders == 2


def test_malicious_venue_cannot_call_admin_functions_during_settlement(
    desk: Desk, bot: LocalAccount, attacker: LocalAccount, test_artifacts: dict[str, Any]
) -> None:
    """The owner settles at a venue that turns out hostile: in the owner's own transaction, right
    after a legitimate consumeOrder, the venue calls every admin function. The venue is a caller
    like any other: each call reverts Unauthorized(venue), whoever signed the transaction."""
    a = desk.account
    f = a.contract.functions
    venue = helper(desk, test_artifacts, "MaliciousVenue")
    desk.chain.fund(a.address, E)
    desk.grant(bot, venues=[venue.address])
    signed = desk.sign(bot, venue=venue.address)
    wide = desk.default_scope(venues=[venue.address], markets=[market_limit(ANY_MARKET)])
    admin = [
        f.grantSession(attacker.address, wide.as_abi()),
        f.rotateSession(bot.address, attacker.address),
        f.revokeSession(bot.address),
        f.revokeAllSessions(),
        f.setGuardian(venue.address),
        f.unfreeze(),
        f.invalidateNonces(desk.owner.address, 0, UINT256_MAX),
        f.execute(attacker.address, E, b""),
        f.executeBatch([(attacker.address, E, b"")]),
        f.freeze(),  # the venue is not the guardian
    ]
    calls = [calldata(f.consumeOrder(signed.order.as_abi(), signed.signature)), *map(calldata, admin)]
    before = session_snapshot(a, bot.address, attacker.address)
    receipt = desk.chain.send(venue.functions.attack(a.address, calls), desk.owner)
    outcomes = attempts(venue, receipt)
    assert outcomes[0] == ("ok", ())
    assert outcomes[1:] == [("Unauthorized", (venue.address,))] * len(admin)
    after = session_snapshot(a, bot.address, attacker.address)
    assert after[:5] == before[:5] and after[6] == before[6]  # only bot's window counters moved
    assert a.session(attacker.address).status is SessionStatus.NONE


def test_reentrant_target_cannot_reenter_the_account_during_execute(
    desk: Desk, bot: LocalAccount, attacker: LocalAccount, test_artifacts: dict[str, Any]
) -> None:
    """The owner executes a call to a hostile target (with and without value, alone and in a batch).
    While execute is running, the target calls back into the account: execute, executeBatch, the admin
    functions and consumeOrder. The owner's transaction does not make the target the owner."""
    a = desk.account
    f = a.contract.functions
    target = helper(desk, test_artifacts, "ReentrantTarget")
    desk.chain.fund(a.address, 2 * E)
    desk.grant(bot)
    signed = desk.sign(bot)  # an order for the real venue
    self_named = desk.sign(bot, venue=target.address)  # an order naming the target, which bot's scope does not list
    wide = desk.default_scope(markets=[market_limit(ANY_MARKET)])
    armed: list[tuple[Any, tuple[str, tuple[object, ...]]]] = [
        (f.execute(attacker.address, E, b""), ("Unauthorized", (target.address,))),
        (f.executeBatch([(attacker.address, E, b"")]), ("Unauthorized", (target.address,))),
        (f.execute(a.address, 0, calldata(f.grantSession(attacker.address, wide.as_abi()))), ("Unauthorized", (target.address,))),
        (f.grantSession(attacker.address, wide.as_abi()), ("Unauthorized", (target.address,))),
        (f.rotateSession(bot.address, attacker.address), ("Unauthorized", (target.address,))),
        (f.revokeAllSessions(), ("Unauthorized", (target.address,))),
        (f.setGuardian(target.address), ("Unauthorized", (target.address,))),
        (f.consumeOrder(signed.order.as_abi(), signed.signature), ("CallerNotVenue", ())),
        (f.consumeOrder(self_named.order.as_abi(), self_named.signature), ("OrderRejected", (Reason.VENUE_NOT_ALLOWED,))),
    ]
    desk.chain.send(target.functions.arm([calldata(call) for call, _ in armed]), attacker)
    expected = [outcome for _, outcome in armed]
    before = session_snapshot(a, bot.address, attacker.address)
    for call in (
        f.execute(target.address, 0, b"\x12\x34\x56\x78"),
        f.execute(target.address, E // 2, b""),
        f.executeBatch([(target.address, 0, b"\x12\x34\x56\x78"), (target.address, 1, b"")]),
    ):
        receipt = desk.chain.send(call, desk.owner)
        outcomes = attempts(target, receipt)
        assert outcomes == expected * (len(outcomes) // len(expected)) and outcomes
    after = session_snapshot(a, bot.address, attacker.address)
    assert after[:6] == before[:6]  # the balance moved only by what the owner sent the target
    assert desk.chain.w3.eth.get_balance(target.address) == E // 2 + 1
    assert a.nonce_bitmap(bot.address, 0) == 0


# ---------------------------------------------------------------- initialization


INITIALIZERS = ("initialize(address)", "initialize(address,address)", "initialize(address,bytes32)", "init(address)", "setOwner(address)")


def _initializer_call(desk: Desk, target: str, signature: str, new_owner: str) -> None:
    args = bytes(12) + bytes.fromhex(new_owner[2:]) + (bytes(32) if signature.count(",") else b"")
    with pytest.raises(Exception):
        desk.chain.w3.eth.call({"to": target, "data": keccak(signature.encode())[:4] + args, "from": new_owner})


def test_implementation_cannot_be_initialized_or_used(desk: Desk, attacker: LocalAccount) -> None:
    """The bare implementation has no owner and no initializer, so nobody can take it over; and its
    owner of address(0) never matches a signature that fails to recover (a raw ecrecover's 0)."""
    implementation = desk.chain.contract("AccountFactory", desk.stack.factory).functions.accountImplementation().call()
    impl = SmartAccount(desk.chain, implementation)
    assert impl.owner() == ZERO_ADDRESS
    for signature in INITIALIZERS:
        _initializer_call(desk, implementation, signature, attacker.address)
    f = impl.contract.functions
    for call in (f.grantSession(attacker.address, desk.default_scope().as_abi()), f.setGuardian(attacker.address), f.execute(attacker.address, 0, b"")):
        assert reverted(desk.chain, call, attacker) == ("Unauthorized", (attacker.address,))
    hash32 = keccak(b"anything")
    for junk in (bytes(65), bytes(32) + (1).to_bytes(32, "big") + b"\x1b"):  # raw ecrecover returns address(0) for both
        assert is_valid_1271(impl, hash32, junk) == ERC1271_FAIL
        order = Order(attacker.address, 1, True, 1, 1, 0, 2**64)
        assert impl.is_order_authorized(order, junk).reason is Reason.BAD_SIGNATURE
    assert impl.session_keys() == []


def test_clone_cannot_be_initialized_twice(desk: Desk, attacker: LocalAccount) -> None:
    """A clone is complete when it is created: its owner is in its code. No initializer exists to
    call again, and creating the same account again returns it untouched."""
    a = desk.account
    for signature in INITIALIZERS:
        _initializer_call(desk, a.address, signature, attacker.address)
    factory = desk.chain.contract("AccountFactory", desk.stack.factory)
    again = factory.functions.createAccount(desk.owner.address, bytes(32))
    assert again.call() == a.address
    receipt = desk.chain.send(again, attacker)
    assert not factory.events.AccountCreated().process_receipt(receipt, errors=DISCARD)
    assert a.owner() == desk.owner.address
    assert factory.functions.getAddress(attacker.address, bytes(32)).call() != a.address  # the owner is part of the address


# ---------------------------------------------------------------- who may consume


def test_consume_order_from_a_non_venue_reverts(desk: Desk, bot: LocalAccount, attacker: LocalAccount) -> None:
    """Only order.venue may consume an order: not the owner, not the signing key, not a stranger, and
    not another venue of the key's scope."""
    a = desk.account
    desk.grant(bot, venues=[desk.stack.venue, OTHER_VENUE])
    signed = desk.sign(bot)
    consume = a.contract.functions.consumeOrder(signed.order.as_abi(), signed.signature)
    for caller in (desk.owner, bot, attacker, desk.relayer):
        assert reverted(desk.chain, consume, caller) == ("CallerNotVenue", ())
    elsewhere = desk.sign(bot, venue=OTHER_VENUE)  # listed in scope, but the ReferenceVenue is not OTHER_VENUE
    assert desk.settle(elsewhere).outcomes[0].reason is Reason.VENUE_CALL_FAILED
    assert a.nonce_bitmap(bot.address, 0) == 0
    assert desk.settle(signed).outcomes[0].settled


def test_venue_not_in_scope_cannot_consume_an_order_naming_it(
    desk: Desk, bot: LocalAccount, test_artifacts: dict[str, Any]
) -> None:
    """The key signs an order naming a venue its scope does not list (tricked, or stolen); that
    venue consumes it as order.venue. The scope, not the signature, decides: VenueNotAllowed."""
    a = desk.account
    venue = helper(desk, test_artifacts, "MaliciousVenue")
    desk.grant(bot)  # venues = [the ReferenceVenue]
    signed = desk.sign(bot, venue=venue.address)
    receipt = desk.chain.send(venue.functions.attack(a.address, [calldata(a.contract.functions.consumeOrder(signed.order.as_abi(), signed.signature))]), desk.relayer)
    assert attempts(venue, receipt) == [("OrderRejected", (Reason.VENUE_NOT_ALLOWED,))]
    assert desk.reason(signed) is Reason.VENUE_NOT_ALLOWED
    assert a.nonce_bitmap(bot.address, 0) == 0


# ---------------------------------------------------------------- arithmetic and boundaries


def test_notional_overflow_is_computed_at_full_precision_or_refused(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    """size * price past 2**256 must neither wrap (a tiny notional that slips under the cap) nor revert
    (isOrderAuthorized never reverts): it is computed at 512-bit precision, and a notional that does
    not fit in uint256 is NotionalCapExceeded."""
    size = price = 2**130  # size * price = 2**260
    notional = size * price // E
    assert size * price >= 2**256 and notional < 2**256
    desk.grant(bot, markets=[market_limit(ANY_MARKET)], max_notional_per_window=notional - 1)
    desk.grant(bot2, markets=[market_limit(ANY_MARKET)], max_notional_per_window=notional)
    assert desk.reason(desk.sign(bot, size=size, price=price)) is Reason.NOTIONAL_CAP_EXCEEDED
    just_enough = desk.sign(bot2, size=size, price=price)
    assert desk.reason(just_enough) is Reason.AUTHORIZED
    assert desk.settle(just_enough).outcomes[0].settled
    assert desk.account.session(bot2.address).window_notional == notional
    unlimited = named_key("unlimited bot")
    desk.grant(unlimited, markets=[market_limit(ANY_MARKET)], max_notional_per_window=UINT256_MAX)
    assert desk.reason(desk.sign(unlimited, size=UINT256_MAX, price=E)) is Reason.AUTHORIZED  # notional 2**256 - 1 exactly
    assert desk.reason(desk.sign(unlimited, size=UINT256_MAX, price=E + 1)) is Reason.NOTIONAL_CAP_EXCEEDED
    assert desk.reason(desk.sign(unlimited, size=UINT256_MAX, price=UINT256_MAX)) is Reason.NOTIONAL_CAP_EXCEEDED


def test_window_caps_reached_exactly_then_once_more(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    """The cap-th order and the notional that lands exactly on the cap settle; one more order, or one
    more unit of notional, in the same window does not (a bot cannot squeeze one past the cap)."""
    desk.grant(bot, max_orders_per_window=3, max_notional_per_window=UINT256_MAX)
    outcomes = desk.settle(*(desk.sign(bot, size=1) for _ in range(4))).outcomes
    assert [o.reason for o in outcomes] == [Reason.AUTHORIZED] * 3 + [Reason.RATE_LIMITED]
    desk.grant(bot2, max_orders_per_window=10, max_notional_per_window=300 * E)
    outcomes = desk.settle(desk.sign(bot2, size=E), desk.sign(bot2, size=E), desk.sign(bot2, size=1, price=100 * E)).outcomes
    assert [o.reason for o in outcomes] == [Reason.AUTHORIZED, Reason.AUTHORIZED, Reason.NOTIONAL_CAP_EXCEEDED]
    assert desk.account.session(bot2.address).window_notional == 300 * E  # exactly the cap, nothing charged for the refusal
    assert desk.reason(desk.sign(bot2, size=0)) is Reason.AUTHORIZED  # a notional of 0 still fits


def test_price_at_the_band_edges(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    """The band is inclusive at both ends and nothing outside it settles, down to one wei of price."""
    desk.grant(bot, max_orders_per_window=10)  # band [100e18, 200e18]
    prices = [100 * E - 1, 100 * E, 200 * E, 200 * E + 1]
    outcomes = desk.settle(*(desk.sign(bot, size=1, price=p) for p in prices)).outcomes
    assert [o.reason for o in outcomes] == [Reason.PRICE_OUT_OF_BAND, Reason.AUTHORIZED, Reason.AUTHORIZED, Reason.PRICE_OUT_OF_BAND]
    point = 150 * E  # a band of one price
    desk.grant(bot2, markets=[market_limit(MARKET, min_price=point, max_price=point)], max_orders_per_window=10)
    assert [desk.reason(desk.sign(bot2, size=1, price=p)) for p in (point - 1, point, point + 1)] == [
        Reason.PRICE_OUT_OF_BAND, Reason.AUTHORIZED, Reason.PRICE_OUT_OF_BAND]
    widest = named_key("widest bot")
    desk.grant(widest, markets=[market_limit(MARKET)], max_notional_per_window=UINT256_MAX)  # band [0, 2**256 - 1]
    assert [desk.reason(desk.sign(widest, size=1, price=p)) for p in (0, UINT256_MAX)] == [Reason.AUTHORIZED] * 2


@pytest.mark.parametrize("any_first", [True, False], ids=["ANY_MARKET listed first", "explicit entry listed first"])
def test_any_market_fallback_never_overrides_an_explicit_entry(
    desk: Desk, bot: LocalAccount, bot2: LocalAccount, any_first: bool
) -> None:
    """A market with its own entry uses that entry, stricter or looser than ANY_MARKET's, wherever
    either is listed; only markets without an entry fall back to ANY_MARKET."""
    strict_any = market_limit(ANY_MARKET, max_order_size=100 * E)
    strict_one = market_limit(MARKET, max_order_size=E, min_price=100 * E, max_price=200 * E)
    desk.grant(bot, markets=[strict_any, strict_one] if any_first else [strict_one, strict_any])
    assert desk.reason(desk.sign(bot, market=MARKET, size=2 * E)) is Reason.ORDER_TOO_LARGE  # ANY would allow it
    assert desk.reason(desk.sign(bot, market=MARKET, price=300 * E)) is Reason.PRICE_OUT_OF_BAND  # so would ANY's band
    assert desk.reason(desk.sign(bot, market=MARKET, size=E)) is Reason.AUTHORIZED
    assert desk.reason(desk.sign(bot, market=7, size=2 * E, price=300 * E)) is Reason.AUTHORIZED  # falls back
    assert desk.reason(desk.sign(bot, market=ANY_MARKET, size=2 * E)) is Reason.AUTHORIZED  # ANY_MARKET's own entry
    tight_any = market_limit(ANY_MARKET, max_order_size=E)
    loose_one = market_limit(MARKET, max_order_size=100 * E)
    desk.grant(bot2, markets=[tight_any, loose_one] if any_first else [loose_one, tight_any])
    assert desk.reason(desk.sign(bot2, market=MARKET, size=2 * E)) is Reason.AUTHORIZED
    assert desk.reason(desk.sign(bot2, market=7, size=2 * E)) is Reason.ORDER_TOO_LARGE
    only_one = named_key("one-market bot")
    desk.grant(only_one, markets=[strict_one])
    assert desk.reason(desk.sign(only_one, market=7, size=1)) is Reason.MARKET_NOT_ALLOWED
