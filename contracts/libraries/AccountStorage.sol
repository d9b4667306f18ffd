// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title All of an account's state, in one ERC-7201 namespace (SPEC section 13; docs/storage.md).
/// @dev Nothing lives in the low slots, so whatever an earlier EIP-7702 delegate wrote there never
/// reads as a session, a flag or a nonce, and a re-delegation away and back keeps exactly this struct.
library AccountStorage {
    /// @dev Mutable state of one key. The scope's order part is immutable and lives at `scopePointer`.
    /// An order reads words 0 and 1 only and writes word 1 (word 0 too when it opens a new window): the
    /// window's count and notional share word 1, and a notional that outgrows its 224 bits takes the
    /// slower path through `bigWindowNotional` (see `window`), so the SPEC's uint256 semantics hold exactly.
    struct Session {
        address scopePointer; // zero: never granted
        uint32 epoch; // the account epoch at grant; older epochs were swept by revokeAllSessions
        bool revoked;
        uint48 windowIndex; // window of the last charge; the counts below belong to it
        uint32 windowOrders;
        uint224 smallWindowNotional; // BIG_NOTIONAL: the notional is bigWindowNotional
        uint256 bigWindowNotional;
        // The user-operation word, the only session word validation reads: the validity window, the
        // epoch at grant and the budget left. All zero when the key may not submit operations
        // (maxGasFee = 0); opsValidUntil is zeroed when the key is revoked (validUntil is never 0).
        uint48 opsValidAfter;
        uint48 opsValidUntil;
        uint32 opsEpoch;
        uint128 gasFeeLeft; // budgetCap(maxGasFee) minus what the key has been charged
    }

    /// @custom:storage-location erc7201:aa-auth.account
    struct Layout {
        // One slot: the guardian, the freeze flag and the revoke-all epoch are read together.
        address guardian;
        bool frozen;
        uint32 epoch;
        uint256 grantNonce;
        address[] keys;
        mapping(address key => Session) sessions;
        mapping(address signer => mapping(uint256 word => uint256 bits)) nonceBitmap;
        mapping(bytes32 permission => uint256 word) callWords; // CallPermissions
        mapping(bytes32 permission => uint256 maxValue) bigMaxValues;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("aa-auth.account")) - 1)) & ~bytes32(uint256(0xff)),
    /// the ERC-7201 formula; tests/unit/test_storage_layout.py recomputes it.
    bytes32 internal constant SLOT = 0x30b99324eecfb516b88194a035be043f41f36f6d0a8d84a64164727e1878f200;

    uint224 private constant BIG_NOTIONAL = type(uint224).max;

    // Bit positions of the words validateUserOp reads with one SLOAD each (solc packs a struct's fields
    // from the low bits up, in declaration order): Layout's first slot and Session's fourth word.
    uint256 internal constant FROZEN_SHIFT = 160; // guardian (160 bits), then frozen (8)
    uint256 internal constant EPOCH_SHIFT = 168; // then epoch (32)
    uint256 internal constant OPS_VALID_UNTIL_SHIFT = 48; // opsValidAfter (48 bits), then opsValidUntil (48)
    uint256 internal constant OPS_EPOCH_SHIFT = 96; // then opsEpoch (32)
    uint256 internal constant GAS_FEE_LEFT_SHIFT = 128; // then gasFeeLeft (128)

    /// @dev The slot of `key`'s user-operation word (its Session's fourth word).
    function opsSlot(address key) internal view returns (uint256 slot) {
        Session storage s = layout().sessions[key];
        assembly ("memory-safe") {
            slot := add(s.slot, 3)
        }
    }

    /// @dev What a key may be charged in all: its maxGasFee, which the budget word holds up to 2**128 - 1
    /// (far beyond all the ether there is; a total past it was refused before this layout too).
    function budgetCap(uint256 maxGasFee) internal pure returns (uint128) {
        return maxGasFee > type(uint128).max ? type(uint128).max : uint128(maxGasFee);
    }

    // The order path reads session words 0 and 1 and the account word once each, as whole words, and
    // writes word 1 whole: field by field, solc reloads a packed word for every field it reads or
    // writes. The bit offsets are solc's packing of the structs above (fields in order, low bits first).

    /// @dev Session word 0: scopePointer, epoch, revoked and windowIndex, from one read.
    function word0(Session storage s)
        internal
        view
        returns (address pointer, uint32 epoch, bool revoked, uint48 windowIndex)
    {
        uint256 word;
        assembly ("memory-safe") {
            word := sload(s.slot)
        }
        return (address(uint160(word)), uint32(word >> 160), uint8(word >> 192) != 0, uint48(word >> 200));
    }

    /// @dev Session word 1, the window's order count and notional (word 2 when the notional is big).
    function window(Session storage s) internal view returns (uint256 orders, uint256 notional) {
        uint256 word;
        assembly ("memory-safe") {
            word := sload(add(s.slot, 1))
        }
        (orders, notional) = (uint32(word), word >> 32);
        if (notional == BIG_NOTIONAL) notional = s.bigWindowNotional;
    }

    /// @dev The account word's freeze flag and epoch, from one read.
    function flags(Layout storage $) internal view returns (bool frozen, uint32 epoch) {
        uint256 word;
        assembly ("memory-safe") {
            word := sload($.slot)
        }
        return (uint8(word >> FROZEN_SHIFT) != 0, uint32(word >> EPOCH_SHIFT));
    }

    /// @dev Records a charge: word 1 whole (orders <= maxOrdersPerWindow, a uint32), the window index
    /// in word 0 only when the charge opens a new window.
    function charge(Session storage s, uint48 index, bool newWindow, uint256 orders, uint256 notional) internal {
        if (newWindow) s.windowIndex = index;
        uint256 small = notional < BIG_NOTIONAL ? notional : BIG_NOTIONAL;
        assembly ("memory-safe") {
            sstore(add(s.slot, 1), or(orders, shl(32, small)))
        }
        if (small == BIG_NOTIONAL) s.bigWindowNotional = notional;
    }

    function layout() internal pure returns (Layout storage $) {
        assembly ("memory-safe") {
            $.slot := SLOT
        }
    }
}
