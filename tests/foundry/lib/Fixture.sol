// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";

import {AccountFactory} from "../../../contracts/AccountFactory.sol";
import {ReferenceVenue, SignedOrder} from "../../../contracts/ReferenceVenue.sol";
import {Order} from "../../../contracts/interfaces/IOrderAuthorizer.sol";
import {ISessionAccount, Scope, MarketLimit, CallPermission} from "../../../contracts/interfaces/ISessionAccount.sol";
import {Test} from "./Test.sol";
import {venueReasons} from "./VenueLogs.sol";
import {Vm} from "./Vm.sol";

/// @title An account deployed the way users get one (the factory's clone), a venue, and signing helpers.
/// @dev Only the public ABI (SPEC sections 7 to 9) is used, so the tests hold whatever the storage layout.
abstract contract Fixture is Test {
    uint256 internal constant OWNER_PK = 0xA11CE;
    uint256 internal constant ANY_MARKET = type(uint256).max;
    uint256 internal constant MARKET = 1;
    /// @dev No test path sends a user operation, so any address stands in for the EntryPoint.
    address internal constant ENTRY_POINT = address(0xE4E4);
    uint256 internal constant START = 1_750_000_000;

    AccountFactory internal factory;
    ISessionAccount internal account;
    ReferenceVenue internal venue;
    address internal owner;

    function setUp() public virtual {
        vm.warp(START);
        owner = vm.addr(OWNER_PK);
        factory = new AccountFactory(IEntryPoint(ENTRY_POINT));
        account = ISessionAccount(factory.createAccount(owner, bytes32(0)));
        venue = new ReferenceVenue();
    }

    /// @dev A scope for `venue` and MARKET, valid from now for a day, with hourly windows.
    function defaultScope() internal view returns (Scope memory scope) {
        scope.validAfter = uint48(block.timestamp);
        scope.validUntil = uint48(block.timestamp + 1 days);
        scope.venues = new address[](1);
        scope.venues[0] = address(venue);
        scope.markets = new MarketLimit[](1);
        scope.markets[0] = MarketLimit({market: MARKET, maxOrderSize: 10e18, minPrice: 1e18, maxPrice: 5_000e18});
        scope.maxNotionalPerWindow = 20_000e18;
        scope.maxOrdersPerWindow = 5;
        scope.windowSeconds = 1 hours;
        scope.maxGasFee = 0;
        scope.calls = new CallPermission[](0);
    }

    function grant(uint256 keyPk, Scope memory scope) internal returns (address key) {
        key = vm.addr(keyPk);
        vm.prank(owner);
        account.grantSession(key, scope);
    }

    /// @dev An order within defaultScope: 1 base unit at price 100.
    function order(uint256 nonce) internal view returns (Order memory o) {
        o = Order({
            venue: address(venue),
            market: MARKET,
            isBuy: true,
            size: 1e18,
            price: 100e18,
            nonce: nonce,
            deadline: block.timestamp + 1 hours
        });
    }

    function sign(uint256 pk, Order memory o) internal view returns (bytes memory) {
        return signOn(account, pk, o);
    }

    function signOn(ISessionAccount on, uint256 pk, Order memory o) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, on.orderDigest(o));
        return abi.encodePacked(r, s, v);
    }

    function reasonOf(Order memory o, bytes memory signature) internal view returns (uint8 reason) {
        (reason,) = account.isOrderAuthorized(o, signature);
    }

    /// @dev Settles one order through the reference venue and returns the reason it emitted (0: settled).
    function settleOne(Order memory o, bytes memory signature) internal returns (uint8) {
        return settleFrom(address(account), o, signature);
    }

    /// @dev settleOne for an order of `from`, which need not be an aa-auth account.
    function settleFrom(address from, Order memory o, bytes memory signature) internal returns (uint8) {
        SignedOrder[] memory batch = new SignedOrder[](1);
        batch[0] = SignedOrder(from, o, signature);
        vm.recordLogs();
        venue.settle(batch);
        return venueReasons(address(venue), vm.getRecordedLogs())[0];
    }
}
