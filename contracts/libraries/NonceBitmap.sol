// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Permit2-style unordered nonces: nonce n is bit (n & 255) of word (n >> 8).
library NonceBitmap {
    function position(uint256 nonce) internal pure returns (uint256 word, uint256 bit) {
        return (nonce >> 8, uint256(1) << (nonce & 0xff));
    }

    function isUsed(mapping(uint256 word => uint256 bits) storage bitmap, uint256 nonce)
        internal
        view
        returns (bool)
    {
        (uint256 word, uint256 bit) = position(nonce);
        return bitmap[word] & bit != 0;
    }

    function use(mapping(uint256 word => uint256 bits) storage bitmap, uint256 nonce) internal {
        (uint256 word, uint256 bit) = position(nonce);
        bitmap[word] |= bit;
    }
}
