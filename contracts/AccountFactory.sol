// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {SessionAccount} from "./SessionAccount.sol";

/// @title Deploys SessionAccounts as clones at CREATE2 addresses derived from (owner, salt).
/// @notice The owner is baked into the clone's immutable args, so a clone is complete the moment it
/// exists: there is no initializer for anyone to call first, and the implementation has no owner.
contract AccountFactory {
    /// @notice `owner` is the zero address.
    error InvalidOwner();

    event AccountCreated(address indexed account, address indexed owner, bytes32 salt);

    address private immutable _implementation;

    constructor(IEntryPoint anEntryPoint) {
        _implementation = address(new SessionAccount(anEntryPoint));
    }

    /// @notice The implementation every account delegates to.
    function accountImplementation() external view returns (address) {
        return _implementation;
    }

    /// @notice Deploys the account of (owner, salt), or returns it when it already exists.
    function createAccount(address owner, bytes32 salt) external returns (address account) {
        if (owner == address(0)) revert InvalidOwner();
        account = getAddress(owner, salt);
        if (account.code.length != 0) return account;
        Clones.cloneDeterministicWithImmutableArgs(_implementation, abi.encodePacked(owner), salt);
        emit AccountCreated(account, owner, salt);
    }

    /// @notice The address `createAccount(owner, salt)` deploys to.
    function getAddress(address owner, bytes32 salt) public view returns (address) {
        return Clones.predictDeterministicAddressWithImmutableArgs(_implementation, abi.encodePacked(owner), salt);
    }
}
