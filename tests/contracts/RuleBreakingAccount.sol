// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

/// @notice An account whose validation breaks an ERC-7562 rule the way `mode` says, so a test can show
/// that the bundler in front of the tests (Alto in safe mode) does trace and refuse it.
contract RuleBreakingAccount {
    enum Mode {
        ReadsTimestamp, // [OP-011] a blocked opcode
        InnerOutOfGas // [OP-020] a call inside validation runs out of gas
    }

    Mode public immutable mode;

    constructor(Mode aMode) payable {
        mode = aMode;
    }

    function validateUserOp(PackedUserOperation calldata, bytes32, uint256 missingAccountFunds)
        external
        returns (uint256 validationData)
    {
        if (mode == Mode.ReadsTimestamp) {
            validationData = block.timestamp == 0 ? 1 : 0;
        } else {
            (bool finished,) = address(this).call{gas: 5_000}(abi.encodeCall(this.spin, ()));
            validationData = finished ? 1 : 0;
        }
        if (missingAccountFunds != 0) {
            (bool paid,) = payable(msg.sender).call{value: missingAccountFunds}("");
            (paid);
        }
    }

    function spin() external pure {
        uint256 i;
        while (true) {
            i++;
        }
    }

    receive() external payable {}
}
