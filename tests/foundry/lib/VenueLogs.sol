// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReferenceVenue} from "../../../contracts/ReferenceVenue.sol";
import {Vm} from "./Vm.sol";

/// @dev The reason of each of `venue`'s OrderSettled (0) and OrderRejected events in `logs`, in order.
function venueReasons(address venue, Vm.Log[] memory logs) pure returns (uint8[] memory reasons) {
    uint256 n;
    reasons = new uint8[](logs.length);
    for (uint256 i; i < logs.length; ++i) {
        if (logs[i].emitter != venue) continue;
        if (logs[i].topics[0] == ReferenceVenue.OrderSettled.selector) reasons[n++] = 0;
        else if (logs[i].topics[0] == ReferenceVenue.OrderRejected.selector) reasons[n++] = abi.decode(logs[i].data, (uint8));
    }
    assembly ("memory-safe") {
        mstore(reasons, n)
    }
}
