// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISessionAccount, Scope, MarketLimit, CallPermission} from "../interfaces/ISessionAccount.sol";
import {CALL_PERMISSION_TYPEHASH, MARKET_LIMIT_TYPEHASH, SCOPE_TYPEHASH} from "./TypeHashes.sol";

/// @title The rules of a Scope (SPEC section 4): its EIP-712 hash, grant validity and lookups.
library ScopeLib {
    /// @notice hashStruct(Scope): the `scopeHash` of SessionGranted and part of a SessionGrant.
    function hash(Scope memory scope) internal pure returns (bytes32) {
        bytes32[] memory markets = new bytes32[](scope.markets.length);
        for (uint256 i; i < markets.length; ++i) {
            markets[i] = keccak256(abi.encode(MARKET_LIMIT_TYPEHASH, scope.markets[i]));
        }
        bytes32[] memory calls = new bytes32[](scope.calls.length);
        for (uint256 i; i < calls.length; ++i) {
            CallPermission memory c = scope.calls[i];
            calls[i] = keccak256(abi.encode(CALL_PERMISSION_TYPEHASH, c.target, c.selector, c.maxValue));
        }
        return keccak256(
            abi.encode(
                SCOPE_TYPEHASH,
                scope.validAfter,
                scope.validUntil,
                keccak256(abi.encodePacked(scope.venues)),
                keccak256(abi.encodePacked(markets)),
                scope.maxNotionalPerWindow,
                scope.maxOrdersPerWindow,
                scope.windowSeconds,
                scope.maxGasFee,
                keccak256(abi.encodePacked(calls))
            )
        );
    }

    /// @notice Reverts unless the scope obeys the grant rules: a real validity window, one entry per
    /// market and one per (target, selector). Empty lists are valid and allow nothing.
    function validate(Scope calldata scope) internal pure {
        if (scope.validUntil == 0 || scope.validAfter > scope.validUntil) {
            revert ISessionAccount.InvalidValidity(scope.validAfter, scope.validUntil);
        }
        MarketLimit[] calldata markets = scope.markets;
        for (uint256 i; i < markets.length; ++i) {
            for (uint256 j = i + 1; j < markets.length; ++j) {
                if (markets[i].market == markets[j].market) revert ISessionAccount.DuplicateMarket(markets[i].market);
            }
        }
        CallPermission[] calldata calls = scope.calls;
        for (uint256 i; i < calls.length; ++i) {
            for (uint256 j = i + 1; j < calls.length; ++j) {
                if (calls[i].target == calls[j].target && calls[i].selector == calls[j].selector) {
                    revert ISessionAccount.DuplicateCallPermission(calls[i].target, calls[i].selector);
                }
            }
        }
    }
}
