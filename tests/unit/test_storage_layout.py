"""The account keeps all its state in one ERC-7201 namespace (SPEC section 13, docs/storage.md).

Under EIP-7702 the low slots of an EOA may hold whatever an earlier delegate wrote, so nothing of
ours may live there: solc's storage layout of both ends lists no state variable at all, the slot the
source declares is the ERC-7201 formula's, and on a chain the account's state is found at that slot
and nowhere low.
"""

from __future__ import annotations

import re
from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.compiler import storage_layouts
from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "contracts" / "libraries" / "AccountStorage.sol").read_text()
NAMESPACE = "aa-auth.account"


def erc7201_slot(namespace: str) -> int:
    """keccak256(abi.encode(uint256(keccak256(namespace)) - 1)) & ~bytes32(uint256(0xff))."""
    inner = int.from_bytes(keccak(text=namespace), "big") - 1
    return int.from_bytes(keccak(inner.to_bytes(32, "big")), "big") & ~0xFF


ACCOUNT_NAMESPACE = erc7201_slot(NAMESPACE)


def test_the_namespace_slot_is_the_erc7201_formulas() -> None:
    declared = re.search(r"bytes32 internal constant SLOT = (0x[0-9a-f]{64});", SOURCE)
    assert declared is not None, "AccountStorage.SLOT not found"
    assert int(declared.group(1), 16) == erc7201_slot(NAMESPACE)
    assert f"@custom:storage-location erc7201:{NAMESPACE}" in SOURCE


def test_the_compiled_layout_has_no_state_variable_outside_the_namespace() -> None:
    layouts = storage_layouts(("SessionAccount", "SessionAccount7702"))
    assert layouts == {"SessionAccount": [], "SessionAccount7702": []}


def test_the_state_is_at_the_namespace_and_the_low_slots_stay_zero(
    chain: Chain, isolated: Chain, account: SmartAccount, owner: LocalAccount
) -> None:
    """The guardian is the first field of the namespace; the owner setting it moves that slot only."""
    guardian = "0x" + "ab" * 20
    account.set_guardian(owner, chain.w3.to_checksum_address(guardian))
    assert int.from_bytes(chain.w3.eth.get_storage_at(account.address, ACCOUNT_NAMESPACE), "big") == int(guardian, 16)
    assert [int.from_bytes(chain.w3.eth.get_storage_at(account.address, slot), "big") for slot in range(16)] == [0] * 16
