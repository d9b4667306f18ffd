"""Drive EntryPoint v0.8 as a bundler: nonces, fees, gas estimation, `handleOps`, decoded outcomes.

Gas estimation simulates the two metered phases against the node's current state, with plain
`eth_estimateGas` calls made from the EntryPoint's address (no simulation contract, no state
override, so any node works):

- callGasLimit: the account executing `callData`, less the intrinsic gas of that probe transaction,
  plus 10% and 5,000 gas, the headroom capped at 40,000 so it never triggers the EntryPoint's
  10% penalty on unused execution gas (charged only above 40,000 unused).
- verificationGasLimit: `validateUserOp` of the same operation signed by the same key (so it takes
  the same path: owner, or session key with its scope checks and budget charge), less the intrinsic
  gas, plus 10%, plus what the EntryPoint itself meters in that phase, measured on v0.8:
  `ENTRY_POINT_VALIDATION_OVERHEAD` (hashing, the cold call to the account, the prefund payment,
  deposit and nonce writes), `FRESH_SLOT_WRITE` for a nonce lane or a deposit used the first time,
  and `DELEGATE_COLD_ACCESS` for an EIP-7702 delegated sender.
- preVerificationGas: the op's calldata in a single-op bundle, the transaction's 21,000 base and
  `UNMETERED_PER_OP` for the EntryPoint work no limit meters (events, compensation), calibrated so
  the bundler of a one-op bundle is paid at least what its transaction cost.

A session key's maxGasFee is charged the maximum cost `(verification + call + preVerification) *
maxFeePerGas`, so tight limits matter: measured, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final, Sequence, cast

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from aa_auth.chain.artifacts import decode_revert
from aa_auth.chain.connection import Chain
from aa_auth.contracts.eip7702 import delegate_of
from aa_auth.erc4337.userops import (
    OWNER_NONCE_KEY,
    GasFees,
    GasLimits,
    PackedUserOperation,
    is_eip7702_init_code,
    session_nonce_key,
    sign_user_op,
    user_op_hash,
    user_operation,
)
from aa_auth.errors import ChainError, ContractRevert, InvalidInput
from aa_auth.protocol.signatures import SigningKey
from aa_auth.protocol.values import check_address

__all__ = [
    "BundleOutcome",
    "DEFAULT_PRIORITY_FEE",
    "DELEGATE_COLD_ACCESS",
    "ENTRY_POINT_VALIDATION_OVERHEAD",
    "EntryPoint",
    "FRESH_SLOT_WRITE",
    "FailedOpError",
    "UNMETERED_PER_OP",
    "UserOpOutcome",
    "pre_verification_gas",
]

DEFAULT_PRIORITY_FEE: Final = 10**9  # 1 gwei
# Measured on EntryPoint v0.8 (tests/integration/test_userops.py pins them as sufficient and tight):
# the validation phase outside the account's own code, with a prefund payment, is 26,353 gas once
# the nonce lane and the deposit exist; each of those slots costs 17,100 more on its first write.
ENTRY_POINT_VALIDATION_OVERHEAD: Final = 27_000
FRESH_SLOT_WRITE: Final = 17_100  # 22,100 (cold, zero to non-zero) - 5,000 (cold, non-zero)
# The EntryPoint's call to an EIP-7702 delegated sender also loads the delegate's code, a cold account
# access the probe (a transaction straight to the EOA, whose delegate the node warms) never pays.
DELEGATE_COLD_ACCESS: Final = 2_600
# What the EntryPoint spends on an op beyond every limit (UserOperationEvent, compensation):
# with this, the bundler of a one-op bundle is paid about 2,000 gas more than its transaction costs.
UNMETERED_PER_OP: Final = 20_000
_TX_BASE: Final = 21_000
_PROBE_VERIFICATION_GAS: Final = 1_000_000
_CALL_HEADROOM_CAP: Final = 40_000  # the EntryPoint's PENALTY_GAS_THRESHOLD
_PACKED_OP_ABI: Final = "(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)"
_DUMMY_SIGNATURE: Final = b"\xff" * 65  # all non-zero: the dearest 65 bytes of calldata
_DUMMY_PRE_VERIFICATION_GAS: Final = 0xFFFFFF  # as many non-zero bytes as any real value


class FailedOpError(ContractRevert):
    """handleOps refused an operation in validation (EntryPoint `FailedOp` / `FailedOpWithRevert`).

    `code` is the EntryPoint's AAxx code: AA24 when the account refused (SIG_VALIDATION_FAILED: bad
    signature, or a session key acting outside its scope, lane, budget or status), AA22 when the
    session's validity window does not contain the block's time, AA25 for a wrong nonce.
    """

    @property
    def op_index(self) -> int:
        return cast(int, self.error_args[0])

    @property
    def reason(self) -> str:
        return str(self.error_args[1])

    @property
    def code(self) -> str:
        """'AA24' for 'AA24 signature error'."""
        return self.reason.split(" ", 1)[0]

    @property
    def inner(self) -> ContractRevert | None:
        """The account's or paymaster's own revert, for FailedOpWithRevert."""
        if self.error_name != "FailedOpWithRevert":
            return None
        return decode_revert(cast(bytes, self.error_args[2]))

    def __str__(self) -> str:
        inner = f": {self.inner}" if self.inner is not None else ""
        return f"user operation {self.op_index} refused by the EntryPoint: {self.reason}{inner}"


def _named_failure(exc: ContractRevert) -> ContractRevert:
    if exc.error_name in ("FailedOp", "FailedOpWithRevert"):
        return FailedOpError(exc.error_name, exc.error_args, exc.data)
    return exc


@dataclass(frozen=True)
class UserOpOutcome:
    """One operation of a mined bundle, from its UserOperationEvent (and revert events)."""

    user_op_hash: bytes
    sender: str
    nonce: int
    success: bool
    actual_gas_cost: int
    actual_gas_used: int
    revert: ContractRevert | None  # UserOperationRevertReason, decoded
    prefund_too_low: bool = False

    @property
    def call_revert(self) -> ContractRevert | None:
        """The reverting call's own error when the account wrapped it in CallFailed(index, returnData)."""
        if self.revert is None or self.revert.error_name != "CallFailed":
            return self.revert
        return decode_revert(cast(bytes, self.revert.error_args[1]))


@dataclass(frozen=True)
class BundleOutcome:
    """A mined handleOps transaction."""

    transaction_hash: bytes
    block_number: int
    gas_used: int
    ops: tuple[UserOpOutcome, ...]


def _intrinsic_gas(data: bytes) -> int:
    zeros = data.count(0)
    return _TX_BASE + 4 * zeros + 16 * (len(data) - zeros)


def pre_verification_gas(op: PackedUserOperation) -> int:
    """The share of a one-op bundle's transaction that no gas limit meters (see the module doc).

    It depends on the op's other fields (its gas limits included), not on its signature or itself.
    """
    stand_in = replace(op, pre_verification_gas=_DUMMY_PRE_VERIFICATION_GAS, signature=_DUMMY_SIGNATURE)
    encoded = abi_encode([_PACKED_OP_ABI], [stand_in.as_abi()])
    return _intrinsic_gas(encoded) + UNMETERED_PER_OP


class EntryPoint:
    """An EntryPoint v0.8 at `address` on `chain`."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = check_address("entry point", address)
        if not chain.has_code(self.address):
            raise InvalidInput(f"no contract at EntryPoint address {self.address} on chain {chain.chain_id}")
        self.contract = chain.contract("EntryPoint", self.address)
        self.chain_id = chain.chain_id

    @classmethod
    def deploy(cls, chain: Chain, deployer: LocalAccount) -> EntryPoint:
        """Deploy EntryPoint v0.8 from the artifact @account-abstraction/contracts ships (a fresh local chain)."""
        address, _ = chain.deploy("EntryPoint", deployer)
        return cls(chain, address)

    def __repr__(self) -> str:
        return f"EntryPoint({self.address})"

    # ------------------------------------------------------------ reads

    def user_op_hash(self, op: PackedUserOperation) -> bytes:
        """The hash the EntryPoint computes now: with an EIP-7702 initCode, over the sender's current delegate."""
        return user_op_hash(op, self.chain_id, self.address, self.delegate_for(op))

    def delegate_for(self, op: PackedUserOperation) -> str | None:
        """The sender's EIP-7702 delegate when `op` carries the 0x7702 initCode (else None: not read)."""
        if not is_eip7702_init_code(op.init_code):
            return None
        found = self._sender_delegate(op.sender)
        if found is None:
            raise InvalidInput(f"{op.sender} is not delegated by EIP-7702 (its code is no designator): "
                               "the 0x7702 initCode is only for delegated EOAs")
        return found

    def _sender_delegate(self, sender: str) -> str | None:
        """The sender's EIP-7702 delegate, read from its code (None: not a delegated EOA)."""
        return delegate_of(bytes(self.chain.w3.eth.get_code(check_address("sender", sender))))

    def check_user_op_hash(self, op: PackedUserOperation) -> bytes:
        """The local userOpHash, after checking it equals the contract's `getUserOpHash`."""
        local = self.user_op_hash(op)
        remote = bytes(self.chain.call(self.contract.functions.getUserOpHash(op.as_abi())))
        if remote != local:
            raise ChainError(
                f"getUserOpHash at {self.address} is 0x{remote.hex()}, aa-auth computes 0x{local.hex()}: "
                "is this an EntryPoint v0.8?"
            )
        return local

    def nonce(self, sender: str, key: int = OWNER_NONCE_KEY) -> int:
        """The next nonce of `sender`'s lane `key` (sequence in the low 64 bits)."""
        return int(self.chain.call(self.contract.functions.getNonce(check_address("sender", sender), key)))

    def deposit(self, account: str) -> int:
        return int(self.chain.call(self.contract.functions.balanceOf(check_address("account", account))))

    def suggest_fees(self, priority_fee: int = DEFAULT_PRIORITY_FEE) -> GasFees:
        """Twice the latest base fee plus the tip: the operation stays valid through a few fuller blocks."""
        base_fee = int(self.chain.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        return GasFees(priority_fee, 2 * base_fee + priority_fee)

    # ------------------------------------------------------------ building

    def prepare(
        self,
        account: str,
        call_data: bytes,
        signer: SigningKey | bytes | str,
        *,
        nonce: int | None = None,
        nonce_key: int | None = None,
        gas: GasLimits | None = None,
        fees: GasFees | None = None,
        paymaster_and_data: bytes = b"",
        init_code: bytes = b"",
    ) -> PackedUserOperation:
        """A signed operation ready for `handle_ops`.

        Defaults: the owner uses lane 0 and a session key its own lane (SPEC section 6), at the next
        sequence; fees from `suggest_fees`; gas estimated as described in the module doc.
        `init_code`: EIP7702_INIT_CODE for a delegated EOA binds the signature to its current delegate.
        """
        key = signer if isinstance(signer, SigningKey) else SigningKey(signer)
        account = check_address("account", account)
        if nonce is None:
            if nonce_key is None:
                is_owner = key.address == self.chain.call(self.chain.contract("SessionAccount", account).functions.owner())
                nonce_key = OWNER_NONCE_KEY if is_owner else session_nonce_key(key.address)
            nonce = self.nonce(account, nonce_key)
        draft = user_operation(
            account, nonce, call_data, GasLimits(0, 0, 0), fees or self.suggest_fees(), paymaster_and_data=paymaster_and_data,
            init_code=init_code,
        )
        op = draft.with_gas(gas or self.estimate_gas(draft, key))
        signed = sign_user_op(op, key, self.chain_id, self.address, self.delegate_for(op))
        self.check_user_op_hash(signed)
        return signed

    def estimate_gas(self, draft: PackedUserOperation, signer: SigningKey | None) -> GasLimits:
        """Gas limits for `draft` when signed by `signer` (see the module doc for the method).

        `signer` None: validate `draft` with the signature it carries (a stub signature, as a
        bundler does; the account then has to cost what the real signature costs).
        """
        call_gas = self._execution_gas(draft)
        probe = draft.with_gas(GasLimits(_PROBE_VERIFICATION_GAS, call_gas, 0)).with_signature(draft.signature)
        verification = self._validation_gas(probe, signer) * 11 // 10 + ENTRY_POINT_VALIDATION_OVERHEAD
        if draft.nonce_sequence == 0:
            verification += FRESH_SLOT_WRITE  # first operation on this nonce lane
        if not draft.paymaster_and_data and self.deposit(draft.sender) == 0:
            verification += FRESH_SLOT_WRITE  # first prefund into the account's deposit
        if self._sender_delegate(draft.sender) is not None:
            verification += DELEGATE_COLD_ACCESS
        return GasLimits(verification, call_gas, pre_verification_gas(draft.with_gas(GasLimits(verification, call_gas, 0))))

    def _execution_gas(self, draft: PackedUserOperation) -> int:
        if not draft.call_data:
            return 0  # the EntryPoint skips the call
        used = self._probe({"to": draft.sender, "data": draft.call_data}, "the operation's callData reverts when executed")
        headroom = min(used // 10 + 5_000, _CALL_HEADROOM_CAP)
        return used + headroom

    def _validation_gas(self, probe: PackedUserOperation, signer: SigningKey | None) -> int:
        # Fees of 1 wei keep a session key's budget charge tiny but non-zero: the probe stays within
        # the budget and writes the budget slot as the real operation will.
        cheap = user_operation(
            probe.sender, probe.nonce, probe.call_data, probe.gas, GasFees(1, 1),
            init_code=probe.init_code, paymaster_and_data=probe.paymaster_and_data,
        )
        signed = cheap.with_signature(probe.signature) if signer is None else sign_user_op(
            cheap, signer, self.chain_id, self.address, self.delegate_for(cheap))
        # No prefund here: the account ignores a failed payment (the EntryPoint checks it, AA21), so a
        # payment would never make this estimate grow; ENTRY_POINT_VALIDATION_OVERHEAD counts it instead.
        account = self.chain.contract("SessionAccount", probe.sender)
        data = account.encode_abi("validateUserOp", args=[signed.as_abi(), self.user_op_hash(signed), 0])
        return self._probe({"to": probe.sender, "data": bytes.fromhex(data[2:])}, "validateUserOp reverts")

    def _probe(self, tx: dict[str, Any], what: str) -> int:
        """Gas `tx` uses when the EntryPoint sends it, less its intrinsic gas (an upper bound: eth-tester
        stops its search within the intrinsic gas of the minimum, real nodes are exact)."""
        try:
            estimate = self.chain.w3.eth.estimate_gas({"from": self.address, "gasPrice": 0, **tx})  # type: ignore[typeddict-item]
        except Exception as exc:
            error = Chain.named_error(exc)
            error.add_note(f"{what}; pass gas=GasLimits(...) to submit it anyway")
            raise error from None
        return max(0, int(estimate) - _intrinsic_gas(tx["data"]))

    # ------------------------------------------------------------ submitting

    def handle_ops(
        self, ops: Sequence[PackedUserOperation], bundler: LocalAccount, beneficiary: str | None = None
    ) -> BundleOutcome:
        """Send `handleOps(ops, beneficiary)` from `bundler` (beneficiary: the bundler by default).

        A refusal in validation reverts the whole bundle and raises FailedOpError naming the op and
        its AAxx code; a revert in execution is reported per op in the outcome.
        """
        if not ops:
            raise InvalidInput("handle_ops needs at least one user operation")
        payee = check_address("beneficiary", beneficiary or bundler.address)
        fn = self.contract.functions.handleOps([op.as_abi() for op in ops], payee)
        try:
            receipt = self.chain.send(fn, bundler)
        except ContractRevert as exc:
            raise _named_failure(exc) from None
        return self._outcome(receipt)

    def _outcome(self, receipt: TxReceipt) -> BundleOutcome:
        events = {
            name: self.contract.events[name]()
            for name in ("UserOperationEvent", "UserOperationRevertReason", "UserOperationPrefundTooLow")
        }
        by_topic = {bytes.fromhex(e.topic[2:]): (name, e) for name, e in events.items()}
        reverts: dict[bytes, ContractRevert] = {}
        too_low: set[bytes] = set()
        ops = []
        # The EntryPoint emits an op's revert events before its UserOperationEvent.
        for log in receipt["logs"]:
            found = by_topic.get(bytes(log["topics"][0])) if log["address"] == self.address else None
            if found is None:
                continue
            name, event = found
            args = event.process_log(log)["args"]
            op_hash = bytes(args["userOpHash"])
            if name == "UserOperationRevertReason":
                reverts[op_hash] = decode_revert(bytes(args["revertReason"]))
            elif name == "UserOperationPrefundTooLow":
                too_low.add(op_hash)
            else:
                ops.append(
                    UserOpOutcome(
                        user_op_hash=op_hash,
                        sender=str(args["sender"]),
                        nonce=int(args["nonce"]),
                        success=bool(args["success"]),
                        actual_gas_cost=int(args["actualGasCost"]),
                        actual_gas_used=int(args["actualGasUsed"]),
                        revert=reverts.get(op_hash),
                        prefund_too_low=op_hash in too_low,
                    )
                )
        return BundleOutcome(
            transaction_hash=bytes(receipt["transactionHash"]),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            ops=tuple(ops),
        )
