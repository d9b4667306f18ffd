// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CallPermission} from "../interfaces/ISessionAccount.sol";
import {AccountStorage} from "./AccountStorage.sol";

/// @title A session key's permitted on-chain calls (SPEC section 4, `calls`), one storage word each.
/// @dev Validation reads the one word of (key, target, selector) directly, with no scope contract to
/// copy (a cold account access, 2,600 gas, on every user operation). The word holds maxValue + 1,
/// zero meaning "not permitted"; a maxValue of 2**256 - 2 or more does not fit and takes the slower
/// path through a second word, so `value <= maxValue` stays exact over all of uint256.
library CallPermissions {
    uint256 private constant BIG = type(uint256).max; // the maxValue is in bigMaxValues

    /// @dev Permits `key` the call `permission`. The scope's rules keep (target, selector) unique.
    function write(address key, CallPermission memory permission) internal {
        AccountStorage.Layout storage $ = AccountStorage.layout();
        bytes32 id = _id(key, permission.target, permission.selector);
        uint256 maxValue = permission.maxValue;
        if (maxValue < BIG - 1) {
            $.callWords[id] = maxValue + 1;
        } else {
            ($.callWords[id], $.bigMaxValues[id]) = (BIG, maxValue);
        }
    }

    /// @notice Whether `key` may have `account` call `target` with `value` and `data`: never the account
    /// itself; selector 0 stands for empty calldata only; 1 to 3 bytes of calldata, or 4 zero bytes
    /// and more, match nothing.
    function allows(address key, address account, address target, uint256 value, bytes calldata data)
        internal
        view
        returns (bool)
    {
        if (target == account) return false;
        bytes4 selector;
        if (data.length != 0) {
            if (data.length < 4) return false;
            assembly ("memory-safe") {
                selector := and(calldataload(data.offset), shl(224, 0xffffffff)) // bytes4(data[:4]), unchecked
            }
            if (selector == 0) return false;
        }
        AccountStorage.Layout storage $ = AccountStorage.layout();
        bytes32 id = _id(key, target, selector);
        uint256 word = $.callWords[id];
        if (word == 0) return false;
        if (word == BIG) return value <= $.bigMaxValues[id];
        return value < word; // value <= word - 1
    }

    function _id(address key, address target, bytes4 selector) private pure returns (bytes32 id) {
        // keccak256(abi.encode(key, uint192(target) << 32 | selector)), in the scratch space.
        assembly ("memory-safe") {
            mstore(0x00, key)
            mstore(0x20, or(shl(32, target), shr(224, selector)))
            id := keccak256(0x00, 0x40)
        }
    }
}
