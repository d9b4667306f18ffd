// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../interfaces/IOrderAuthorizer.sol";
import {DOMAIN_NAME_HASH, DOMAIN_TYPEHASH, DOMAIN_VERSION_HASH, ORDER_TYPEHASH} from "./TypeHashes.sol";

/// @title EIP-712 hashing under an account's domain (SPEC section 2), shared by the account and venues.
library OrderHash {
    /// @notice hashStruct(Order): the type hash and the order's seven words, copied from calldata as
    /// they are (a static struct is its ABI encoding) into scratch memory past the free pointer.
    function hash(Order calldata order) internal pure returns (bytes32 result) {
        assembly ("memory-safe") {
            // What the ABI decoder checks of these fields: a clean address and bool, else the same empty revert.
            if or(shr(160, calldataload(order)), gt(calldataload(add(order, 0x40)), 1)) { revert(0, 0) }
            let ptr := mload(0x40)
            mstore(ptr, ORDER_TYPEHASH)
            calldatacopy(add(ptr, 0x20), order, 0xe0)
            result := keccak256(ptr, 0x100)
        }
    }

    /// @notice The account's EIP-712 domain separator (SPEC section 2), computed by anyone.
    function domainSeparator(address account) internal view returns (bytes32 result) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, DOMAIN_TYPEHASH)
            mstore(add(ptr, 0x20), DOMAIN_NAME_HASH)
            mstore(add(ptr, 0x40), DOMAIN_VERSION_HASH)
            mstore(add(ptr, 0x60), chainid())
            mstore(add(ptr, 0x80), account)
            result := keccak256(ptr, 0xa0)
        }
    }

    /// @notice The order's digest on `account`, as `orderDigest` returns it.
    function digest(Order calldata order, address account) internal view returns (bytes32) {
        return typedDataDigest(account, hash(order));
    }

    /// @notice EIP-712's `keccak256(0x1901 || domainSeparator || structHash)` under `account`'s domain.
    function typedDataDigest(address account, bytes32 structHash) internal view returns (bytes32 result) {
        bytes32 separator = domainSeparator(account);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), structHash)
            result := keccak256(ptr, 0x42)
        }
    }
}
