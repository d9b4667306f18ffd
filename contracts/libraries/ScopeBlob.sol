// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Reads the fields an order check needs straight from `abi.encode(scope)`, without decoding it.
/// @dev The blob is written only by the account itself (ScopeStore), with `abi.encode(Scope)`, so its
/// layout is canonical: a 0x20 offset word, then the Scope tuple whose nine head words are validAfter,
/// validUntil, venues offset, markets offset, maxNotionalPerWindow, maxOrdersPerWindow, windowSeconds,
/// maxGasFee and calls offset; array offsets count from the tuple's start. Decoding it in full
/// allocates every array and struct, which costs more than all the checks of an order together.
library ScopeBlob {

    function _head(bytes memory blob, uint256 index) private pure returns (uint256 word) {
        assembly ("memory-safe") {
            word := mload(add(blob, add(0x40, shl(5, index))))
        }
    }

    function validAfter(bytes memory blob) internal pure returns (uint256) {
        return _head(blob, 0);
    }

    function validUntil(bytes memory blob) internal pure returns (uint256) {
        return _head(blob, 1);
    }

    function maxNotionalPerWindow(bytes memory blob) internal pure returns (uint256) {
        return _head(blob, 4);
    }

    function maxOrdersPerWindow(bytes memory blob) internal pure returns (uint256) {
        return _head(blob, 5);
    }

    function windowSeconds(bytes memory blob) internal pure returns (uint256) {
        return _head(blob, 6);
    }

    function allowsVenue(bytes memory blob, address venue) internal pure returns (bool found) {
        uint256 offset = _head(blob, 2);
        assembly ("memory-safe") {
            let array := add(add(blob, 0x40), offset)
            let end := add(array, shl(5, mload(array)))
            for { let p := add(array, 0x20) } iszero(gt(p, end)) { p := add(p, 0x20) } {
                if eq(mload(p), venue) {
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
        uint256 offset = _head(blob, 3);
        uint256 entry; // memory address of the applicable entry, 0 for none
        assembly ("memory-safe") {
            let array := add(add(blob, 0x40), offset)
            let p := add(array, 0x20)
            let end := add(p, shl(7, mload(array)))
            for {} lt(p, end) { p := add(p, 0x80) } {
                let m := mload(p)
                if eq(m, market) {
                    entry := p
                    break
                }
                if eq(m, not(0)) { entry := p } // ANY_MARKET
            }
        }
        if (entry == 0) return (false, 0, 0, 0);
        assembly ("memory-safe") {
            maxOrderSize := mload(add(entry, 0x20))
            minPrice := mload(add(entry, 0x40))
            maxPrice := mload(add(entry, 0x60))
        }
        found = true;
    }
}
