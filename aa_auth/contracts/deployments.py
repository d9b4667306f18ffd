"""Deterministic deployment of the aa-auth stack through the standard CREATE2 deployer, and its records.

Every contract lands at `keccak256(0xff ++ deployer ++ salt ++ keccak256(initCode))[12:]`, so one
version of aa-auth has the same addresses on every chain:

- the deployer is Arachnid's deterministic-deployment-proxy at 0x4e59b448…4956C, itself installed on
  a chain that lacks it by a pre-signed, chain-id-free (pre-EIP-155) transaction from a one-time
  signer whose key nobody knows;
- EntryPoint v0.8 is the npm artifact deployed with eth-infinitism's salt, which lands on the
  canonical 0x4337084D…Ff108 (an existing EntryPoint may be named instead);
- AccountFactory(entryPoint), ReferenceVenue and SessionAccount7702(entryPoint) (the implementation
  EOAs delegate to, SPEC 13) use `STACK_SALT`.

A rerun skips whatever already has the expected runtime code (compared by code hash) and says so.
Records go to `<records_dir>/<chainId>.json`, written atomically after each confirmed deployment
and never for the embedded chain.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rlp
from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.types import TxReceipt

from aa_auth.chain.artifacts import artifact
from aa_auth.chain.connection import Chain
from aa_auth.chain.transactions import FeePolicy, TxSender
from aa_auth.contracts.stack import Stack
from aa_auth.errors import ChainError, InvalidInput, TransactionError
from aa_auth.protocol.values import check_address

__all__ = [
    "CREATE2_DEPLOYER",
    "CREATE2_DEPLOYER_CODE_HASH",
    "CREATE2_DEPLOYER_FUNDING",
    "CREATE2_DEPLOYER_SIGNER",
    "CREATE2_DEPLOYER_TX",
    "ENTRY_POINT_SALT",
    "ENTRY_POINT_V08",
    "STACK_SALT",
    "DeploymentResult",
    "Step",
    "create2_address",
    "create_address",
    "deploy_deterministic",
    "expected_runtime",
    "find_stack",
    "init_code",
    "predicted_stack",
    "records_path",
]

# Arachnid/deterministic-deployment-proxy: the one-time signer's pre-signed contract creation
# (nonce 0, gasPrice 100 gwei, gas 100,000, v = 27, r = s = 0x2222…). Recovering the signer from
# it gives CREATE2_DEPLOYER_SIGNER, whose nonce-0 CREATE address is CREATE2_DEPLOYER (a unit test
# recomputes both) and whose runtime code hashes to CREATE2_DEPLOYER_CODE_HASH.
CREATE2_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C"
CREATE2_DEPLOYER_SIGNER = "0x3fAB184622Dc19b6109349B94811493BF2a45362"
CREATE2_DEPLOYER_TX = bytes.fromhex(
    "f8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039"
    "578182fd5b8082525050506014600cf31ba0222222222222222222222222222222222222222222222222"
    "2222222222222222a02222222222222222222222222222222222222222222222222222222222222222"
)
CREATE2_DEPLOYER_CODE_HASH = bytes.fromhex("2fa86add0aed31f33a762c9d88e807c475bd51d0f52bd0955754b2608f7e4989")
CREATE2_DEPLOYER_FUNDING = 100 * 10**9 * 100_000  # the pre-signed gasPrice x gas: 0.01 ETH
_DEPLOYER_GAS_PRICE = 100 * 10**9

ENTRY_POINT_V08 = "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108"
# The salt of eth-infinitism's deployment scripts (hardhat.config SALT); with the npm artifact's
# bytecode it gives ENTRY_POINT_V08 (a unit test pins this).
ENTRY_POINT_SALT = bytes.fromhex("0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9")
STACK_SALT = bytes(32)
_CHAIN_SPECIFIC = ("EntryPoint", "SessionAccount7702")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# ------------------------------------------------------------------ addresses and code (pure)


def create2_address(salt: bytes, code: bytes, deployer: str = CREATE2_DEPLOYER) -> str:
    """The CREATE2 address of init code `code` with `salt` from `deployer`."""
    raw = keccak(b"\xff" + bytes.fromhex(deployer[2:]) + salt + keccak(code))[12:]
    return to_checksum_address(raw)


def create_address(sender: str, nonce: int) -> str:
    """The CREATE address of `sender`'s `nonce`-th creation (contracts start at nonce 1)."""
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])


def init_code(name: str, *args: str) -> bytes:
    """The artifact's creation code followed by its ABI-encoded constructor arguments (addresses only)."""
    code = bytes.fromhex(artifact(name)["bytecode"][2:])
    return code + abi_encode(["address"] * len(args), list(args))


def _immutable_slots(runtime: bytes) -> list[int]:
    """Offsets of the zero-filled PUSH32 immediates solc leaves for immutables in deployedBytecode.

    The walk follows opcodes, skipping push data, so only real PUSH32 immediates count; the
    optimizer never pushes a literal zero with PUSH32, so each one is an immutable's placeholder.
    """
    slots, i = [], 0
    while i < len(runtime):
        op = runtime[i]
        if 0x60 <= op <= 0x7F:
            if op == 0x7F and runtime[i + 1 : i + 33] == bytes(32):
                slots.append(i + 1)
            i += op - 0x5F
        i += 1
    return slots


def expected_runtime(name: str, address: str) -> bytes | None:
    """The exact runtime code `name` has when deployed at `address`; None for chain-specific code.

    ReferenceVenue has no immutables. AccountFactory has one, the implementation it creates in its
    constructor, which is the factory's first CREATE. The EntryPoint's immutables include its
    chain's EIP-712 domain, and SessionAccount7702 has two address immutables (its EntryPoint and its
    own address) in slots the artifact does not tell apart: each is identified by its CREATE2
    address instead (which commits to its init code; neither can self-destruct) and the record's code hash.
    """
    if name in _CHAIN_SPECIFIC:
        return None
    runtime = bytearray(bytes.fromhex(artifact(name)["deployedBytecode"][2:]))
    slots = _immutable_slots(bytes(runtime))
    if name == "AccountFactory":
        if not slots:
            raise InvalidInput("the AccountFactory artifact has no immutable placeholder for its implementation")
        word = bytes(12) + bytes.fromhex(create_address(address, 1)[2:])
        for slot in slots:
            runtime[slot : slot + 32] = word
    elif slots:
        raise InvalidInput(f"the {name} artifact has immutables this deployer cannot predict")
    return bytes(runtime)


def compiler_version(name: str) -> str:
    """The artifact's solc version, else the one in the bytecode's CBOR metadata (npm EntryPoint)."""
    data = artifact(name)
    if "compiler" in data:
        return str(data["compiler"]["version"])
    code = bytes.fromhex(data["deployedBytecode"][2:])
    marker = code.rfind(b"dsolcC")  # CBOR: text "solc", then a 3-byte string (major, minor, patch)
    if marker < 0:
        return "unknown"
    major, minor, patch = code[marker + 6 : marker + 9]
    return f"{major}.{minor}.{patch}"


def predicted_stack(entry_point: str = ENTRY_POINT_V08) -> Stack:
    """Where `deploy_deterministic` puts the factory and venue for `entry_point` on any chain."""
    entry_point = check_address("entry point", entry_point)
    return Stack(
        entry_point=entry_point,
        factory=create2_address(STACK_SALT, init_code("AccountFactory", entry_point)),
        venue=create2_address(STACK_SALT, init_code("ReferenceVenue")),
        implementation_7702=create2_address(STACK_SALT, init_code("SessionAccount7702", entry_point)),
    )


# ------------------------------------------------------------------ records


def records_path(records_dir: Path, chain_id: int) -> Path:
    return records_dir / f"{chain_id}.json"


def load_records(records_dir: Path, chain_id: int) -> dict[str, Any]:
    """The record file of `chain_id`, or an empty one; refuses a file written for another chain."""
    path = records_path(records_dir, chain_id)
    if not path.exists():
        return {"chainId": chain_id, "contracts": {}}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read deployment records {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("chainId") != chain_id or not isinstance(data.get("contracts"), dict):
        raise InvalidInput(f"{path} is not a deployment record for chain {chain_id}")
    return data


def _write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ running


@dataclass(frozen=True)
class Step:
    """One thing a deployment did or, in a dry run, would do."""

    action: str  # install | deploy | present, or would-install | would-deploy in a dry run
    name: str
    address: str
    gas: int | None = None  # used; in a dry run, the estimate with headroom (the gas limit sent)
    fee_per_gas: int | None = None  # paid; in a dry run, the maxFeePerGas that would be sent
    cost_wei: int | None = None  # what the sender paid; in a dry run, the most it could cost
    tx_hash: str | None = None
    block_number: int | None = None
    code_hash: str | None = None


@dataclass(frozen=True)
class DeploymentResult:
    chain_id: int
    block_number: int
    stack: Stack
    steps: tuple[Step, ...]
    records: Path | None
    dry_run: bool
    sender: str
    balance_wei: int

    @property
    def cost_wei(self) -> int:
        """What the run paid; for a dry run, the most it could cost."""
        return sum(step.cost_wei or 0 for step in self.steps)


class _Deployment:
    """One run of `deploy_deterministic`: the chain, who pays, the fee policy, and the records."""

    def __init__(self, chain: Chain, sender: LocalAccount | str, policy: FeePolicy, dry_run: bool,
                 records_dir: Path | None, progress: Progress) -> None:
        if isinstance(sender, str) and not dry_run:
            raise InvalidInput("a deployment that sends transactions needs the sender's key, not only its address")
        signer = None if isinstance(sender, str) else sender
        address = check_address("sender", sender) if isinstance(sender, str) else sender.address
        self.chain, self.w3, self.dry_run, self.progress = chain, chain.w3, dry_run, progress
        self.tx = TxSender(chain, signer, address, policy, progress)
        self.sender, self.chain_id = address, chain.chain_id
        self.records_file = None if chain.embedded or records_dir is None else records_path(records_dir, self.chain_id)
        self.records = load_records(records_dir, self.chain_id) if self.records_file and records_dir else None
        self.steps: list[Step] = []

    def code_hash(self, address: str) -> bytes | None:
        code = bytes(self.w3.eth.get_code(address))  # type: ignore[arg-type]
        return keccak(code) if code else None

    # -- steps

    def ensure_deployer(self) -> bool:
        """Check or install the CREATE2 deployer; False when a dry run finds it missing."""
        present = self.code_hash(CREATE2_DEPLOYER)
        if present == CREATE2_DEPLOYER_CODE_HASH:
            self.progress(f"CREATE2 deployer present at {CREATE2_DEPLOYER}")
            return True
        if present is not None:
            raise ChainError(f"the code at {CREATE2_DEPLOYER} on chain {self.chain_id} is not the standard CREATE2 deployer")
        if self.w3.eth.get_transaction_count(to_checksum_address(CREATE2_DEPLOYER_SIGNER)) != 0:
            raise ChainError(f"chain {self.chain_id} lacks the CREATE2 deployer and its one-time signer "
                             f"{CREATE2_DEPLOYER_SIGNER} has already sent a transaction; it cannot be installed here")
        base = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        if base > _DEPLOYER_GAS_PRICE:
            raise ChainError(f"base fee {base} wei is above the pre-signed deployer transaction's 100 gwei; retry when fees fall")
        signer_balance = int(self.w3.eth.get_balance(to_checksum_address(CREATE2_DEPLOYER_SIGNER)))
        shortfall = max(0, CREATE2_DEPLOYER_FUNDING - signer_balance)
        if self.dry_run:
            cap, _ = self.tx.fees()
            cost = shortfall + (21_000 * cap if shortfall else 0)  # the top-up, and the transfer carrying it
            self.steps.append(Step("would-install", "CREATE2Deployer", CREATE2_DEPLOYER, fee_per_gas=_DEPLOYER_GAS_PRICE,
                                   cost_wei=cost))
            self.progress(f"would fund {CREATE2_DEPLOYER_SIGNER} with {shortfall} wei and install the CREATE2 deployer")
            return False
        cost = 0
        if shortfall:
            funding = self.tx.send({"to": CREATE2_DEPLOYER_SIGNER, "value": shortfall}, "funding the CREATE2 deployer's signer")
            cost = shortfall + int(funding["effectiveGasPrice"]) * funding["gasUsed"]
        try:
            receipt = self.tx.broadcast(CREATE2_DEPLOYER_TX, "installing the CREATE2 deployer")
        except Exception as exc:
            raise TransactionError(f"installing the CREATE2 deployer failed: {exc} (the node must accept "
                                   "pre-EIP-155 transactions, e.g. geth --rpc.allow-unprotected-txs)") from None
        if self.code_hash(CREATE2_DEPLOYER) != CREATE2_DEPLOYER_CODE_HASH:
            raise ChainError(f"installing the CREATE2 deployer left unexpected code at {CREATE2_DEPLOYER}")
        self.steps.append(Step("install", "CREATE2Deployer", CREATE2_DEPLOYER, gas=receipt["gasUsed"],
                               fee_per_gas=_DEPLOYER_GAS_PRICE, cost_wei=cost,
                               tx_hash=receipt["transactionHash"].to_0x_hex(), block_number=receipt["blockNumber"],
                               code_hash="0x" + CREATE2_DEPLOYER_CODE_HASH.hex()))
        return True

    def deploy(self, name: str, salt: bytes, args: tuple[str, ...], deployer_ready: bool) -> None:
        code = init_code(name, *args)
        address = create2_address(salt, code)
        expected = expected_runtime(name, address)
        expected_hash = None if expected is None else keccak(expected)
        how = "code hash matches the artifact"
        if expected_hash is None and self.records is not None:  # chain-specific code: the record holds its hash
            recorded = self.records["contracts"].get(name, {})
            if recorded.get("address") == address and recorded.get("codeHash"):
                expected_hash, how = bytes.fromhex(recorded["codeHash"][2:]), "code hash matches the record"
        present = self.code_hash(address)
        if present is not None:
            if expected_hash is not None and present != expected_hash:
                raise ChainError(f"{name}: the code at {address} on chain {self.chain_id} is not the expected one "
                                 f"(code hash 0x{present.hex()}, expected 0x{expected_hash.hex()})")
            if expected_hash is None:
                how = "its CREATE2 address commits to the artifact's init code"
            self.progress(f"{name}: already deployed at {address} ({how}), skipping")
            self.steps.append(Step("present", name, address, code_hash="0x" + present.hex()))
            self.record(name, address, salt, code, args, present, None)
            return
        data = salt + code
        if self.dry_run:
            cap, _ = self.tx.fees()
            if deployer_ready:
                gas = self.tx.estimate({"to": CREATE2_DEPLOYER, "data": data})
            else:  # no deployer yet: a plain creation of the same code, plus CREATE2's hashing and the salt
                gas = self.tx.estimate({"data": code}) + 6 * ((len(code) + 31) // 32) + 16 * 32
            self.steps.append(Step("would-deploy", name, address, gas=gas, fee_per_gas=cap, cost_wei=gas * cap,
                                   code_hash=None if expected is None else "0x" + keccak(expected).hex()))
            self.progress(f"{name}: would deploy at {address} (gas {gas:,}, up to {gas * cap} wei)")
            return
        self.progress(f"{name}: deploying at {address}")
        receipt = self.tx.send({"to": CREATE2_DEPLOYER, "data": data, "value": 0}, f"deploying {name}")
        actual = self.code_hash(address)
        if actual is None or (expected is not None and actual != keccak(expected)):
            raise ChainError(f"{name}: transaction {receipt['transactionHash'].to_0x_hex()} left no matching code at {address}")
        paid = int(receipt["effectiveGasPrice"])
        self.steps.append(Step("deploy", name, address, gas=receipt["gasUsed"], fee_per_gas=paid,
                               cost_wei=paid * receipt["gasUsed"], tx_hash=receipt["transactionHash"].to_0x_hex(), block_number=receipt["blockNumber"],
                               code_hash="0x" + actual.hex()))
        self.record(name, address, salt, code, args, actual, receipt)

    def record(self, name: str, address: str, salt: bytes, code: bytes, args: tuple[str, ...],
               code_hash: bytes, receipt: TxReceipt | None) -> None:
        """Add `name` to the records and rewrite them; an existing entry for the same code stays."""
        if self.records is None or self.records_file is None:
            return
        old = self.records["contracts"].get(name)
        if receipt is None and old and old.get("address") == address and old.get("codeHash") == "0x" + code_hash.hex():
            return
        self.records["contracts"][name] = {
            "name": name,
            "address": address,
            "transactionHash": None if receipt is None else receipt["transactionHash"].to_0x_hex(),
            "blockNumber": None if receipt is None else receipt["blockNumber"],
            "compilerVersion": compiler_version(name),
            "codeHash": "0x" + code_hash.hex(),
            "deployer": CREATE2_DEPLOYER,
            "salt": "0x" + salt.hex(),
            "initCodeHash": "0x" + keccak(code).hex(),
            "constructorArgs": list(args),
        }
        _write_atomically(self.records_file, self.records)


def deploy_deterministic(
    chain: Chain,
    sender: LocalAccount | str,
    *,
    entry_point: str | None = None,
    policy: FeePolicy = FeePolicy(),
    dry_run: bool = False,
    records_dir: Path | None = Path("deployments"),
    progress: Progress = _quiet,
) -> DeploymentResult:
    """Deploy (or, with `dry_run`, plan) the deterministic stack; `sender` pays.

    `entry_point`: an existing EntryPoint to use; by default the canonical v0.8, deployed at its
    canonical address when missing. A dry run needs only the sender's address and sends nothing.
    """
    run = _Deployment(chain, sender, policy, dry_run, records_dir, progress)
    ready = run.ensure_deployer()
    if entry_point is None:
        if create2_address(ENTRY_POINT_SALT, init_code("EntryPoint")) != ENTRY_POINT_V08:
            raise InvalidInput("the shipped EntryPoint artifact is not the canonical v0.8 build")
        run.deploy("EntryPoint", ENTRY_POINT_SALT, (), ready)
        entry_point = ENTRY_POINT_V08
    else:
        entry_point = _check_entry_point(chain, entry_point)
    run.deploy("AccountFactory", STACK_SALT, (entry_point,), ready)
    run.deploy("ReferenceVenue", STACK_SALT, (), ready)
    run.deploy("SessionAccount7702", STACK_SALT, (entry_point,), ready)
    steps = tuple(run.steps)
    return DeploymentResult(
        chain_id=run.chain_id,
        block_number=int(chain.w3.eth.block_number),
        stack=predicted_stack(entry_point),
        steps=steps,
        records=None if dry_run else run.records_file,
        dry_run=dry_run,
        sender=run.sender,
        balance_wei=int(chain.w3.eth.get_balance(run.sender)),
    )


def _check_entry_point(chain: Chain, address: str) -> str:
    """An existing EntryPoint v0.8: code, and the EIP-712 domain ("ERC4337", "1") v0.8 signs under."""
    address = check_address("entry point", address)
    if not chain.has_code(address):
        raise InvalidInput(f"no contract at EntryPoint address {address} on chain {chain.chain_id}")
    try:
        domain = chain.contract("EntryPoint", address).functions.eip712Domain().call()
    except Exception:
        domain = None
    if not domain or tuple(domain[1:3]) != ("ERC4337", "1"):
        raise InvalidInput(f"{address} on chain {chain.chain_id} does not answer as an EntryPoint v0.8")
    return address


def find_stack(chain: Chain, records_dir: Path | None = Path("deployments"), *,
               factory: str | None = None, venue: str | None = None) -> Stack:
    """The stack on `chain`: explicit addresses, else the records, else the deterministic addresses."""
    records = {} if records_dir is None or chain.embedded else load_records(records_dir, chain.chain_id)["contracts"]
    predicted = predicted_stack(records.get("EntryPoint", {}).get("address", ENTRY_POINT_V08))
    stack = Stack(
        entry_point=predicted.entry_point,
        factory=check_address("factory", factory or records.get("AccountFactory", {}).get("address", predicted.factory)),
        venue=check_address("venue", venue or records.get("ReferenceVenue", {}).get("address", predicted.venue)),
        implementation_7702=check_address("SessionAccount7702", records.get("SessionAccount7702", {}).get(
            "address", predicted.implementation_7702)),
    )
    if not chain.has_code(stack.factory):
        raise InvalidInput(f"no AccountFactory at {stack.factory} on chain {chain.chain_id}: run `aa-auth deploy` "
                           "or pass --factory")
    return stack
