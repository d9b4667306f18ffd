// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOrderAuthorizer, Order} from "../../contracts/interfaces/IOrderAuthorizer.sol";
import {Scope, MarketLimit} from "../../contracts/interfaces/ISessionAccount.sol";
import {Fixture} from "./lib/Fixture.sol";

/// @title Fuzzed SPEC section 5: `isOrderAuthorized` returns the first failing check of the table, as an
/// independent model written from the SPEC computes it, and `consumeOrder` agrees with it.
contract AuthorizationFuzzTest is Fixture {
    uint256 internal constant KEY_PK = 0xB0B;
    uint256 internal constant OTHER_MARKET = 2;
    uint256 internal constant PRIOR_NONCE = 1000;

    struct Case {
        // Each enumeration leans towards the passing value so that later rows of the table are reached.
        uint8 signer; // mod 8: 0-4 the key, 5 the owner, 6 a stranger, 7 a bad signature
        uint8 status; // mod 8: 0-4 active, 5 revoked, 6 rotated away, 7 swept
        bool frozen; // honoured one case in four
        bool withAnyMarket;
        uint32 windowSeconds;
        uint32 maxOrders;
        uint256 maxNotional;
        uint256 maxSize;
        uint256 minPrice;
        uint256 maxPrice;
        bool priorFill; // one order of the key consumed earlier, at validAfter
        uint256 warpBy; // seconds after START
        bool otherVenue; // honoured one case in four
        uint8 market; // 0 MARKET, 1 OTHER_MARKET
        uint256 size;
        uint256 price;
        uint256 deadline;
        uint16 nonce;
        bool nonceBurnt;
    }

    /// @dev What the model remembers of the key's window: the prior fill, if any.
    struct Window {
        bool charged;
        uint256 index;
        uint256 notional;
    }

    function testFuzz_isOrderAuthorizedFollowsSection5(Case memory c) public {
        c.windowSeconds = uint32(bound(c.windowSeconds, 0, 3 days));
        c.maxOrders = uint32(bound(c.maxOrders, 0, 3));
        // Three cases in four inside the validity [START + 1 day, START + 2 days], the rest anywhere.
        c.warpBy = c.warpBy % 4 == 0 ? bound(c.warpBy, 0, 4 days) : 1 days + c.warpBy % (1 days + 1);
        c.signer = [0, 0, 0, 0, 0, 1, 2, 3][c.signer % 8];
        c.status = [0, 0, 0, 0, 0, 1, 2, 3][c.status % 8];
        c.frozen = c.frozen && c.nonce % 2 == 0;
        c.otherVenue = c.otherVenue && c.nonce % 4 < 2;
        c.nonceBurnt = c.nonceBurnt && c.deadline % 2 == 0;
        // Sizes and prices mostly near the limits, sometimes anywhere (the 2**256 boundary included).
        if (c.size % 4 != 0) c.size = bound(c.size, 0, c.maxSize < type(uint256).max ? c.maxSize + 1 : c.maxSize);
        if (c.price % 4 != 0 && c.minPrice <= c.maxPrice) c.price = bound(c.price, c.minPrice / 2, c.maxPrice < type(uint256).max ? c.maxPrice + 1 : c.maxPrice);
        Scope memory scope = _scope(c);
        address key = grant(KEY_PK, scope);
        Window memory w = _priorFill(c, scope);
        _applyStatus(c, key);
        vm.warp(START + c.warpBy);

        Order memory o = Order({
            venue: c.otherVenue ? address(0xBEEF) : address(venue),
            market: c.market % 2 == 0 ? MARKET : OTHER_MARKET,
            isBuy: c.size % 2 == 0,
            size: c.size,
            price: c.price,
            nonce: c.nonce,
            deadline: bound(c.deadline, START, START + 5 days)
        });
        uint256 pk = [KEY_PK, OWNER_PK, 0xDEAD, KEY_PK][c.signer];
        address signer = vm.addr(pk);
        if (c.nonceBurnt) {
            vm.prank(owner);
            account.invalidateNonces(signer, o.nonce >> 8, 1 << (o.nonce & 0xff));
        }
        bytes memory sig = sign(pk, o);
        if (c.signer == 3) sig[64] = bytes1(uint8(sig[64]) + 2); // v = 29 or 30

        uint8 want = _model(c, scope, w, o);
        (uint8 reason, address recovered) = account.isOrderAuthorized(o, sig);
        vm.assertEq(reason, want, "isOrderAuthorized against the model");
        vm.assertEq(recovered, want == 1 ? address(0) : signer, "recovered signer");

        vm.prank(o.venue);
        try account.consumeOrder(o, sig) returns (address consumedBy) {
            vm.assertEq(reason, 0, "consumeOrder accepted what the view refused");
            vm.assertEq(consumedBy, signer, "consumeOrder's signer");
            (uint8 again,) = account.isOrderAuthorized(o, sig);
            vm.assertEq(again, 12, "a consumed order is never authorized again");
        } catch (bytes memory err) {
            vm.assertEq(err, abi.encodeWithSelector(IOrderAuthorizer.OrderRejected.selector, reason), "same reason");
        }
    }

    function _scope(Case memory c) internal view returns (Scope memory scope) {
        scope = defaultScope();
        scope.validAfter = uint48(START + 1 days);
        scope.validUntil = uint48(START + 2 days);
        scope.windowSeconds = c.windowSeconds;
        scope.maxOrdersPerWindow = c.maxOrders;
        scope.maxNotionalPerWindow = c.maxNotional;
        scope.markets = new MarketLimit[](c.withAnyMarket ? 2 : 1);
        scope.markets[0] = MarketLimit(MARKET, c.maxSize, c.minPrice, c.maxPrice);
        if (c.withAnyMarket) scope.markets[1] = MarketLimit(ANY_MARKET, c.maxSize / 2, c.minPrice / 2, c.maxPrice / 2);
    }

    /// @dev With `priorFill`, the key consumes one small order at validAfter if the model allows it.
    function _priorFill(Case memory c, Scope memory scope) internal returns (Window memory w) {
        if (!c.priorFill) return w;
        vm.warp(scope.validAfter);
        Order memory o = order(PRIOR_NONCE);
        (o.size, o.price) = (c.maxSize / 3, c.minPrice);
        bytes memory sig = sign(KEY_PK, o);
        Case memory plain = c;
        (plain.signer, plain.status, plain.frozen, plain.otherVenue, plain.market, plain.nonceBurnt) = (0, 0, false, false, 0, false);
        uint8 want = _model(plain, scope, w, o);
        vm.assertEq(settleOne(o, sig), want, "prior fill against the model");
        if (want == 0) (w.charged, w.notional) = (true, _notional(o.size, o.price));
    }

    function _applyStatus(Case memory c, address key) internal {
        uint8 status = c.status;
        vm.startPrank(owner);
        if (status == 1) account.revokeSession(key);
        if (status == 2) account.rotateSession(key, vm.addr(0xC0C));
        if (status == 3) account.revokeAllSessions();
        if (c.frozen) account.freeze();
        vm.stopPrank();
    }

    /// @dev SPEC section 5's table, from the top; the first failing row is the reason.
    function _model(Case memory c, Scope memory scope, Window memory w, Order memory o)
        internal
        view
        returns (uint8)
    {
        uint8 who = c.signer;
        // The prior fill used the key's nonce PRIOR_NONCE.
        bool nonceUsed = c.nonceBurnt || (who == 0 && w.charged && o.nonce == PRIOR_NONCE);
        if (who == 3) return 1;
        if (who == 2) return 2;
        if (who == 1) {
            if (block.timestamp > o.deadline) return 11;
            return nonceUsed ? 12 : 0;
        }
        if (c.status != 0) return 3;
        if (c.frozen) return 4;
        if (block.timestamp < scope.validAfter) return 5;
        if (block.timestamp > scope.validUntil) return 6;
        if (o.venue != address(venue)) return 7;
        MarketLimit memory m;
        if (o.market == MARKET) m = scope.markets[0];
        else if (c.withAnyMarket) m = scope.markets[1];
        else return 8;
        if (o.size > m.maxOrderSize) return 9;
        if (o.price < m.minPrice || o.price > m.maxPrice) return 10;
        if (block.timestamp > o.deadline) return 11;
        if (nonceUsed) return 12;
        uint256 index = scope.windowSeconds == 0 ? 0 : (block.timestamp - scope.validAfter) / scope.windowSeconds;
        bool sameWindow = w.charged && w.index == index;
        if ((sameWindow ? 2 : 1) > scope.maxOrdersPerWindow) return 13;
        (bool fits, uint256 notional) = _tryNotional(o.size, o.price);
        uint256 spent = sameWindow ? w.notional : 0;
        if (!fits || notional > type(uint256).max - spent || spent + notional > scope.maxNotionalPerWindow) return 14;
        return 0;
    }

    function _notional(uint256 size, uint256 price) internal pure returns (uint256 notional) {
        (, notional) = _tryNotional(size, price);
    }

    /// @dev floor(size * price / 1e18) without a 512-bit product: with size = a*1e18 + b and
    /// price = c*1e18 + d it is a*c*1e18 + a*d + b*c + floor(b*d / 1e18), every term non-negative, so
    /// the total passes 2**256 - 1 exactly when some partial sum does.
    function _tryNotional(uint256 size, uint256 price) internal pure returns (bool fits, uint256 total) {
        (uint256 a, uint256 b, uint256 c, uint256 d) = (size / 1e18, size % 1e18, price / 1e18, price % 1e18);
        bool ok;
        uint256 term;
        (ok, term) = _mul(a, c);
        if (!ok) return (false, 0);
        (ok, total) = _mul(term, 1e18);
        if (!ok) return (false, 0);
        uint256[3] memory rest;
        (ok, rest[0]) = _mul(a, d);
        if (!ok) return (false, 0);
        (ok, rest[1]) = _mul(b, c);
        if (!ok) return (false, 0);
        rest[2] = b * d / 1e18;
        for (uint256 i; i < 3; ++i) {
            if (rest[i] > type(uint256).max - total) return (false, 0);
            total += rest[i];
        }
        return (true, total);
    }

    function _mul(uint256 x, uint256 y) internal pure returns (bool, uint256) {
        if (x == 0) return (true, 0);
        if (y > type(uint256).max / x) return (false, 0);
        return (true, x * y);
    }
}
