// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISessionAccount} from "../interfaces/ISessionAccount.sol";
import {CallPermissions} from "./CallPermissions.sol";

/// @title Whether every call a user operation's callData will make is one a session key's scope permits
/// (each looked up in CallPermissions).
/// @dev Validation must see exactly the calls execution will make. The calls are read in place from
/// calldata, at the words Solidity's ABI decoder reads for `execute(address,uint256,bytes)` and
/// `executeBatch((address,uint256,bytes)[])`: top-level offsets count from the arguments' start, a
/// batch element's from its array's head, a call's `data` offset from its own tuple (from the
/// arguments' start for `execute`). Every offset, length and address is checked first, more strictly
/// than the decoder (offsets and lengths below 2**32, no dirty address bits), so a callData the
/// decoder would revert on, or read differently, is refused here, never let through.
library UserOpCalls {
    uint256 private constant LIMIT = 2 ** 32;

    /// @return False when callData is not a well-formed `execute` or `executeBatch` call, or when any of
    /// its calls is outside `key`'s permitted calls. An empty batch makes no call and is allowed.
    function allowedBy(bytes calldata callData, address key, address account) internal view returns (bool) {
        if (callData.length < 4) return false;
        bytes4 selector;
        bytes calldata args;
        assembly ("memory-safe") {
            // bytes4(callData[:4]) and callData[4:], without the slices' repeated bounds checks.
            selector := and(calldataload(callData.offset), shl(224, 0xffffffff))
            args.offset := add(callData.offset, 4)
            args.length := sub(callData.length, 4)
        }
        if (selector == ISessionAccount.execute.selector) return _allowedAt(args, 0, true, key, account);
        if (selector != ISessionAccount.executeBatch.selector) return false;
        (bool ok, uint256 arrayAt) = _word(args, 0);
        if (!ok || arrayAt >= LIMIT) return false;
        uint256 count;
        (ok, count) = _word(args, arrayAt);
        if (!ok || count >= LIMIT) return false;
        // arrayAt, count and each elementOffset are below 2**32: nothing here overflows.
        unchecked {
            uint256 heads = arrayAt + 32;
            for (uint256 i; i < count; ++i) {
                uint256 elementOffset;
                (ok, elementOffset) = _word(args, heads + 32 * i);
                if (!ok || elementOffset >= LIMIT || !_allowedAt(args, heads + elementOffset, false, key, account)) {
                    return false;
                }
            }
        }
        return true;
    }

    /// @dev The (address target, uint256 value, bytes data) tuple at `at`. Every check of the tuple is
    /// folded into `ok` without a branch: they have no side effects, so only whether all hold matters.
    function _allowedAt(bytes calldata args, uint256 at, bool topLevel, address key, address account)
        private
        view
        returns (bool)
    {
        bool ok;
        uint256 target;
        uint256 value;
        bytes calldata data;
        assembly ("memory-safe") {
            let end := args.length
            let base := args.offset
            // The three head words exist (`at` is below about 2**34): target, value, the data offset.
            ok := iszero(gt(add(at, 96), end))
            target := calldataload(add(base, at))
            value := calldataload(add(base, add(at, 32)))
            let dataOffset := calldataload(add(base, add(at, 64)))
            ok := and(ok, and(iszero(shr(160, target)), lt(dataOffset, LIMIT)))
            // From here on every term is below 2**36 whenever `ok` holds; when it does not, a wrapped sum
            // only feeds a result that is false anyway.
            let dataAt := add(mul(iszero(topLevel), at), dataOffset)
            let length := calldataload(add(base, dataAt))
            ok := and(ok, and(iszero(gt(add(dataAt, 32), end)), lt(length, LIMIT)))
            ok := and(ok, iszero(gt(add(add(dataAt, 32), length), end)))
            data.offset := add(base, add(dataAt, 32))
            data.length := length
        }
        return ok && CallPermissions.allows(key, account, address(uint160(target)), value, data);
    }

    /// @dev The word at `at` of `args`, when `args` holds all of it. Callers keep `at` below about 2**34,
    /// so `at + 32` cannot overflow; read in place, without the bounds checks a slice repeats.
    function _word(bytes calldata args, uint256 at) private pure returns (bool ok, uint256 value) {
        assembly ("memory-safe") {
            ok := iszero(gt(add(at, 32), args.length))
            value := mul(ok, calldataload(add(args.offset, at)))
        }
    }
}
