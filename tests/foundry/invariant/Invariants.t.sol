// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Scope} from "../../../contracts/interfaces/ISessionAccount.sol";
import {Fixture} from "../lib/Fixture.sol";
import {Handler} from "./Handler.sol";

/// @title Invariants of SPEC sections 4 to 9 under random grants, revocations, rotations, sweeps,
/// freezes, nonce invalidations, time and settled batches (runs and depth: foundry.toml [invariant]).
contract InvariantsTest is Fixture {
    Handler internal handler;

    function setUp() public override {
        super.setUp();
        address guardian = address(0x6A2D);
        vm.prank(owner);
        account.setGuardian(guardian);
        handler = new Handler(account, venue, OWNER_PK, guardian);
        targetContract(address(handler));
        bytes4[] memory actions = new bytes4[](10);
        actions[0] = Handler.grant.selector;
        actions[1] = Handler.revoke.selector;
        actions[2] = Handler.rotate.selector;
        actions[3] = Handler.revokeAll.selector;
        actions[4] = Handler.freeze.selector;
        actions[5] = Handler.unfreeze.selector;
        actions[6] = Handler.invalidate.selector;
        actions[7] = Handler.warp.selector;
        actions[8] = Handler.settle.selector;
        actions[9] = Handler.settle.selector; // settling twice as often as anything else
        targetSelector(FuzzSelector(address(handler), actions));
    }

    function invariant_noOrderConsumesTwice() public view {
        vm.assertEq(handler.doubleConsumes(), 0, "a (signer, nonce) settled twice, or after its invalidation");
    }

    function invariant_revokedRotatedOrSweptKeysNeverConsume() public view {
        vm.assertEq(handler.deadKeyConsumes(), 0, "a dead or frozen key's order settled");
    }

    function invariant_windowCountAndNotionalStayWithinCaps() public view {
        vm.assertEq(handler.capOverruns(), 0, "settled fills passed a window's cap");
        for (uint256 i; i < handler.KEYS(); ++i) {
            address key = handler.keyAt(i);
            if (handler.statusOf(key) == Handler.Status.None) continue;
            (, Scope memory scope,, uint256 orders, uint256 notional,) = account.getSession(key);
            vm.assertLe(orders, scope.maxOrdersPerWindow, "getSession: window orders past the cap");
            vm.assertLe(notional, scope.maxNotionalPerWindow, "getSession: window notional past the cap");
        }
    }

    function invariant_isOrderAuthorizedAgreesWithConsumeOrder() public view {
        vm.assertEq(handler.viewConsumeDisagreements(), 0, "the view, consumeOrder and the venue disagree");
        vm.assertEq(handler.modelDisagreements(), 0, "isOrderAuthorized differs from the ghost model");
    }

    function invariant_venuePositionsEqualSettledFills() public view {
        for (uint256 m; m < handler.MARKETS(); ++m) {
            vm.assertEq(venue.position(address(account), m), handler.ghostPosition(m), "position != sum of fills");
        }
    }
}
