// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A target that only does harm with delegatecall semantics, for the attack corpus: it writes
/// `value` into storage slots [0, count). Run by CALL it changes its own storage; run by DELEGATECALL
/// from an account it would overwrite the account's guardian, freeze flag, epoch, grant nonce and keys.
contract StorageClobber {
    function clobber(uint256 count, bytes32 value) external {
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, count) { i := add(i, 1) } { sstore(i, value) }
        }
    }
}
