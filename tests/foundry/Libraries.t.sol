// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../../contracts/interfaces/IOrderAuthorizer.sol";
import {ISessionAccount, Scope, MarketLimit, CallPermission} from "../../contracts/interfaces/ISessionAccount.sol";
import {AccountStorage} from "../../contracts/libraries/AccountStorage.sol";
import {CallPermissions} from "../../contracts/libraries/CallPermissions.sol";
import {NonceBitmap} from "../../contracts/libraries/NonceBitmap.sol";
import {OrderHash} from "../../contracts/libraries/OrderHash.sol";
import {ScopeBlob} from "../../contracts/libraries/ScopeBlob.sol";
import {ScopeLib} from "../../contracts/libraries/ScopeLib.sol";
import {ScopeStore} from "../../contracts/libraries/ScopeStore.sol";
import "../../contracts/libraries/TypeHashes.sol" as TypeHashes;
import {Fixture} from "./lib/Fixture.sol";
import {Test} from "./lib/Test.sol";

/// @dev The libraries' internal functions behind external calls, so tests pass calldata and catch reverts.
contract LibraryHarness {
    using NonceBitmap for mapping(uint256 => uint256);

    mapping(uint256 => uint256) internal bitmap;

    function use(uint256 nonce) external {
        bitmap.use(nonce);
    }

    function isUsed(uint256 nonce) external view returns (bool) {
        return bitmap.isUsed(nonce);
    }

    function word(uint256 index) external view returns (uint256) {
        return bitmap[index];
    }

    function encode(Scope calldata scope) external pure returns (bytes memory) {
        return ScopeBlob.encode(scope);
    }

    function validate(Scope calldata scope) external pure {
        ScopeLib.validate(scope);
    }

    function permit(address key, CallPermission calldata permission) external {
        CallPermissions.write(key, permission);
    }

    function allows(address key, address account, address target, uint256 value, bytes calldata data)
        external
        view
        returns (bool)
    {
        return CallPermissions.allows(key, account, target, value, data);
    }

    function store(address key, bytes calldata data) external returns (address) {
        return ScopeStore.create(key, data);
    }

    function load(address pointer) external view returns (bytes memory) {
        return ScopeStore.read(pointer);
    }

    function orderHash(Order calldata o) external pure returns (bytes32) {
        return OrderHash.hash(o);
    }

    function orderDigest(Order calldata o, address account) external view returns (bytes32) {
        return OrderHash.digest(o, account);
    }
}

contract NonceBitmapTest is Test {
    LibraryHarness internal h = new LibraryHarness();

    function testFuzz_positionIsWordAndBit(uint256 nonce) public pure {
        (uint256 w, uint256 bit) = NonceBitmap.position(nonce);
        vm.assertEq(w, nonce / 256, "word");
        vm.assertEq(bit, 2 ** (nonce % 256), "bit");
    }

    function testFuzz_useMarksOnlyItsOwnBit(uint256 nonce, uint256 other) public {
        vm.assume(other != nonce);
        vm.assertFalse(h.isUsed(nonce), "fresh");
        h.use(nonce);
        vm.assertTrue(h.isUsed(nonce), "used");
        vm.assertFalse(h.isUsed(other), "another nonce stays unused");
        vm.assertEq(h.word(nonce >> 8), 1 << (nonce & 0xff), "exactly one bit in the word");
        h.use(nonce);
        vm.assertEq(h.word(nonce >> 8), 1 << (nonce & 0xff), "using twice changes nothing");
    }
}

contract TypeHashesTest is Test {
    function test_constantsAreTheHashesOfSection3() public pure {
        string memory scope = "Scope(uint48 validAfter,uint48 validUntil,address[] venues,MarketLimit[] markets,uint256 maxNotionalPerWindow,uint32 maxOrdersPerWindow,uint32 windowSeconds,uint256 maxGasFee,CallPermission[] calls)";
        string memory call = "CallPermission(address target,bytes4 selector,uint256 maxValue)";
        string memory market = "MarketLimit(uint256 market,uint256 maxOrderSize,uint256 minPrice,uint256 maxPrice)";
        vm.assertEq(TypeHashes.ORDER_TYPEHASH, keccak256("Order(address venue,uint256 market,bool isBuy,uint256 size,uint256 price,uint256 nonce,uint256 deadline)"), "Order");
        vm.assertEq(TypeHashes.MARKET_LIMIT_TYPEHASH, keccak256(bytes(market)), "MarketLimit");
        vm.assertEq(TypeHashes.CALL_PERMISSION_TYPEHASH, keccak256(bytes(call)), "CallPermission");
        vm.assertEq(TypeHashes.SCOPE_TYPEHASH, keccak256(abi.encodePacked(scope, call, market)), "Scope");
        vm.assertEq(
            TypeHashes.SESSION_GRANT_TYPEHASH,
            keccak256(abi.encodePacked("SessionGrant(address key,Scope scope,uint256 nonce,uint256 deadline)", call, market, scope)),
            "SessionGrant"
        );
        vm.assertEq(TypeHashes.REVOKE_SESSION_TYPEHASH, keccak256("RevokeSession(address key)"), "RevokeSession");
        vm.assertEq(TypeHashes.AA_AUTH_MESSAGE_TYPEHASH, keccak256("AAAuthMessage(bytes32 hash)"), "AAAuthMessage");
        vm.assertEq(TypeHashes.DOMAIN_TYPEHASH, keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"), "domain");
        vm.assertEq(TypeHashes.DOMAIN_NAME_HASH, keccak256("AA Auth Account"), "name");
        vm.assertEq(TypeHashes.DOMAIN_VERSION_HASH, keccak256("1"), "version");
    }
}

contract OrderHashTest is Fixture {
    LibraryHarness internal h;

    function setUp() public override {
        super.setUp();
        h = new LibraryHarness();
    }

    function testFuzz_digestIsTheAccountsOrderDigest(Order memory o) public view {
        vm.assertEq(h.orderDigest(o, address(account)), account.orderDigest(o), "venue-side digest");
        bytes32 structHash = keccak256(
            abi.encode(TypeHashes.ORDER_TYPEHASH, o.venue, o.market, o.isBuy, o.size, o.price, o.nonce, o.deadline)
        );
        vm.assertEq(h.orderHash(o), structHash, "hashStruct(Order)");
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = account.eip712Domain();
        bytes32 separator = keccak256(
            abi.encode(TypeHashes.DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifying)
        );
        vm.assertEq(account.orderDigest(o), keccak256(abi.encodePacked(hex"1901", separator, structHash)), "EIP-712");
    }

    function testFuzz_digestBindsTheAccount(Order memory o, address other) public view {
        vm.assume(other != address(account));
        vm.assertTrue(h.orderDigest(o, other) != account.orderDigest(o), "another account, another digest");
    }
}

contract ScopeTest is Test {
    LibraryHarness internal h = new LibraryHarness();
    address internal constant ACCOUNT = address(0xACC);

    /// @dev A valid scope whose lists come from the fuzzer (at most 4 entries each, one per key).
    function scopeFrom(Scope memory raw) internal pure returns (Scope memory s) {
        s = raw;
        if (s.validUntil == 0) s.validUntil = 1;
        if (s.validAfter > s.validUntil) (s.validAfter, s.validUntil) = (s.validUntil, s.validAfter);
        if (s.venues.length > 4) _truncate(s.venues, 4);
        MarketLimit[] memory markets = new MarketLimit[](s.markets.length > 4 ? 4 : s.markets.length);
        for (uint256 i; i < markets.length; ++i) {
            markets[i] = s.markets[i];
            markets[i].market = i == 3 ? type(uint256).max : uint256(keccak256(abi.encode(s.markets[i].market, i)));
        }
        s.markets = markets;
        CallPermission[] memory calls = new CallPermission[](s.calls.length > 4 ? 4 : s.calls.length);
        for (uint256 i; i < calls.length; ++i) {
            calls[i] = s.calls[i];
            calls[i].target = address(uint160(uint256(keccak256(abi.encode(s.calls[i].target, i)))));
        }
        s.calls = calls;
    }

    function _truncate(address[] memory list, uint256 length) private pure {
        assembly ("memory-safe") {
            mstore(list, length)
        }
    }

    function testFuzz_blobRoundTripsAndReadersSeeTheFields(Scope memory raw) public view {
        Scope memory s = scopeFrom(raw);
        bytes memory blob = h.encode(s);
        vm.assertEq(abi.encode(ScopeBlob.decode(blob)), abi.encode(s), "decode(encode(scope))");
        vm.assertEq(ScopeBlob.validAfter(blob), s.validAfter, "validAfter");
        vm.assertEq(ScopeBlob.validUntil(blob), s.validUntil, "validUntil");
        vm.assertEq(ScopeBlob.maxOrdersPerWindow(blob), s.maxOrdersPerWindow, "maxOrdersPerWindow");
        vm.assertEq(ScopeBlob.windowSeconds(blob), s.windowSeconds, "windowSeconds");
        vm.assertEq(ScopeBlob.maxNotionalPerWindow(blob), s.maxNotionalPerWindow, "maxNotionalPerWindow");
        for (uint256 i; i < s.venues.length; ++i) {
            vm.assertTrue(ScopeBlob.allowsVenue(blob, s.venues[i]), "listed venue");
        }
        for (uint256 i; i < s.markets.length; ++i) {
            (bool found, uint256 size, uint256 lo, uint256 hi) = ScopeBlob.marketLimit(blob, s.markets[i].market);
            vm.assertTrue(found, "listed market");
            vm.assertEq(abi.encode(size, lo, hi), abi.encode(s.markets[i].maxOrderSize, s.markets[i].minPrice, s.markets[i].maxPrice), "its own entry");
        }
    }

    function testFuzz_unlistedMarketUsesAnyMarketOrNothing(Scope memory raw, uint256 market) public view {
        Scope memory s = scopeFrom(raw);
        for (uint256 i; i < s.markets.length; ++i) vm.assume(s.markets[i].market != market);
        (bool found, uint256 size,,) = ScopeBlob.marketLimit(h.encode(s), market);
        vm.assertEq(found, s.markets.length == 4, "only the ANY_MARKET entry (the fourth) applies");
        if (found) vm.assertEq(size, s.markets[3].maxOrderSize, "ANY_MARKET's limits");
    }

    function testFuzz_unlistedVenueIsRefused(Scope memory raw, address venue) public view {
        Scope memory s = scopeFrom(raw);
        for (uint256 i; i < s.venues.length; ++i) vm.assume(s.venues[i] != venue);
        vm.assertFalse(ScopeBlob.allowsVenue(h.encode(s), venue), "unlisted venue");
    }

    function test_allowsCallRulesOfSection4() public {
        address key = address(0xC0FFEE);
        h.permit(key, CallPermission(address(0x7), bytes4(0xa9059cbb), 0));
        h.permit(key, CallPermission(address(0x8), bytes4(0), 1 ether));
        h.permit(key, CallPermission(ACCOUNT, bytes4(0xa9059cbb), 0));
        vm.assertTrue(h.allows(key, ACCOUNT, address(0x7), 0, hex"a9059cbb00"), "exact (target, selector)");
        vm.assertFalse(h.allows(key, ACCOUNT, address(0x7), 1, hex"a9059cbb"), "value above maxValue");
        vm.assertFalse(h.allows(key, ACCOUNT, address(0x9), 0, hex"a9059cbb"), "other target");
        vm.assertFalse(h.allows(key, ACCOUNT, address(0x7), 0, hex"a9059cbc"), "other selector");
        vm.assertTrue(h.allows(key, ACCOUNT, address(0x8), 1 ether, ""), "selector 0: a plain transfer");
        vm.assertFalse(h.allows(key, ACCOUNT, address(0x8), 0, hex"00000000"), "selector 0 is empty calldata only");
        vm.assertFalse(h.allows(key, ACCOUNT, address(0x8), 0, hex"000000"), "1 to 3 bytes match nothing");
        vm.assertFalse(h.allows(key, ACCOUNT, address(0x7), 0, hex"a9059c"), "a short selector matches nothing");
        vm.assertFalse(h.allows(key, ACCOUNT, ACCOUNT, 0, hex"a9059cbb"), "never the account itself");
        vm.assertFalse(h.allows(address(0xBAD), ACCOUNT, address(0x7), 0, hex"a9059cbb"), "another key's permission");
    }

    /// @dev maxValue + 1 is the word, so maxValue near 2**256 takes the second word: value <= maxValue
    /// stays exact over all of uint256.
    function testFuzz_allowsExactlyUpToMaxValue(uint256 maxValue, uint256 value) public {
        address key = address(0xC0FFEE);
        address target = address(0x7);
        h.permit(key, CallPermission(target, bytes4(0), maxValue));
        vm.assertEq(h.allows(key, ACCOUNT, target, value, ""), value <= maxValue, "value <= maxValue");
        vm.assertTrue(h.allows(key, ACCOUNT, target, maxValue, ""), "maxValue itself");
        if (maxValue < type(uint256).max) {
            vm.assertFalse(h.allows(key, ACCOUNT, target, maxValue + 1, ""), "one wei more");
        }
    }

    /// @dev The budget a key may be charged (what the removed ScopeBlob.maxGasFee reader fed validation):
    /// maxGasFee itself, held in 128 bits and clamped past them.
    function testFuzz_budgetCapIsMaxGasFeeClampedTo128Bits(uint256 maxGasFee) public pure {
        uint256 expected = maxGasFee > type(uint128).max ? type(uint128).max : maxGasFee;
        vm.assertEq(AccountStorage.budgetCap(maxGasFee), expected, "budgetCap");
    }

    function test_validateEnforcesTheGrantRules() public {
        Scope memory s;
        s.validAfter = 5;
        s.validUntil = 4;
        vm.expectRevert(abi.encodeWithSelector(ISessionAccount.InvalidValidity.selector, uint48(5), uint48(4)));
        h.validate(s);
        s.validAfter = 0;
        s.validUntil = 0;
        vm.expectRevert(abi.encodeWithSelector(ISessionAccount.InvalidValidity.selector, uint48(0), uint48(0)));
        h.validate(s);
        s.validUntil = 1;
        s.markets = new MarketLimit[](2);
        s.markets[0].market = 3;
        s.markets[1].market = 3;
        vm.expectRevert(abi.encodeWithSelector(ISessionAccount.DuplicateMarket.selector, uint256(3)));
        h.validate(s);
        s.markets[1].market = 4;
        s.calls = new CallPermission[](2);
        (s.calls[0].target, s.calls[1].target) = (address(1), address(1));
        vm.expectRevert(abi.encodeWithSelector(ISessionAccount.DuplicateCallPermission.selector, address(1), bytes4(0)));
        h.validate(s);
        s.calls[1].selector = 0x12345678;
        h.validate(s); // same target, other selector: valid
    }

    function testFuzz_hashIsTheEip712HashStruct(Scope memory raw) public pure {
        Scope memory s = scopeFrom(raw);
        bytes memory markets;
        for (uint256 i; i < s.markets.length; ++i) {
            MarketLimit memory m = s.markets[i];
            markets = abi.encodePacked(markets, keccak256(abi.encode(TypeHashes.MARKET_LIMIT_TYPEHASH, m.market, m.maxOrderSize, m.minPrice, m.maxPrice)));
        }
        bytes memory calls;
        for (uint256 i; i < s.calls.length; ++i) {
            CallPermission memory c = s.calls[i];
            calls = abi.encodePacked(calls, keccak256(abi.encode(TypeHashes.CALL_PERMISSION_TYPEHASH, c.target, c.selector, c.maxValue)));
        }
        bytes memory venues;
        for (uint256 i; i < s.venues.length; ++i) venues = abi.encodePacked(venues, uint256(uint160(s.venues[i])));
        bytes32 expected = keccak256(
            abi.encode(
                TypeHashes.SCOPE_TYPEHASH, s.validAfter, s.validUntil, keccak256(venues), keccak256(markets),
                s.maxNotionalPerWindow, s.maxOrdersPerWindow, s.windowSeconds, s.maxGasFee, keccak256(calls)
            )
        );
        vm.assertEq(ScopeLib.hash(s), expected, "hashStruct(Scope), arrays as concatenated 32-byte words");
    }

    function testFuzz_storeReadsBackWhatItWrote(address key, bytes memory data) public {
        address pointer = h.store(key, data);
        vm.assertEq(h.load(pointer), data, "round trip");
        vm.assertEq(uint8(pointer.code[0]), 0, "the code starts with STOP");
        vm.expectRevert(abi.encodeWithSelector(ScopeStore.ScopeAlreadyWritten.selector, address(this), key));
        h.store(key, data); // one pointer per (account, key), ever
    }

    function test_storeRefusesMoreThanOneContractHolds() public {
        h.store(address(1), new bytes(24_575));
        vm.expectRevert(abi.encodeWithSelector(ScopeStore.ScopeTooLarge.selector, uint256(24_576)));
        h.store(address(2), new bytes(24_576));
    }
}
