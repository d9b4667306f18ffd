// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Accepts any call (any selector, any calldata, any value) and records it, so a refused user
/// operation is known to be refused by the account's validation and not by the target.
contract CallRecorder {
    struct Recorded {
        address caller;
        uint256 value;
        bytes data;
    }

    Recorded[] private _calls;

    /// @notice Reverts with a reason string, to exercise UserOperationRevertReason.
    function fail(string calldata reason) external pure {
        revert(reason);
    }

    function callCount() external view returns (uint256) {
        return _calls.length;
    }

    function callAt(uint256 index) external view returns (Recorded memory) {
        return _calls[index];
    }

    receive() external payable {
        _calls.push(Recorded(msg.sender, msg.value, ""));
    }

    fallback() external payable {
        _calls.push(Recorded(msg.sender, msg.value, msg.data));
    }
}
