// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../../contracts/interfaces/IOrderAuthorizer.sol";
import {SignedOrder} from "../../contracts/ReferenceVenue.sol";
import {Fixture} from "./lib/Fixture.sol";

/// @title The gas of SPEC's hot paths, one operation a test, pinned in .gas-snapshot.
/// @dev `forge snapshot --match-contract GasTest` rewrites the file; tests/foundry/test_forge.py runs
/// `forge snapshot --check` on it, so a change of any figure fails until the new one is committed.
/// Orders are signed in setUp so that each test's gas is the operation's (plus its calldata copying).
contract GasTest is Fixture {
    uint256 internal constant KEY_PK = 0xB0B;
    SignedOrder[] internal batch;
    SignedOrder[] internal single;
    SignedOrder[] internal ownerOrder;

    function setUp() public override {
        super.setUp();
        grant(KEY_PK, defaultScope());
        for (uint256 i; i < 5; ++i) {
            Order memory o = order(i);
            batch.push(SignedOrder(address(account), o, sign(KEY_PK, o)));
        }
        Order memory next = order(100);
        single.push(SignedOrder(address(account), next, sign(KEY_PK, next)));
        ownerOrder.push(SignedOrder(address(account), next, sign(OWNER_PK, next)));
    }

    function test_gas_settleFirstOrderOfAKey() public {
        venue.settle(single);
    }

    function test_gas_settleBatchOfFive() public {
        venue.settle(batch);
    }

    function test_gas_settleOrderInAChargedWindow() public {
        SignedOrder[] memory first = new SignedOrder[](1);
        first[0] = batch[0];
        venue.settle(first);
        venue.settle(single);
    }

    function test_gas_settleOwnerOrder() public {
        venue.settle(ownerOrder);
    }

    function test_gas_isOrderAuthorized() public view {
        account.isOrderAuthorized(single[0].order, single[0].signature);
    }

    function test_gas_consumeOrderDirect() public {
        vm.prank(address(venue));
        account.consumeOrder(single[0].order, single[0].signature);
    }

    function test_gas_grantSession() public {
        vm.prank(owner);
        account.grantSession(vm.addr(0xC0C), defaultScope());
    }

    function test_gas_revokeSession() public {
        vm.prank(owner);
        account.revokeSession(vm.addr(KEY_PK));
    }

    function test_gas_rotateSession() public {
        vm.prank(owner);
        account.rotateSession(vm.addr(KEY_PK), vm.addr(0xC0C));
    }

    function test_gas_revokeAllSessions() public {
        vm.prank(owner);
        account.revokeAllSessions();
    }

    function test_gas_createAccount() public {
        factory.createAccount(address(0x1234), bytes32(uint256(1)));
    }
}
