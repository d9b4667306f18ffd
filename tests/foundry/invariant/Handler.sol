// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOrderAuthorizer, Order} from "../../../contracts/interfaces/IOrderAuthorizer.sol";
import {ISessionAccount, Scope, MarketLimit, CallPermission} from "../../../contracts/interfaces/ISessionAccount.sol";
import {ReferenceVenue, SignedOrder} from "../../../contracts/ReferenceVenue.sol";
import {venueReasons} from "../lib/VenueLogs.sol";
import {Vm} from "../lib/Vm.sol";

/// @title The actions an owner, a guardian, bots and time take on one account, with a ghost model of
/// what SPEC sections 4 to 9 allow; the invariants read the ghost counters and compare.
/// @dev Every action the model expects to succeed must succeed, and every one it expects to fail must
/// revert with the SPEC's error (forge's fail_on_revert stops a campaign on any other revert).
contract Handler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 public constant KEYS = 10; // session key i has private key KEY_BASE + i
    uint256 internal constant GRANTED_AT_START = 4; // keys 0..3, so orders find live keys from the first call
    uint256 internal constant KEY_BASE = 0xB0B0;
    uint256 public constant MARKETS = 3; // market 0, 1 and 2; only 0 and 1 have own entries
    uint256 internal constant NONCES = 8; // nonces 0..3 and 256..259: two words, frequent reuse

    enum Status {
        None,
        Active,
        Revoked
    }

    struct Ghost {
        Status status;
        uint256 scopeIndex; // the scope it was granted (or rotated in) with
        mapping(uint256 window => uint256) orders;
        mapping(uint256 window => uint256) notional;
    }

    ISessionAccount public immutable account;
    ReferenceVenue public immutable venue;
    uint256 internal immutable ownerPk;
    address public immutable owner;
    address public immutable guardian;

    Scope[] internal scopes;
    mapping(address key => Ghost) internal ghosts;
    mapping(address signer => mapping(uint256 nonce => bool)) public consumed;
    mapping(uint256 market => int256) public ghostPosition;
    bool public frozen;

    // Violations: each must stay zero.
    uint256 public doubleConsumes;
    uint256 public deadKeyConsumes;
    uint256 public capOverruns;
    uint256 public viewConsumeDisagreements;
    uint256 public modelDisagreements;

    // Coverage, so a campaign that never reaches a state shows.
    uint256 public settledOrders;
    uint256 public rejectedOrders;
    mapping(uint8 reason => uint256) public reasonCount;

    error Simulated(uint8[] viewReasons, uint8[] consumeReasons);

    constructor(ISessionAccount anAccount, ReferenceVenue aVenue, uint256 anOwnerPk, address aGuardian) {
        (account, venue, ownerPk, guardian) = (anAccount, aVenue, anOwnerPk, aGuardian);
        owner = vm.addr(anOwnerPk);
        for (uint256 i; i < GRANTED_AT_START; ++i) {
            _grant(i, uint256(keccak256(abi.encode(i))));
        }
    }

    function keyAt(uint256 i) public pure returns (address) {
        return vm.addr(KEY_BASE + i % KEYS);
    }

    function scopeOf(address key) external view returns (Scope memory) {
        return scopes[ghosts[key].scopeIndex];
    }

    function statusOf(address key) external view returns (Status) {
        return ghosts[key].status;
    }

    // ------------------------------------------------------------ the owner and the guardian

    function grant(uint256 keySeed, uint256 capSeed) external {
        _grant(keySeed, capSeed);
    }

    function _grant(uint256 keySeed, uint256 capSeed) internal {
        address key = keyAt(keySeed);
        Scope memory scope = _scope(capSeed);
        vm.prank(owner);
        if (ghosts[key].status != Status.None) {
            vm.expectRevert(abi.encodeWithSelector(ISessionAccount.KeyAlreadyGranted.selector, key));
            account.grantSession(key, scope);
            return;
        }
        account.grantSession(key, scope);
        scopes.push(scope);
        ghosts[key].status = Status.Active;
        ghosts[key].scopeIndex = scopes.length - 1;
    }

    function revoke(uint256 keySeed) external {
        address key = keyAt(keySeed);
        vm.prank(owner);
        if (ghosts[key].status != Status.Active) {
            vm.expectRevert(abi.encodeWithSelector(ISessionAccount.SessionNotActive.selector, key));
            account.revokeSession(key);
            return;
        }
        account.revokeSession(key);
        ghosts[key].status = Status.Revoked;
    }

    function rotate(uint256 oldSeed, uint256 newSeed) external {
        (address oldKey, address newKey) = (keyAt(oldSeed), keyAt(newSeed));
        vm.prank(owner);
        if (ghosts[oldKey].status != Status.Active) {
            vm.expectRevert(abi.encodeWithSelector(ISessionAccount.SessionNotActive.selector, oldKey));
            account.rotateSession(oldKey, newKey);
            return;
        }
        if (ghosts[newKey].status != Status.None) {
            vm.expectRevert(abi.encodeWithSelector(ISessionAccount.KeyAlreadyGranted.selector, newKey));
            account.rotateSession(oldKey, newKey);
            return;
        }
        account.rotateSession(oldKey, newKey);
        ghosts[oldKey].status = Status.Revoked;
        ghosts[newKey].status = Status.Active;
        ghosts[newKey].scopeIndex = ghosts[oldKey].scopeIndex;
    }

    function revokeAll() external {
        vm.prank(owner);
        account.revokeAllSessions();
        for (uint256 i; i < KEYS; ++i) {
            Ghost storage g = ghosts[keyAt(i)];
            if (g.status == Status.Active) g.status = Status.Revoked;
        }
    }

    function freeze(bool byGuardian) external {
        vm.prank(byGuardian ? guardian : owner);
        account.freeze();
        frozen = true;
    }

    function unfreeze() external {
        vm.prank(owner);
        account.unfreeze();
        frozen = false;
    }

    function invalidate(uint256 signerSeed, bool secondWord, uint256 mask) external {
        address signer = signerSeed % (KEYS + 1) == KEYS ? owner : keyAt(signerSeed);
        mask &= (1 << (NONCES / 2)) - 1; // the nonces orders use, each burnt one time in two
        vm.prank(owner);
        account.invalidateNonces(signer, secondWord ? 1 : 0, mask);
        for (uint256 bit; bit < NONCES / 2; ++bit) {
            if (mask & (1 << bit) != 0) consumed[signer][(secondWord ? 256 : 0) + bit] = true;
        }
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 2 hours);
    }

    // ------------------------------------------------------------ bots

    /// @dev 1 to 6 orders from random signers (the owner, live and dead keys, a stranger, a malformed
    /// signature), on random markets, sizes, prices, nonces and venues, settled in one batch.
    function settle(uint256 seed, uint8 count) external {
        uint256 n = 1 + count % 6;
        SignedOrder[] memory batch = new SignedOrder[](n);
        for (uint256 i; i < n; ++i) {
            batch[i] = _order(uint256(keccak256(abi.encode(seed, i))));
        }
        (uint8[] memory viewReasons, uint8[] memory consumeReasons) = _simulate(batch);
        vm.recordLogs();
        venue.settle(batch);
        uint8[] memory settled = venueReasons(address(venue), vm.getRecordedLogs());
        for (uint256 i; i < n; ++i) {
            if (viewReasons[i] != consumeReasons[i]) ++viewConsumeDisagreements;
            uint8 venueWants = batch[i].order.venue == address(venue) ? consumeReasons[i] : 255;
            if (settled[i] != venueWants) ++viewConsumeDisagreements;
            ++reasonCount[settled[i]];
            if (settled[i] == 0) _book(batch[i].order, batch[i].signature);
            else ++rejectedOrders;
        }
    }

    /// @dev For each order in turn: the view's reason, then what consumeOrder does when `order.venue`
    /// calls it. Orders for this venue stay consumed so later orders of the batch see them; all is undone
    /// by the revert that reports the reasons.
    function simulate(SignedOrder[] memory batch) external {
        uint8[] memory viewReasons = new uint8[](batch.length);
        uint8[] memory consumeReasons = new uint8[](batch.length);
        for (uint256 i; i < batch.length; ++i) {
            Order memory o = batch[i].order;
            (viewReasons[i],) = account.isOrderAuthorized(o, batch[i].signature);
            if (o.venue == address(venue)) {
                consumeReasons[i] = _consume(o, batch[i].signature);
            } else {
                // The reference venue will not consume it (reason 255), so its consumption is undone at once.
                try this.probeConsume(o, batch[i].signature) {} catch (bytes memory err) {
                    consumeReasons[i] = abi.decode(_slice(err, 4), (uint8));
                }
            }
        }
        revert Simulated(viewReasons, consumeReasons);
    }

    error Probed(uint8 reason);

    function probeConsume(Order memory o, bytes memory signature) external {
        revert Probed(_consume(o, signature));
    }

    /// @dev consumeOrder's outcome as a reason: 0, OrderRejected's code, or 254 for any other revert.
    function _consume(Order memory o, bytes memory signature) internal returns (uint8) {
        vm.prank(o.venue);
        try account.consumeOrder(o, signature) {
            return 0;
        } catch (bytes memory err) {
            if (err.length != 36 || bytes4(err) != IOrderAuthorizer.OrderRejected.selector) return 254;
            return uint8(uint256(bytes32(_slice(err, 4))));
        }
    }

    function _simulate(SignedOrder[] memory batch) internal returns (uint8[] memory, uint8[] memory) {
        try this.simulate(batch) {
            revert("simulate returned");
        } catch (bytes memory err) {
            return abi.decode(_slice(err, 4), (uint8[], uint8[]));
        }
    }

    /// @dev A settled order: check it against the model and the caps, then book it in the ghosts.
    function _book(Order memory o, bytes memory signature) internal {
        ++settledOrders;
        (, address signer) = account.isOrderAuthorized(o, signature);
        if (consumed[signer][o.nonce]) ++doubleConsumes;
        consumed[signer][o.nonce] = true;
        ghostPosition[o.market] += o.isBuy ? int256(o.size) : -int256(o.size);
        if (signer == owner) return;
        Ghost storage g = ghosts[signer];
        if (g.status != Status.Active || frozen) ++deadKeyConsumes;
        Scope memory s = scopes[g.scopeIndex];
        uint256 window = s.windowSeconds == 0 ? 0 : (block.timestamp - s.validAfter) / s.windowSeconds;
        g.orders[window] += 1;
        g.notional[window] += o.size * o.price / 1e18; // sizes and prices here are small: no overflow
        if (g.orders[window] > s.maxOrdersPerWindow || g.notional[window] > s.maxNotionalPerWindow) ++capOverruns;
    }

    function _order(uint256 seed) internal returns (SignedOrder memory signed) {
        uint256 who = _signer(seed);
        uint256 pk = who < KEYS ? KEY_BASE + who : who == KEYS ? ownerPk : 0xDEAD;
        uint256 nonce = (seed >> 36) % NONCES;
        Order memory o = Order({
            venue: (seed >> 8) % 16 == 0 ? address(0xBEEF) : address(venue),
            market: (seed >> 12) % MARKETS,
            isBuy: (seed >> 16) % 2 == 0,
            size: ((seed >> 20) % 12) * 1e17, // 0 to 1.1 base units
            price: ((seed >> 28) % 12) * 100e18, // 0 to 1,100
            nonce: nonce < NONCES / 2 ? nonce : 256 + nonce - NONCES / 2,
            deadline: (seed >> 44) % 8 == 0 ? block.timestamp - 1 : block.timestamp + 1 hours
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, account.orderDigest(o));
        signed = SignedOrder(address(account), o, abi.encodePacked(r, s, who == KEYS + 2 ? v + 4 : v));
        _checkModel(o, signed.signature, vm.addr(pk), who);
    }

    /// @dev Who signs: a key index (below KEYS), KEYS for the owner, KEYS + 1 a stranger, KEYS + 2 a bad
    /// signature. Ten times in sixteen a live key when there is one (so windows fill up), twice any key
    /// (never granted, revoked, rotated away or swept), twice the owner, once each of the others.
    function _signer(uint256 seed) internal view returns (uint256) {
        uint256 r = seed % 16;
        uint256 start = (seed >> 4) % KEYS;
        if (r < 10) {
            for (uint256 k; k < KEYS; ++k) {
                uint256 i = (start + k) % KEYS;
                if (ghosts[keyAt(i)].status == Status.Active) return i;
            }
        }
        if (r < 12) return start;
        if (r < 14) return KEYS;
        return r == 14 ? KEYS + 1 : KEYS + 2;
    }

    /// @dev The rows of SPEC section 5 the ghosts decide alone: a bad signature, a stranger, a key's
    /// status and the freeze, and the whole of an owner order (deadline and nonce only).
    function _checkModel(Order memory o, bytes memory signature, address signer, uint256 who) internal {
        (uint8 reason,) = account.isOrderAuthorized(o, signature);
        uint8 want;
        if (who == KEYS + 2) want = 1;
        else if (who == KEYS + 1) want = 2;
        else if (who == KEYS) want = block.timestamp > o.deadline ? 11 : consumed[signer][o.nonce] ? 12 : 0;
        else if (ghosts[signer].status == Status.None) want = 2;
        else if (ghosts[signer].status == Status.Revoked) want = 3;
        else if (frozen) want = 4;
        else return; // the scope's rows: left to the venue's and consumeOrder's agreement above
        if (reason != want) ++modelDisagreements;
    }

    /// @dev A scope over `venue` with own entries for markets 0 and 1 and ANY_MARKET for the rest, small
    /// caps so windows fill up, and 0 or 20-minute windows.
    function _scope(uint256 seed) internal view returns (Scope memory s) {
        s.validAfter = uint48(block.timestamp - (seed % 2) * 10);
        s.validUntil = uint48(block.timestamp + 2 hours + (seed >> 8) % 1 days);
        s.venues = new address[](1);
        s.venues[0] = address(venue);
        s.markets = new MarketLimit[](3);
        s.markets[0] = MarketLimit(0, 1e18, 100e18, 900e18);
        s.markets[1] = MarketLimit(1, 5e17, 0, 1_100e18);
        s.markets[2] = MarketLimit(type(uint256).max, 1e17, 200e18, 300e18);
        s.maxNotionalPerWindow = ((seed >> 16) % 4) * 300e18;
        s.maxOrdersPerWindow = uint32((seed >> 24) % 5);
        s.windowSeconds = (seed >> 32) % 3 == 0 ? 0 : 20 minutes;
        s.calls = new CallPermission[](0);
    }

    function _slice(bytes memory data, uint256 from) internal pure returns (bytes memory out) {
        out = new bytes(data.length - from);
        for (uint256 i; i < out.length; ++i) out[i] = data[from + i];
    }
}
