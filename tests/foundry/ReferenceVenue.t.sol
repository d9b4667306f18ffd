// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOrderAuthorizer, Order} from "../../contracts/interfaces/IOrderAuthorizer.sol";
import {Fixture} from "./lib/Fixture.sol";

/// @dev An "account" whose consumeOrder always reverts with OrderRejected(code), whatever the code.
contract RejectingAccount {
    uint8 internal immutable code;

    constructor(uint8 aCode) {
        code = aCode;
    }

    function consumeOrder(Order calldata, bytes calldata) external view returns (address) {
        revert IOrderAuthorizer.OrderRejected(code);
    }
}

/// @title The reference venue's own rules (SPEC section 9): which refusals it passes on, and fills it
/// cannot book. The account's reasons are Authorization.t.sol's; these are the venue's.
contract ReferenceVenueTest is Fixture {
    function test_passesOnReasons1To14AndNothingElse() public {
        Order memory o = order(1);
        for (uint256 code; code <= 255; ++code) {
            uint8 expected = code >= 1 && code <= 14 ? uint8(code) : 255;
            uint8 got = settleFrom(address(new RejectingAccount(uint8(code))), o, new bytes(65));
            vm.assertEq(got, expected, "a refusal outside 1..14 (0 above all: it would read as settled) is 255");
        }
    }

    function test_aFillPastTheInt256PositionIs255AndConsumesNothing() public {
        // The owner's orders skip the scope, so one order can take the position to int256's maximum.
        Order memory first = order(1);
        first.size = uint256(type(int256).max);
        vm.assertEq(settleOne(first, sign(OWNER_PK, first)), 0, "the first fill books");
        Order memory more = order(2);
        vm.assertEq(settleOne(more, sign(OWNER_PK, more)), 255, "one more unit would wrap the position");
        vm.assertEq(venue.position(address(account), MARKET), type(int256).max, "the position is unchanged");
        vm.assertEq(reasonOf(more, sign(OWNER_PK, more)), 0, "the refused order's nonce is still unused");

        Order memory sell = order(3);
        sell.isBuy = false;
        sell.size = uint256(type(int256).max);
        vm.assertEq(settleOne(sell, sign(OWNER_PK, sell)), 0, "back to zero");
        Order memory down = order(4);
        down.isBuy = false;
        down.size = uint256(type(int256).max);
        vm.assertEq(settleOne(down, sign(OWNER_PK, down)), 0, "to -max, which int256 holds");
        Order memory under = order(5);
        under.isBuy = false;
        under.size = 2;
        vm.assertEq(settleOne(under, sign(OWNER_PK, under)), 255, "below int256's minimum");
        vm.assertEq(venue.position(address(account), MARKET), -type(int256).max, "the position is unchanged");
    }
}
