"""Deterministic deployment through the standard CREATE2 deployer, against anvil over HTTP.

A deterministic address can be deployed to once per chain, so these tests run on a node of their
own (a fresh anvil on a free port) instead of the shared one: what they assert ("installed",
"deployed", then "present") depends on starting from an empty chain.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import rlp
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from aa_auth.chain.artifacts import artifact
from aa_auth.chain.connection import Chain
from aa_auth.chain.transactions import FeePolicy, TxSender
from aa_auth.contracts.deployments import (
    CREATE2_DEPLOYER,
    CREATE2_DEPLOYER_CODE_HASH,
    CREATE2_DEPLOYER_FUNDING,
    CREATE2_DEPLOYER_SIGNER,
    CREATE2_DEPLOYER_TX,
    ENTRY_POINT_SALT,
    ENTRY_POINT_V08,
    DeploymentResult,
    _write_atomically,
    create2_address,
    create_address,
    deploy_deterministic,
    expected_runtime,
    find_stack,
    init_code,
    load_records,
    predicted_stack,
)
from aa_auth.errors import ChainError, InvalidInput
from tests.anvil import running_anvil
from tests.integration._operator import funded, rolled_back

pytestmark = pytest.mark.anvil

Runs = tuple[DeploymentResult, DeploymentResult]  # the dry run, then the real one


def _code(chain: Chain, address: str) -> bytes:
    return bytes(chain.w3.eth.get_code(to_checksum_address(address)))


# ------------------------------------------------------------------ the constants, checked from first principles


def test_presigned_deployer_transaction_is_the_keyless_deployment_of_the_standard_deployer() -> None:
    nonce, gas_price, gas, to, value, data, v, r, s = rlp.decode(CREATE2_DEPLOYER_TX)
    assert Account.recover_transaction(CREATE2_DEPLOYER_TX) == CREATE2_DEPLOYER_SIGNER
    assert create_address(CREATE2_DEPLOYER_SIGNER, 0) == CREATE2_DEPLOYER
    assert (nonce, to, value) == (b"", b"", b"")  # nonce 0, a contract creation, no value
    assert int.from_bytes(v, "big") == 27  # pre-EIP-155: no chain id, so it is valid on every chain
    assert (r, s) == (b"\x22" * 32, b"\x22" * 32)  # made-up signature: nobody holds the signer's key
    assert int.from_bytes(gas_price, "big") * int.from_bytes(gas, "big") == CREATE2_DEPLOYER_FUNDING == 10**16
    runtime = data[14:]  # the 14-byte constructor copies and returns the 69 bytes after it
    assert data[:14].hex() == "604580600e600039806000f350fe" and len(runtime) == 0x45
    assert keccak(runtime) == CREATE2_DEPLOYER_CODE_HASH


def test_anvil_preinstalls_the_same_deployer_code(anvil_url: str) -> None:
    code = _code(Chain.connect(anvil_url), CREATE2_DEPLOYER)
    assert keccak(code) == CREATE2_DEPLOYER_CODE_HASH


def test_npm_entry_point_with_eth_infinitism_salt_lands_on_the_canonical_v08_address() -> None:
    assert create2_address(ENTRY_POINT_SALT, init_code("EntryPoint")) == ENTRY_POINT_V08


def test_factory_runtime_differs_from_the_artifact_only_by_its_implementation_address() -> None:
    factory = "0x" + "ab" * 20
    runtime = expected_runtime("AccountFactory", factory)
    assert runtime is not None
    implementation = bytes.fromhex(create_address(factory, 1)[2:])
    assert runtime.count(implementation) >= 1
    assert runtime.replace(implementation, bytes(20)).hex() == artifact("AccountFactory")["deployedBytecode"][2:]
    assert expected_runtime("ReferenceVenue", factory) == bytes.fromhex(artifact("ReferenceVenue")["deployedBytecode"][2:])
    assert expected_runtime("EntryPoint", ENTRY_POINT_V08) is None  # chain-specific immutables


# ------------------------------------------------------------------ records on disk


def test_records_are_replaced_atomically_and_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "31337.json"
    _write_atomically(path, {"chainId": 31337, "contracts": {}})
    before = path.read_bytes()
    with pytest.raises(TypeError):
        _write_atomically(path, {"chainId": 31337, "contracts": {"bad": object()}})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["31337.json"]  # no temporary file left behind


def test_a_record_file_of_another_chain_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1.json").write_text(json.dumps({"chainId": 11155111, "contracts": {}}))
    with pytest.raises(InvalidInput, match="not a deployment record for chain 1"):
        load_records(tmp_path, 1)


# ------------------------------------------------------------------ a fresh node


@pytest.fixture(scope="module")
def fresh() -> Iterator[Chain]:
    with running_anvil() as url:
        chain = Chain.connect(url)
        # A chain that lacks the deployer: anvil preinstalls it, so take it away.
        chain.w3.provider.make_request("anvil_setCode", [CREATE2_DEPLOYER, "0x"])  # type: ignore[arg-type]
        yield chain


@pytest.fixture(scope="module")
def payer(fresh: Chain) -> LocalAccount:
    return funded(fresh, "deployment payer")


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deployments")


@pytest.fixture(scope="module")
def first_run(fresh: Chain, payer: LocalAccount, records: Path) -> Runs:
    """The dry run, then the real deployment, on the fresh chain (in that order, once)."""
    block, nonce = fresh.w3.eth.block_number, fresh.w3.eth.get_transaction_count(payer.address)
    dry = deploy_deterministic(fresh, payer.address, dry_run=True, records_dir=records)
    assert (fresh.w3.eth.block_number, fresh.w3.eth.get_transaction_count(payer.address)) == (block, nonce)
    assert list(records.iterdir()) == []
    real = deploy_deterministic(fresh, payer, records_dir=records, policy=FeePolicy(gas_headroom_percent=25))
    return dry, real


def test_dry_run_plans_the_install_and_four_deployments_with_their_cost(first_run: Runs, fresh: Chain) -> None:
    dry, _ = first_run
    stack = predicted_stack()
    assert [(s.action, s.name, s.address) for s in dry.steps] == [
        ("would-install", "CREATE2Deployer", CREATE2_DEPLOYER),
        ("would-deploy", "EntryPoint", ENTRY_POINT_V08),
        ("would-deploy", "AccountFactory", stack.factory),
        ("would-deploy", "ReferenceVenue", stack.venue),
        ("would-deploy", "SessionAccount7702", stack.implementation_7702),
    ]
    assert dry.dry_run and dry.records is None
    for step in dry.steps[1:]:
        assert step.gas is not None and step.fee_per_gas is not None and step.gas > 100_000
        assert step.cost_wei == step.gas * step.fee_per_gas
    assert dry.cost_wei == sum(step.cost_wei or 0 for step in dry.steps) > CREATE2_DEPLOYER_FUNDING


def test_deploy_installs_the_deployer_then_lands_each_contract_on_its_predicted_address(
    first_run: Runs, fresh: Chain
) -> None:
    _, real = first_run
    stack = predicted_stack()
    assert [(s.action, s.name, s.address) for s in real.steps] == [
        ("install", "CREATE2Deployer", CREATE2_DEPLOYER),
        ("deploy", "EntryPoint", ENTRY_POINT_V08),
        ("deploy", "AccountFactory", stack.factory),
        ("deploy", "ReferenceVenue", stack.venue),
        ("deploy", "SessionAccount7702", stack.implementation_7702),
    ]
    assert real.stack == stack
    assert keccak(_code(fresh, CREATE2_DEPLOYER)) == CREATE2_DEPLOYER_CODE_HASH
    for step in real.steps:
        assert step.code_hash == "0x" + keccak(_code(fresh, step.address)).hex()
    assert _code(fresh, stack.factory) == expected_runtime("AccountFactory", stack.factory)
    implementation = fresh.contract("AccountFactory", stack.factory).functions.accountImplementation().call()
    assert implementation == create_address(stack.factory, 1)


def test_deployment_transactions_use_eip1559_fees_and_gas_headroom(first_run: Runs, fresh: Chain) -> None:
    _, real = first_run
    for step in real.steps[1:]:
        assert step.tx_hash is not None
        tx = fresh.w3.eth.get_transaction(HexStr(step.tx_hash))
        receipt = fresh.w3.eth.get_transaction_receipt(HexStr(step.tx_hash))
        assert tx["type"] == 2 and tx["to"] == CREATE2_DEPLOYER
        assert tx["maxFeePerGas"] >= tx["maxPriorityFeePerGas"] > 0
        # 25% headroom on the estimate: the limit sent is well above what was used.
        assert tx["gas"] >= receipt["gasUsed"] * 120 // 100


def test_records_hold_each_contract_with_its_transaction_block_compiler_and_code_hash(
    first_run: Runs, records: Path, fresh: Chain
) -> None:
    _, real = first_run
    assert real.records == records / "31337.json"
    data = json.loads(real.records.read_text())
    assert data["chainId"] == 31337 and sorted(data["contracts"]) == ["AccountFactory", "EntryPoint", "ReferenceVenue",
                                                                      "SessionAccount7702"]
    for step in real.steps[1:]:
        entry = data["contracts"][step.name]
        receipt = fresh.w3.eth.get_transaction_receipt(entry["transactionHash"])
        assert entry["address"] == step.address and entry["codeHash"] == step.code_hash
        assert entry["blockNumber"] == receipt["blockNumber"] == step.block_number
        assert entry["deployer"] == CREATE2_DEPLOYER
    assert data["contracts"]["AccountFactory"]["compilerVersion"] == artifact("AccountFactory")["compiler"]["version"]
    assert data["contracts"]["AccountFactory"]["constructorArgs"] == [ENTRY_POINT_V08]
    assert data["contracts"]["SessionAccount7702"]["constructorArgs"] == [ENTRY_POINT_V08]
    assert data["contracts"]["EntryPoint"]["compilerVersion"] == "0.8.28"  # read from the bytecode's metadata
    assert data["contracts"]["EntryPoint"]["salt"] == "0x" + ENTRY_POINT_SALT.hex()


def test_rerun_skips_everything_by_code_hash_sends_nothing_and_keeps_the_records(
    first_run: Runs, fresh: Chain, payer: LocalAccount, records: Path
) -> None:
    before = (records / "31337.json").read_bytes()
    block = fresh.w3.eth.block_number
    messages: list[str] = []
    again = deploy_deterministic(fresh, payer, records_dir=records, progress=messages.append)
    assert [s.action for s in again.steps] == ["present"] * 4
    assert fresh.w3.eth.block_number == block
    assert (records / "31337.json").read_bytes() == before
    assert any("AccountFactory: already deployed" in m and "code hash matches the artifact" in m for m in messages)
    assert any("EntryPoint: already deployed" in m and "code hash matches the record" in m for m in messages)
    assert any("SessionAccount7702: already deployed" in m and "code hash matches the record" in m for m in messages)


def test_foreign_code_at_a_deterministic_address_is_refused_and_not_recorded(
    first_run: Runs, fresh: Chain, payer: LocalAccount, records: Path
) -> None:
    before = (records / "31337.json").read_bytes()
    with rolled_back(fresh):
        fresh.w3.provider.make_request("anvil_setCode", [predicted_stack().venue, "0x6000"])  # type: ignore[arg-type]
        with pytest.raises(ChainError, match="ReferenceVenue: the code at .* is not the expected one"):
            deploy_deterministic(fresh, payer, records_dir=records)
    assert (records / "31337.json").read_bytes() == before


def test_an_explicit_entry_point_must_be_an_entry_point_v08(
    first_run: Runs, fresh: Chain, payer: LocalAccount, tmp_path: Path
) -> None:
    same = deploy_deterministic(fresh, payer.address, entry_point=ENTRY_POINT_V08, dry_run=True, records_dir=tmp_path)
    assert [s.action for s in same.steps] == ["present"] * 3  # factory, venue, 7702; the EntryPoint is given
    with pytest.raises(InvalidInput, match="does not answer as an EntryPoint v0.8"):
        deploy_deterministic(fresh, payer.address, entry_point=predicted_stack().venue, dry_run=True, records_dir=tmp_path)
    with pytest.raises(InvalidInput, match="no contract at EntryPoint address"):
        deploy_deterministic(fresh, payer.address, entry_point="0x" + "77" * 20, dry_run=True, records_dir=tmp_path)


def test_a_chain_whose_deployer_signer_already_moved_cannot_get_the_deployer(
    first_run: Runs, fresh: Chain, payer: LocalAccount, tmp_path: Path
) -> None:
    with rolled_back(fresh):
        fresh.w3.provider.make_request("anvil_setCode", [CREATE2_DEPLOYER, "0x"])  # type: ignore[arg-type]
        fresh.w3.provider.make_request("anvil_setNonce", [CREATE2_DEPLOYER_SIGNER, "0x1"])  # type: ignore[arg-type]
        with pytest.raises(ChainError, match="one-time signer .* has already sent a transaction; it cannot be installed"):
            deploy_deterministic(fresh, payer, records_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_find_stack_reads_the_records_and_refuses_a_chain_without_a_factory(
    first_run: Runs, fresh: Chain, records: Path, tmp_path: Path
) -> None:
    assert find_stack(fresh, records) == predicted_stack()
    with pytest.raises(InvalidInput, match="no AccountFactory at .* run `aa-auth deploy`"):
        find_stack(fresh, tmp_path, factory="0x" + "12" * 20)


def test_a_send_returns_only_once_its_block_is_confirmations_deep(fresh: Chain, payer: LocalAccount) -> None:
    sender = TxSender(fresh, payer, payer.address, FeePolicy(confirmations=3, poll_interval=0.05, timeout=30), lambda _: None)

    def mine_two_blocks_later() -> None:
        time.sleep(0.4)
        for _ in range(2):
            fresh.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    miner = threading.Thread(target=mine_two_blocks_later)
    miner.start()
    receipt = sender.send({"to": "0x" + "00" * 19 + "01", "value": 1}, "a transfer")
    miner.join()
    assert fresh.w3.eth.block_number >= receipt["blockNumber"] + 2


def test_the_embedded_chain_gets_the_same_addresses_and_never_a_record(
    isolated: Chain, deployer: LocalAccount, tmp_path: Path
) -> None:
    result = deploy_deterministic(isolated, deployer, records_dir=tmp_path)
    assert result.stack == predicted_stack() and result.records is None
    assert [s.action for s in result.steps] == ["install", "deploy", "deploy", "deploy", "deploy"]
    assert list(tmp_path.iterdir()) == []
