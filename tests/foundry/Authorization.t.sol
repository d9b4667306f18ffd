// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOrderAuthorizer, Order} from "../../contracts/interfaces/IOrderAuthorizer.sol";
import {Scope, MarketLimit} from "../../contracts/interfaces/ISessionAccount.sol";
import {Fixture} from "./lib/Fixture.sol";

/// @title SPEC section 5 on the account as the factory deploys it: each reason code alone, then a fuzzed
/// comparison of `isOrderAuthorized` and `consumeOrder` with an independent model of the table.
contract AuthorizationTest is Fixture {
    uint256 internal constant KEY_PK = 0xB0B;
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    address internal key;

    function setUp() public override {
        super.setUp();
        key = grant(KEY_PK, defaultScope());
    }

    // ------------------------------------------------------------ one reason at a time

    function test_authorizedOrderSettlesAndConsumesItsNonce() public {
        Order memory o = order(7);
        bytes memory sig = sign(KEY_PK, o);
        (uint8 reason, address signer) = account.isOrderAuthorized(o, sig);
        vm.assertEq(reason, 0, "authorized");
        vm.assertEq(signer, key, "signer");
        vm.assertEq(settleOne(o, sig), 0, "settled");
        vm.assertEq(venue.position(address(account), MARKET), int256(1e18), "position booked");
        vm.assertEq(account.nonceBitmap(key, 0), 1 << 7, "nonce 7 used");
        vm.assertEq(reasonOf(o, sig), 12, "replay is NonceAlreadyUsed");
        vm.assertEq(settleOne(o, sig), 12, "the venue reports the replay");
    }

    function test_reason1_signatureNot65Bytes() public view {
        bytes memory sig = sign(KEY_PK, order(0));
        (uint8 reason, address signer) = account.isOrderAuthorized(order(0), abi.encodePacked(sig, uint8(0)));
        vm.assertEq(reason, 1, "66 bytes");
        vm.assertEq(signer, address(0), "no signer for reason 1");
        vm.assertEq(reasonOf(order(0), new bytes(64)), 1, "64 bytes");
        vm.assertEq(reasonOf(order(0), ""), 1, "empty");
    }

    function test_reason1_highS() public view {
        Order memory o = order(0);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(KEY_PK, account.orderDigest(o));
        // The same point's other signature: (r, n - s, v ^ 1) recovers the same key on plain ecrecover.
        bytes memory malleated = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.assertEq(reasonOf(o, malleated), 1, "high s refused");
    }

    function test_reason1_vNot27or28() public view {
        Order memory o = order(0);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(KEY_PK, account.orderDigest(o));
        vm.assertEq(reasonOf(o, abi.encodePacked(r, s, v - 27)), 1, "v in {0,1}");
    }

    function test_reason2_unknownSigner() public view {
        vm.assertEq(reasonOf(order(0), sign(0xDEAD, order(0))), 2, "never granted");
    }

    function test_reason3_revokedByOwner() public {
        vm.prank(owner);
        account.revokeSession(key);
        vm.assertEq(reasonOf(order(0), sign(KEY_PK, order(0))), 3, "revoked");
    }

    function test_reason3_revokedByItsOwnSignature() public {
        bytes32 structHash = keccak256(abi.encode(keccak256("RevokeSession(address key)"), key));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(KEY_PK, _typedDigest(structHash));
        account.revokeSessionWithSig(key, abi.encodePacked(r, s, v));
        vm.assertEq(reasonOf(order(0), sign(KEY_PK, order(0))), 3, "self-revoked");
    }

    function test_reason3_rotatedAway() public {
        address next = vm.addr(0xC0C);
        vm.prank(owner);
        account.rotateSession(key, next);
        vm.assertEq(reasonOf(order(0), sign(KEY_PK, order(0))), 3, "old key");
        vm.assertEq(reasonOf(order(0), sign(0xC0C, order(0))), 0, "new key inherits the scope");
    }

    function test_reason3_sweptByRevokeAll() public {
        vm.prank(owner);
        account.revokeAllSessions();
        vm.assertEq(reasonOf(order(0), sign(KEY_PK, order(0))), 3, "swept");
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSignature("KeyAlreadyGranted(address)", key));
        account.grantSession(key, defaultScope());
    }

    function test_reason4_frozenStopsKeysNotTheOwner() public {
        vm.prank(owner);
        account.freeze();
        vm.assertEq(reasonOf(order(0), sign(KEY_PK, order(0))), 4, "frozen");
        vm.assertEq(reasonOf(order(0), sign(OWNER_PK, order(0))), 0, "the owner is not stopped");
    }

    function test_reason5_and_6_validityWindowIsInclusive() public {
        Scope memory scope = defaultScope();
        scope.validAfter = uint48(block.timestamp + 100);
        scope.validUntil = uint48(block.timestamp + 200);
        grant(0xC0C, scope);
        Order memory o = order(0);
        o.deadline = block.timestamp + 1000;
        bytes memory sig = sign(0xC0C, o);
        vm.warp(START + 99);
        vm.assertEq(reasonOf(o, sig), 5, "before validAfter");
        vm.warp(START + 100);
        vm.assertEq(reasonOf(o, sig), 0, "at validAfter");
        vm.warp(START + 200);
        vm.assertEq(reasonOf(o, sig), 0, "at validUntil");
        vm.warp(START + 201);
        vm.assertEq(reasonOf(o, sig), 6, "after validUntil");
    }

    function test_reason7_venueNotListed() public view {
        Order memory o = order(0);
        o.venue = address(0xBEEF);
        vm.assertEq(reasonOf(o, sign(KEY_PK, o)), 7, "other venue");
    }

    function test_reason8_marketWithoutEntry() public view {
        Order memory o = order(0);
        o.market = 2;
        vm.assertEq(reasonOf(o, sign(KEY_PK, o)), 8, "no entry, no ANY_MARKET");
    }

    function test_anyMarketEntryAppliesOnlyWithoutAnOwnEntry() public {
        Scope memory scope = defaultScope();
        MarketLimit memory own = scope.markets[0];
        scope.markets = new MarketLimit[](2);
        scope.markets[0] = MarketLimit({market: ANY_MARKET, maxOrderSize: 100e18, minPrice: 0, maxPrice: type(uint256).max});
        scope.markets[1] = own;
        grant(0xC0C, scope);
        Order memory o = order(0);
        o.size = 50e18; // above MARKET's own 10e18, within ANY_MARKET's
        vm.assertEq(reasonOf(o, sign(0xC0C, o)), 9, "MARKET uses its own entry");
        o.market = 2;
        vm.assertEq(reasonOf(o, sign(0xC0C, o)), 0, "market 2 falls back to ANY_MARKET");
    }

    function test_reason9_orderTooLarge() public view {
        Order memory o = order(0);
        o.size = 10e18;
        vm.assertEq(reasonOf(o, sign(KEY_PK, o)), 0, "at maxOrderSize");
        o.size = 10e18 + 1;
        vm.assertEq(reasonOf(o, sign(KEY_PK, o)), 9, "above maxOrderSize");
    }

    function test_reason10_priceBand() public view {
        Order memory o = order(0);
        o.price = 1e18 - 1;
        vm.assertEq(reasonOf(o, sign(KEY_PK, o)), 10, "below minPrice");
        o.price = 5_000e18 + 1;
        vm.assertEq(reasonOf(o, sign(KEY_PK, o)), 10, "above maxPrice");
        o.price = 5_000e18;
        vm.assertEq(reasonOf(o, sign(KEY_PK, o)), 0, "at maxPrice");
    }

    function test_reason11_orderExpired() public {
        Order memory o = order(0);
        bytes memory sig = sign(KEY_PK, o);
        vm.warp(o.deadline);
        vm.assertEq(reasonOf(o, sig), 0, "at the deadline");
        vm.warp(o.deadline + 1);
        vm.assertEq(reasonOf(o, sig), 11, "past the deadline");
        vm.assertEq(reasonOf(o, sign(OWNER_PK, o)), 11, "binds the owner too");
    }

    function test_reason12_invalidatedNonce() public {
        vm.prank(owner);
        account.invalidateNonces(key, 1, 1 << 4); // nonce 256 + 4
        vm.assertEq(reasonOf(order(260), sign(KEY_PK, order(260))), 12, "burnt");
        vm.assertEq(reasonOf(order(4), sign(KEY_PK, order(4))), 0, "another word is untouched");
        vm.assertEq(reasonOf(order(260), sign(OWNER_PK, order(260))), 0, "another signer's space");
    }

    function test_reason13_rateLimitPerWindowThenReset() public {
        for (uint256 i; i < 5; ++i) {
            vm.assertEq(settleOne(order(i), sign(KEY_PK, order(i))), 0, "within the cap");
        }
        vm.assertEq(settleOne(order(5), sign(KEY_PK, order(5))), 13, "sixth order of the window");
        vm.warp(START + 1 hours);
        vm.assertEq(settleOne(order(5), sign(KEY_PK, order(5))), 0, "next window");
    }

    function test_reason13_lifetimeWindowWhenWindowSecondsIsZero() public {
        Scope memory scope = defaultScope();
        scope.windowSeconds = 0;
        scope.maxOrdersPerWindow = 1;
        grant(0xC0C, scope);
        vm.assertEq(settleOne(order(0), sign(0xC0C, order(0))), 0, "first");
        vm.warp(START + 20 hours);
        vm.assertEq(settleOne(order(1), sign(0xC0C, order(1))), 13, "one window for the whole session");
    }

    function test_reason14_notionalCap() public {
        Order memory o = order(0);
        o.size = 4e18;
        o.price = 5_000e18; // notional 20,000: exactly the cap
        vm.assertEq(settleOne(o, sign(KEY_PK, o)), 0, "at the cap");
        Order memory more = order(1);
        more.size = 1;
        more.price = 1e18; // notional: 1 wei
        vm.assertEq(settleOne(more, sign(KEY_PK, more)), 14, "one wei past the cap");
        vm.warp(START + 1 hours);
        vm.assertEq(settleOne(more, sign(KEY_PK, more)), 0, "the next window starts from zero");
    }

    function test_reason14_notionalOverflowAt2pow256() public {
        Scope memory scope = defaultScope();
        scope.markets[0] = MarketLimit(MARKET, type(uint256).max, 0, type(uint256).max);
        scope.maxNotionalPerWindow = type(uint256).max;
        grant(0xC0C, scope);
        Order memory o = order(0);
        // size * price / 1e18 == 2**256 - 1 exactly fits (the product needs 512 bits).
        o.size = type(uint256).max;
        o.price = 1e18;
        vm.assertEq(reasonOf(o, sign(0xC0C, o)), 0, "notional 2**256 - 1 fits");
        o.price = 1e18 + 1;
        vm.assertEq(reasonOf(o, sign(0xC0C, o)), 14, "notional past 2**256 - 1");
        o.price = 1e18;
        vm.assertEq(settleOne(o, sign(0xC0C, o)), 255, "the venue cannot book a size past int256");
        o.size = uint256(type(int256).max);
        o.price = 2e18;
        vm.assertEq(settleOne(o, sign(0xC0C, o)), 0, "window total 2**256 - 2");
        o.nonce = 1;
        o.size = 1e18;
        o.isBuy = false;
        vm.assertEq(reasonOf(o, sign(0xC0C, o)), 14, "window total would pass 2**256 - 1");
    }

    function test_ownerSkipsScopeChecksButNotDeadlineOrNonce() public {
        Order memory o = order(0);
        o.venue = address(venue);
        o.market = 99;
        o.size = type(uint128).max;
        o.price = 0;
        vm.assertEq(settleOne(o, sign(OWNER_PK, o)), 0, "owner order outside any scope");
        vm.assertEq(settleOne(o, sign(OWNER_PK, o)), 12, "but once");
    }

    function test_consumeOrderOnlyByTheOrdersVenue() public {
        Order memory o = order(0);
        bytes memory sig = sign(KEY_PK, o);
        vm.expectRevert(IOrderAuthorizer.CallerNotVenue.selector);
        account.consumeOrder(o, sig);
        o.venue = address(0xBEEF);
        vm.prank(address(venue));
        vm.expectRevert(IOrderAuthorizer.CallerNotVenue.selector);
        account.consumeOrder(o, sig);
    }

    function test_consumeOrderRevertsWithTheReason() public {
        Order memory o = order(0);
        o.size = 11e18;
        bytes memory sig = sign(KEY_PK, o);
        vm.prank(address(venue));
        vm.expectRevert(abi.encodeWithSelector(IOrderAuthorizer.OrderRejected.selector, uint8(9)));
        account.consumeOrder(o, sig);
    }

    function _typedDigest(bytes32 structHash) internal view returns (bytes32) {
        bytes32 separator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("AA Auth Account"),
                keccak256("1"),
                block.chainid,
                address(account)
            )
        );
        return keccak256(abi.encodePacked(hex"1901", separator, structHash));
    }
}
