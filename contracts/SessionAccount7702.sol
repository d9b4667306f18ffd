// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";

import {SessionAccountBase} from "./SessionAccountBase.sol";

/// @title The aa-auth account for an EOA that delegates to it with EIP-7702 (SPEC section 13).
/// @notice The owner is the EOA itself: its own transactions to its own address, and user operations
/// it signs. Nothing to initialize. The EOA's key stays all-powerful: freezing and revoking stop
/// session keys, never the EOA.
contract SessionAccount7702 is SessionAccountBase {
    constructor(IEntryPoint anEntryPoint) SessionAccountBase(anEntryPoint) {}

    /// @inheritdoc SessionAccountBase
    function owner() public view override returns (address) {
        // The implementation's own address has no key behind it, but zero makes that explicit.
        return address(this) == _implementation ? address(0) : address(this);
    }

    /// @dev EntryPoint v0.8's EIP-7702 marker: `0x7702` padded to 20 bytes (or shorter), which makes
    /// the user operation hash bind the current delegate. A longer initCode asks the EntryPoint to call
    /// the account with the rest as an initializer; there is nothing to initialize, so it is refused.
    function _acceptsInitCode(bytes calldata initCode) internal pure override returns (bool) {
        return initCode.length <= 20;
    }
}
