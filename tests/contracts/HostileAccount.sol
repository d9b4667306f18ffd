// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../../contracts/interfaces/IOrderAuthorizer.sol";
import {SignedOrder} from "../../contracts/ReferenceVenue.sol";

interface ISettle {
    function settle(SignedOrder[] calldata orders) external;
}

/// @notice Pretends to be an account and misbehaves in `consumeOrder` in the way `mode` says.
contract HostileAccount {
    enum Mode {
        RevertWithOtherError,
        RevertWithReasonZero,
        ReturnNothing,
        ReturnDirtyAddress,
        HugeReturnData,
        ReenterVenue,
        BurnAllGas
    }

    error Nope();

    Mode public mode;

    constructor(Mode aMode) {
        mode = aMode;
    }

    function consumeOrder(Order calldata, bytes calldata) external returns (address) {
        if (mode == Mode.RevertWithOtherError) revert Nope();
        if (mode == Mode.RevertWithReasonZero) {
            bytes memory data = abi.encodeWithSignature("OrderRejected(uint8)", uint8(0));
            assembly ("memory-safe") {
                revert(add(data, 0x20), mload(data))
            }
        }
        if (mode == Mode.ReturnNothing) {
            assembly ("memory-safe") {
                return(0, 0)
            }
        }
        if (mode == Mode.ReturnDirtyAddress) {
            assembly ("memory-safe") {
                mstore(0, not(0))
                return(0, 0x20)
            }
        }
        if (mode == Mode.HugeReturnData) {
            assembly ("memory-safe") {
                return(0, 100000)
            }
        }
        if (mode == Mode.BurnAllGas) {
            while (true) {}
        }
        // ReenterVenue: settle an empty batch on the caller while it is settling us.
        ISettle(msg.sender).settle(new SignedOrder[](0));
        return address(this);
    }
}
