// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Call, ISessionAccount} from "../interfaces/ISessionAccount.sol";

/// @title The calls a user operation's callData will make, for checking a session key's permissions.
/// @dev Validation must see exactly the calls execution will make, so the values come from Solidity's
/// own ABI decoder (the one `execute`/`executeBatch` use). The pre-check only makes sure that decoder
/// cannot revert, so a malformed callData is a refusal (SIG_VALIDATION_FAILED) rather than a revert;
/// it is stricter than the decoder (offsets and lengths below 2**32), which can only refuse more.
library UserOpCalls {
    uint256 private constant LIMIT = 2 ** 32;

    /// @return ok False when callData is not a well-formed `execute` or `executeBatch` call.
    function decode(bytes calldata callData) internal pure returns (bool ok, Call[] memory calls) {
        if (callData.length < 4) return (false, calls);
        bytes4 selector = bytes4(callData[:4]);
        bytes calldata args = callData[4:];
        if (selector == ISessionAccount.execute.selector) {
            if (!_callAt(args, 0, true)) return (false, calls);
            calls = new Call[](1);
            (calls[0].target, calls[0].value, calls[0].data) = abi.decode(args, (address, uint256, bytes));
            return (true, calls);
        }
        if (selector == ISessionAccount.executeBatch.selector) {
            if (!_batchWellFormed(args)) return (false, calls);
            return (true, abi.decode(args, (Call[])));
        }
        return (false, calls);
    }

    function _batchWellFormed(bytes calldata args) private pure returns (bool) {
        (bool ok, uint256 arrayAt) = _word(args, 0);
        if (!ok || arrayAt >= LIMIT) return false;
        uint256 count;
        (ok, count) = _word(args, arrayAt);
        if (!ok || count >= LIMIT) return false;
        uint256 heads = arrayAt + 32;
        for (uint256 i; i < count; ++i) {
            uint256 elementOffset;
            (ok, elementOffset) = _word(args, heads + 32 * i);
            if (!ok || elementOffset >= LIMIT || !_callAt(args, heads + elementOffset, false)) return false;
        }
        return true;
    }

    /// @dev A (address target, uint256 value, bytes data) tuple at `at`; its data offset is relative to
    /// `at` inside a batch and to the start of the arguments for `execute`.
    function _callAt(bytes calldata args, uint256 at, bool topLevel) private pure returns (bool) {
        (bool ok, uint256 target) = _word(args, at);
        if (!ok || target >> 160 != 0) return false;
        uint256 dataOffset;
        (ok, dataOffset) = _word(args, at + 64);
        if (!ok || dataOffset >= LIMIT) return false;
        uint256 dataAt = (topLevel ? 0 : at) + dataOffset;
        uint256 length;
        (ok, length) = _word(args, dataAt);
        return ok && length < LIMIT && dataAt + 32 + length <= args.length;
    }

    function _word(bytes calldata args, uint256 at) private pure returns (bool ok, uint256 value) {
        // Callers keep `at` below about 2**34, so `at + 32` cannot overflow.
        if (at + 32 > args.length) return (false, 0);
        return (true, uint256(bytes32(args[at:at + 32])));
    }
}
