// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title All of an account's state, in one ERC-7201 namespace (SPEC section 13; docs/storage.md).
/// @dev Nothing lives in the low slots, so whatever an earlier EIP-7702 delegate wrote there never
/// reads as a session, a flag or a nonce, and a re-delegation away and back keeps exactly this struct.
library AccountStorage {
    /// @dev Mutable state of one key. The scope's order part is immutable and lives at `scopePointer`.
    /// An order reads and writes words 0 and 1 only: the window's count and notional share word 1,
    /// and a notional that outgrows its 224 bits takes the slower path through `bigWindowNotional`
    /// (see `windowNotional`), so the SPEC's uint256 semantics hold exactly.
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

    /// @dev The notional charged in the window of the last charge.
    function windowNotional(Session storage s) internal view returns (uint256) {
        uint224 small = s.smallWindowNotional;
        return small == BIG_NOTIONAL ? s.bigWindowNotional : small;
    }

    /// @dev Records the window of a charge, its order count and its notional.
    function charge(Session storage s, uint48 index, uint32 orders, uint256 notional) internal {
        if (notional < BIG_NOTIONAL) {
            (s.windowIndex, s.windowOrders, s.smallWindowNotional) = (index, orders, uint224(notional));
        } else {
            (s.windowIndex, s.windowOrders, s.smallWindowNotional, s.bigWindowNotional) =
                (index, orders, BIG_NOTIONAL, notional);
        }
    }

    function layout() internal pure returns (Layout storage $) {
        assembly ("memory-safe") {
            $.slot := SLOT
        }
    }
}
