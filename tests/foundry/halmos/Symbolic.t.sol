// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISessionAccount, Scope, MarketLimit, CallPermission, Call} from "../../../contracts/interfaces/ISessionAccount.sol";
import {CallPermissions} from "../../../contracts/libraries/CallPermissions.sol";
import {NonceBitmap} from "../../../contracts/libraries/NonceBitmap.sol";
import {ScopeBlob} from "../../../contracts/libraries/ScopeBlob.sol";
import {UserOpCalls} from "../../../contracts/libraries/UserOpCalls.sol";

/// @dev Solidity's own ABI decoder, behind the account's execute/executeBatch signatures.
contract Decoder {
    function execute(address target, uint256 value, bytes calldata data) external pure returns (Call[] memory calls) {
        calls = new Call[](1);
        calls[0] = Call(target, value, data);
    }

    function executeBatch(Call[] calldata calls) external pure returns (Call[] memory) {
        return calls;
    }
}

/// @title halmos proofs (`check_` functions, every input symbolic) of what fuzzing samples only.
/// @dev Run by tests/foundry/test_forge.py through `halmos` with the npm forge (FOUNDRY_PROFILE=halmos).
/// forge test ignores `check_` functions.
contract SymbolicChecks {
    using NonceBitmap for mapping(uint256 => uint256);

    address internal constant ACCOUNT = address(0xACC);
    address internal constant TOKEN = address(0x70CE);
    bytes4 internal constant TRANSFER = 0xa9059cbb;

    mapping(uint256 => uint256) internal bitmap;
    Decoder internal decoder = new Decoder();

    // ------------------------------------------------------------ the nonce bitmap (SPEC section 6)

    /// @notice After using n, n is used and every other nonce is not: a nonce is used at most once and
    /// never marks another.
    function check_nonceUsedOnceAndAlone(uint256 n, uint256 m) public {
        assert(!bitmap.isUsed(n));
        bitmap.use(n);
        assert(bitmap.isUsed(n));
        if (m != n) assert(!bitmap.isUsed(m));
    }

    /// @notice Every bit of every word is the nonce (word << 8 | bit), and no other nonce maps there.
    function check_everyBitIsAddressable(uint256 word, uint8 bit, uint256 other) public pure {
        if (word >> 248 != 0) return; // words past 2**248 hold no nonce: n >> 8 < 2**248
        uint256 n = (word << 8) | bit;
        (uint256 w, uint256 mask) = NonceBitmap.position(n);
        assert(w == word && mask == uint256(1) << bit);
        (uint256 w2, uint256 mask2) = NonceBitmap.position(other);
        if (other != n) assert(w2 != w || mask2 != mask);
    }

    // ------------------------------------------------------------ the scope encoding (ScopeBlob)

    function encode(Scope calldata scope) external pure returns (bytes memory) {
        return ScopeBlob.encode(scope);
    }

    /// @notice decode(encode(scope)) is the scope, and the in-place readers see its fields, for a scope
    /// with one venue, two markets and one call whose every field is symbolic.
    function check_scopeRoundTrip(
        uint48 validAfter,
        uint48 validUntil,
        uint256 maxNotional,
        uint32 maxOrders,
        uint32 window,
        uint256 maxGasFee,
        address venue,
        uint256[8] memory m,
        CallPermission memory call
    ) public view {
        Scope memory s;
        (s.validAfter, s.validUntil, s.maxNotionalPerWindow) = (validAfter, validUntil, maxNotional);
        (s.maxOrdersPerWindow, s.windowSeconds, s.maxGasFee) = (maxOrders, window, maxGasFee);
        s.venues = new address[](1);
        s.venues[0] = venue;
        s.markets = new MarketLimit[](2);
        s.markets[0] = MarketLimit(m[0], m[1], m[2], m[3]);
        s.markets[1] = MarketLimit(m[4], m[5], m[6], m[7]);
        s.calls = new CallPermission[](1);
        s.calls[0] = call;
        bytes memory blob = this.encode(s);
        assert(keccak256(abi.encode(ScopeBlob.decode(blob))) == keccak256(abi.encode(s)));
        assert(ScopeBlob.validAfter(blob) == validAfter && ScopeBlob.validUntil(blob) == validUntil);
        assert(ScopeBlob.maxOrdersPerWindow(blob) == maxOrders && ScopeBlob.windowSeconds(blob) == window);
        assert(ScopeBlob.maxNotionalPerWindow(blob) == maxNotional);
        assert(ScopeBlob.allowsVenue(blob, venue));
        (bool found, uint256 size, uint256 lo, uint256 hi) = ScopeBlob.marketLimit(blob, m[4]);
        assert(found);
        if (m[4] != m[0] && m[0] != type(uint256).max) assert(size == m[5] && lo == m[6] && hi == m[7]);
    }

    // ------------------------------------------------------------ the user operation calldata reader

    address internal constant KEY = address(0x5E55);

    /// @dev The key's one permitted call, written where validation reads it (CallPermissions).
    constructor() {
        CallPermissions.write(KEY, CallPermission(TOKEN, TRANSFER, 1 ether));
    }

    function allowedBy(bytes calldata callData) external view returns (bool) {
        return UserOpCalls.allowedBy(callData, KEY, ACCOUNT);
    }

    function _allowedCalls(Call[] memory calls) internal pure returns (bool) {
        for (uint256 i; i < calls.length; ++i) {
            Call memory c = calls[i];
            if (c.target != TOKEN || c.value > 1 ether || c.data.length < 4) return false;
            if (bytes4(c.data) != TRANSFER) return false;
        }
        return true;
    }

    /// @dev Every word symbolic: offsets, lengths, the target's high bits, the data's selector.
    function _judge(bytes memory callData) internal view {
        bool allowed = this.allowedBy(callData);
        (bool decoded, bytes memory ret) = address(decoder).staticcall(callData);
        if (allowed) {
            assert(decoded);
            assert(_allowedCalls(abi.decode(ret, (Call[]))));
        } else if (decoded) {
            // Refused while the decoder accepts: only a call outside the scope, or a non-canonical
            // encoding (an offset or length at or past 2**32) that the reader refuses on purpose.
            Call[] memory calls = abi.decode(ret, (Call[]));
            assert(!_allowedCalls(calls) || _nonCanonical(callData));
        }
    }

    function _nonCanonical(bytes memory callData) internal pure returns (bool) {
        for (uint256 at = 4; at + 32 <= callData.length; at += 32) {
            uint256 word;
            assembly ("memory-safe") {
                word := mload(add(add(callData, 0x20), at))
            }
            if (word >= 2 ** 32 && word >> 160 == 0) return true;
        }
        return false;
    }

    // halmos needs calldata offsets to be concrete, so the words that steer decoding (offsets, lengths,
    // counts) range over a set of canonical and hostile values while every other word (the target with
    // its high bits, the value, the data with its selector) is fully symbolic: a proof for all contents
    // of each layout listed.

    uint256 internal constant HUGE = 2 ** 32;

    /// @notice execute(target, value, data): data offset and length from hostile sets.
    function check_executeReaderMatchesDecoder(bytes32 target, bytes32 value, uint8 offIdx, uint8 lenIdx, bytes32[3] memory data)
        public
        view
    {
        uint256 off = _pick(offIdx, 6, [uint256(0x60), 0x40, 0x80, 0xa0, HUGE + 0x60, 2 ** 255, 0]);
        uint256 len = _pick(lenIdx, 7, [uint256(0), 3, 4, 36, 68, 100, HUGE]);
        // Words after the selector: target, value, offset, then four words; the one the offset names
        // holds the length (offset 0x40 names the offset word itself).
        bytes32[7] memory words = [target, value, bytes32(off), bytes32(len), data[0], data[1], data[2]];
        if (off == 0x80) words[4] = bytes32(len);
        if (off == 0xa0) words[5] = bytes32(len);
        _judge(abi.encodePacked(ISessionAccount.execute.selector, words));
    }

    /// @notice executeBatch with at most one call: array offset, count (0 or 1), element offset, data
    /// offset and length from hostile sets. (A count past 1 makes the next element offset a symbolic
    /// word; UserOpCallsTest's tampered-word fuzzing covers those.)
    function check_executeBatchReaderMatchesDecoder(
        bytes32 target,
        bytes32 value,
        uint8 arrayIdx,
        uint8 countIdx,
        uint8 elemIdx,
        uint8 dataIdx,
        uint8 lenIdx,
        bytes32[2] memory data
    ) public view {
        uint256[7] memory hostile = [uint256(0x20), HUGE, 2 ** 255, 0, 0, 0, 0];
        // Canonical layout of one call: 0x20 | 1 | 0x20 | target | value | 0x60 | length | data | data.
        bytes32[9] memory words = [
            bytes32(_pick(arrayIdx, 3, hostile)),
            bytes32(_pick(countIdx, 2, [uint256(1), 0, 0, 0, 0, 0, 0])),
            bytes32(_pick(elemIdx, 3, hostile)),
            target,
            value,
            bytes32(_pick(dataIdx, 3, [uint256(0x60), HUGE, 2 ** 255, 0, 0, 0, 0])),
            bytes32(_pick(lenIdx, 5, [uint256(0), 3, 4, 36, HUGE, 0, 0])),
            data[0],
            data[1]
        ];
        _judge(abi.encodePacked(ISessionAccount.executeBatch.selector, words));
    }

    /// @dev options[i % n], branching on each concrete index (halmos refuses a symbolic memory index;
    /// written out rather than looped so no option lies past the loop-unrolling bound). `n` is a
    /// constant at each call, so the `n == k + 1` tests end the chain without a spare path.
    function _pick(uint256 i, uint256 n, uint256[7] memory options) internal pure returns (uint256) {
        uint256 r = i % n;
        if (r == 0 || n == 1) return options[0];
        if (r == 1 || n == 2) return options[1];
        if (r == 2 || n == 3) return options[2];
        if (r == 3 || n == 4) return options[3];
        if (r == 4 || n == 5) return options[4];
        if (r == 5 || n == 6) return options[5];
        return options[6];
    }
}
