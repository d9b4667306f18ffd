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
        bytes4 selector = bytes4(callData[:4]);
        bytes calldata args = callData[4:];
        if (selector == ISessionAccount.execute.selector) return _allowedAt(args, 0, true, key, account);
        if (selector != ISessionAccount.executeBatch.selector) return false;
        (bool ok, uint256 arrayAt) = _word(args, 0);
        if (!ok || arrayAt >= LIMIT) return false;
        uint256 count;
        (ok, count) = _word(args, arrayAt);
        if (!ok || count >= LIMIT) return false;
        uint256 heads = arrayAt + 32;
        for (uint256 i; i < count; ++i) {
            uint256 elementOffset;
            (ok, elementOffset) = _word(args, heads + 32 * i);
            if (!ok || elementOffset >= LIMIT || !_allowedAt(args, heads + elementOffset, false, key, account)) {
                return false;
            }
        }
        return true;
    }

    /// @dev The (address target, uint256 value, bytes data) tuple at `at`.
    function _allowedAt(bytes calldata args, uint256 at, bool topLevel, address key, address account)
        private
        view
        returns (bool)
    {
        (bool ok, uint256 target) = _word(args, at);
        if (!ok || target >> 160 != 0) return false;
        uint256 dataOffset;
        (ok, dataOffset) = _word(args, at + 64);
        if (!ok || dataOffset >= LIMIT) return false;
        uint256 dataAt = (topLevel ? 0 : at) + dataOffset;
        uint256 length;
        (ok, length) = _word(args, dataAt);
        if (!ok || length >= LIMIT || dataAt + 32 + length > args.length) return false;
        // The value word lies before the data offset word, which exists.
        uint256 value = uint256(bytes32(args[at + 32:at + 64]));
        return CallPermissions.allows(key, account, address(uint160(target)), value, args[dataAt + 32:dataAt + 32 + length]);
    }

    function _word(bytes calldata args, uint256 at) private pure returns (bool ok, uint256 value) {
        // Callers keep `at` below about 2**34, so `at + 32` cannot overflow.
        if (at + 32 > args.length) return (false, 0);
        return (true, uint256(bytes32(args[at:at + 32])));
    }
}
