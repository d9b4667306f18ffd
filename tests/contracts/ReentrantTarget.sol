// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A call target gone rogue, for the attack corpus. An attacker arms it with calldata; whenever
/// an account calls it (the owner's `execute`, with or without value), it calls back into that account
/// with each armed call while `execute` is still running, and records every outcome without reverting.
contract ReentrantTarget {
    event Attempt(uint256 indexed index, bool ok, bytes returnData);

    bytes[] private _calls;

    function arm(bytes[] calldata calls) external {
        delete _calls;
        for (uint256 i; i < calls.length; ++i) {
            _calls.push(calls[i]);
        }
    }

    receive() external payable {
        _reenter();
    }

    fallback() external payable {
        _reenter();
    }

    function _reenter() private {
        for (uint256 i; i < _calls.length; ++i) {
            (bool ok, bytes memory returnData) = msg.sender.call(_calls[i]);
            emit Attempt(i, ok, returnData);
        }
    }
}
