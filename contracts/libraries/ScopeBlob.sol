// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Scope, MarketLimit, CallPermission} from "../interfaces/ISessionAccount.sol";

/// @title The packed byte form of a Scope that ScopeStore keeps as code, and readers over it.
/// @dev Stored code costs 200 gas a byte, so fields take their real widths instead of ABI words:
///
///   offset  0  validAfter            6 bytes      offset 20  maxNotionalPerWindow  32 bytes
///   offset  6  validUntil            6 bytes      offset 52  maxGasFee             32 bytes
///   offset 12  maxOrdersPerWindow    4 bytes      offset 84  venue count            2 bytes, then 20 a venue
///   offset 16  windowSeconds         4 bytes      then market count 2 bytes, then 128 a MarketLimit (4 words)
///                                                 then call count 2 bytes, then 56 a CallPermission (20+4+32)
///
/// The blob is the whole Scope, which `getSession` returns; orders read their fields here in place, while
/// user operations read none of it (their validity and budget are in the session's user-operation
/// word, their calls in CallPermissions), so validation touches no other contract.
/// Only the account writes blobs (from a validated Scope), so readers trust the layout and their
/// offsets, all below the blob's size, need no overflow checks. Reading the
/// fields an order needs in place is far cheaper than decoding the whole Scope into memory.
library ScopeBlob {
    /// @notice A list in the scope is longer than the blob format counts (65,535 entries).
    error ScopeListTooLong(uint256 length);

    uint256 private constant VENUES = 84;
    uint256 private constant VENUE_SIZE = 20;
    uint256 private constant MARKET_SIZE = 128;
    uint256 private constant CALL_SIZE = 56;

    // ---------------------------------------------------------------- writing and reading whole scopes

    function encode(Scope calldata scope) internal pure returns (bytes memory blob) {
        uint256 venues = _count(scope.venues.length);
        uint256 markets = _count(scope.markets.length);
        uint256 calls = _count(scope.calls.length);
        uint256 size = VENUES + 6 + venues * VENUE_SIZE + markets * MARKET_SIZE + calls * CALL_SIZE;
        // 32 spare bytes: each field is written with a full-word store whose tail the next field overwrites.
        blob = new bytes(size + 32);
        assembly ("memory-safe") {
            mstore(blob, size)
        }
        uint256 p = _start(blob);
        p = _put(p, scope.validAfter, 6);
        p = _put(p, scope.validUntil, 6);
        p = _put(p, scope.maxOrdersPerWindow, 4);
        p = _put(p, scope.windowSeconds, 4);
        p = _put(p, scope.maxNotionalPerWindow, 32);
        p = _put(p, scope.maxGasFee, 32);
        p = _put(p, venues, 2);
        for (uint256 i; i < venues; ++i) {
            p = _put(p, uint160(scope.venues[i]), 20);
        }
        p = _put(p, markets, 2);
        for (uint256 i; i < markets; ++i) {
            MarketLimit calldata m = scope.markets[i];
            p = _put(_put(_put(_put(p, m.market, 32), m.maxOrderSize, 32), m.minPrice, 32), m.maxPrice, 32);
        }
        p = _put(p, calls, 2);
        for (uint256 i; i < calls; ++i) {
            CallPermission calldata c = scope.calls[i];
            p = _put(_put(_put(p, uint160(c.target), 20), uint32(c.selector), 4), c.maxValue, 32);
        }
    }

    function decode(bytes memory blob) internal pure returns (Scope memory scope) {
        uint256 p = _start(blob);
        scope.validAfter = uint48(_get(p, 6));
        scope.validUntil = uint48(_get(p + 6, 6));
        scope.maxOrdersPerWindow = uint32(_get(p + 12, 4));
        scope.windowSeconds = uint32(_get(p + 16, 4));
        scope.maxNotionalPerWindow = _get(p + 20, 32);
        scope.maxGasFee = _get(p + 52, 32);
        p += VENUES;
        scope.venues = new address[](_get(p, 2));
        p += 2;
        for (uint256 i; i < scope.venues.length; ++i) {
            scope.venues[i] = address(uint160(_get(p, 20)));
            p += VENUE_SIZE;
        }
        scope.markets = new MarketLimit[](_get(p, 2));
        p += 2;
        for (uint256 i; i < scope.markets.length; ++i) {
            scope.markets[i] = MarketLimit(_get(p, 32), _get(p + 32, 32), _get(p + 64, 32), _get(p + 96, 32));
            p += MARKET_SIZE;
        }
        scope.calls = new CallPermission[](_get(p, 2));
        p += 2;
        for (uint256 i; i < scope.calls.length; ++i) {
            scope.calls[i] = CallPermission(address(uint160(_get(p, 20))), bytes4(uint32(_get(p + 20, 4))), _get(p + 24, 32));
            p += CALL_SIZE;
        }
    }

    // ---------------------------------------------------------------- the fields an order check reads

    function validAfter(bytes memory blob) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(208, mload(add(blob, 0x20)))
        }
    }

    function validUntil(bytes memory blob) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(208, mload(add(blob, 0x26)))
        }
    }

    function maxOrdersPerWindow(bytes memory blob) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(224, mload(add(blob, 0x2c)))
        }
    }

    function windowSeconds(bytes memory blob) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(224, mload(add(blob, 0x30)))
        }
    }

    function maxNotionalPerWindow(bytes memory blob) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := mload(add(blob, 0x34))
        }
    }

    function allowsVenue(bytes memory blob, address venue) internal pure returns (bool found) {
        assembly ("memory-safe") {
            let p := add(add(blob, 0x20), VENUES)
            let end := add(add(p, 2), mul(shr(240, mload(p)), VENUE_SIZE))
            for { p := add(p, 2) } lt(p, end) { p := add(p, VENUE_SIZE) } {
                if eq(shr(96, mload(p)), venue) {
                    found := 1
                    break
                }
            }
        }
    }

    /// @notice The (maxOrderSize, minPrice, maxPrice) of the entry that applies to `market`: its own,
    /// else ANY_MARKET's (market 2**256 - 1); `found` is false when neither exists.
    function marketLimit(bytes memory blob, uint256 market)
        internal
        pure
        returns (bool found, uint256 maxOrderSize, uint256 minPrice, uint256 maxPrice)
    {
        assembly ("memory-safe") {
            let p := add(add(blob, 0x20), VENUES)
            p := add(add(p, 2), mul(shr(240, mload(p)), VENUE_SIZE))
            let end := add(add(p, 2), mul(shr(240, mload(p)), MARKET_SIZE))
            let entry := 0 // the applicable entry's address, 0 for none
            for { p := add(p, 2) } lt(p, end) { p := add(p, MARKET_SIZE) } {
                let m := mload(p)
                if eq(m, market) {
                    entry := p
                    break
                }
                if eq(m, not(0)) { entry := p } // ANY_MARKET
            }
            if entry {
                found := 1
                maxOrderSize := mload(add(entry, 0x20))
                minPrice := mload(add(entry, 0x40))
                maxPrice := mload(add(entry, 0x60))
            }
        }
    }

    // ---------------------------------------------------------------- primitives

    function _count(uint256 length) private pure returns (uint256) {
        if (length > type(uint16).max) revert ScopeListTooLong(length);
        return length;
    }

    function _start(bytes memory blob) private pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := add(blob, 0x20)
        }
    }

    /// @dev Stores the low `width` bytes of `value` big-endian at memory address `p`.
    function _put(uint256 p, uint256 value, uint256 width) private pure returns (uint256) {
        assembly ("memory-safe") {
            mstore(p, shl(sub(256, shl(3, width)), value))
        }
        return p + width;
    }

    /// @dev Loads `width` bytes big-endian from memory address `p`.
    function _get(uint256 p, uint256 width) private pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(sub(256, shl(3, width)), mload(p))
        }
    }
}
