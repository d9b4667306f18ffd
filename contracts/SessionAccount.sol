// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";

import {SessionAccountBase} from "./SessionAccountBase.sol";

/// @title An ERC-4337 smart account whose owner grants scoped, revocable session keys to trading bots.
/// @notice Deployed only as a clone by AccountFactory, with the owner in the clone's immutable args;
/// the implementation itself has no owner and can never be used.
contract SessionAccount is SessionAccountBase {
    constructor(IEntryPoint anEntryPoint) SessionAccountBase(anEntryPoint) {}

    /// @inheritdoc SessionAccountBase
    function owner() public view override returns (address result) {
        // The owner is the 20 bytes a clone carries after its 45-byte proxy code; the bare
        // implementation carries none and has no owner, so every owner-only call fails there.
        if (address(this) == _implementation) return address(0);
        assembly ("memory-safe") {
            extcodecopy(address(), 0x00, 45, 20)
            result := shr(96, mload(0x00))
        }
    }

    /// @dev A clone's first operation may carry the factory's initCode; the EntryPoint refuses any
    /// initCode for a sender that exists already (AA10).
    function _acceptsInitCode(bytes calldata) internal pure override returns (bool) {
        return true;
    }
}
