// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../../../contracts/interfaces/IOrderAuthorizer.sol";
import {Scope} from "../../../contracts/interfaces/ISessionAccount.sol";
import {Fixture} from "../lib/Fixture.sol";
import {MinimalVenue} from "./MinimalVenue.sol";

/// @dev An "account" that misbehaves in consumeOrder as `mode` says.
contract LyingAccount {
    uint8 public mode;
    MinimalVenue internal venue;

    constructor(uint8 aMode, MinimalVenue aVenue) {
        (mode, venue) = (aMode, aVenue);
    }

    function consumeOrder(Order calldata order, bytes calldata signature) external returns (address) {
        if (mode == 0) revert("no");
        if (mode == 1) _raw(abi.encodeWithSignature("OrderRejected(uint8)", uint8(0)), false); // reason 0 as a refusal
        if (mode == 2) _raw(abi.encodeWithSignature("OrderRejected(uint8)", uint8(200)), false); // no such reason
        if (mode == 3) _raw("", true); // success without a signer
        if (mode == 4) _raw(abi.encode(type(uint256).max), true); // a dirty address
        if (mode == 5) _raw(new bytes(100_000), true); // a huge return
        if (mode == 6) while (true) {} // burns all the gas it gets
        venue.fill(address(this), order, signature); // mode 7: re-enters the venue
        return address(this);
    }

    function _raw(bytes memory data, bool success) internal pure {
        assembly ("memory-safe") {
            if success { return(add(data, 0x20), mload(data)) }
            revert(add(data, 0x20), mload(data))
        }
    }
}

/// @title The integration kit's venue (docs/integrating.md) against a real account and lying ones.
contract MinimalVenueTest is Fixture {
    uint256 internal constant KEY_PK = 0xB0B;
    MinimalVenue internal kit;

    function setUp() public override {
        super.setUp();
        kit = new MinimalVenue();
        // The key may trade on the kit's venue (defaultScope lists the reference venue; add ours).
        _grantForKit();
    }

    function _grantForKit() internal {
        vm.prank(owner);
        account.grantSession(vm.addr(KEY_PK), _kitScope());
    }

    function _kitScope() internal view returns (Scope memory s) {
        s = defaultScope();
        s.venues[0] = address(kit);
    }

    function _order(uint256 nonce) internal view returns (Order memory o) {
        o = order(nonce);
        o.venue = address(kit);
    }

    function test_fillsASessionKeyOrderAndBooksIt() public {
        Order memory o = _order(1);
        vm.assertEq(kit.fill(address(account), o, sign(KEY_PK, o)), 0, "filled");
        vm.assertEq(kit.position(address(account), MARKET), int256(o.size), "booked");
        vm.assertEq(account.nonceBitmap(vm.addr(KEY_PK), 0), 1 << 1, "consumed on the account");
    }

    function test_decodesTheAccountsReasonAndConsumesNothing() public {
        Order memory o = _order(1);
        o.size = 11e18; // over maxOrderSize
        vm.assertEq(kit.fill(address(account), o, sign(KEY_PK, o)), 9, "OrderTooLarge");
        vm.assertEq(kit.position(address(account), MARKET), 0, "nothing booked");
        vm.assertEq(account.nonceBitmap(vm.addr(KEY_PK), 0), 0, "nonce still free");
    }

    function test_orderForAnotherVenueIs255() public {
        Order memory o = order(1); // names the reference venue
        vm.assertEq(kit.fill(address(account), o, sign(KEY_PK, o)), 255, "CallerNotVenue");
    }

    function test_unbookableFillIs255AndConsumesNothing() public {
        Order memory o = _order(1);
        o.size = uint256(type(int256).max) + 1;
        vm.assertEq(kit.fill(address(account), o, sign(OWNER_PK, o)), 255, "size past int256");
        vm.assertEq(account.nonceBitmap(owner, 0), 0, "nonce still free");
    }

    function test_addressWithoutCodeIs255() public {
        Order memory o = _order(1);
        vm.assertEq(kit.fill(address(0xC0DE), o, ""), 255, "no code");
    }

    function test_lyingAccountsAre255() public {
        Order memory o = _order(1);
        for (uint8 mode; mode < 8; ++mode) {
            LyingAccount liar = new LyingAccount(mode, kit);
            uint256 gasBefore = gasleft();
            vm.assertEq(kit.fill(address(liar), o, ""), 255, "a lie is CALL_FAILED");
            vm.assertLe(gasBefore - gasleft(), kit.CONSUME_GAS() + 100_000, "the cap bounds a hostile account's gas");
            vm.assertEq(kit.position(address(liar), MARKET), 0, "nothing booked");
        }
    }
}
