// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccount} from "@account-abstraction/contracts/interfaces/IAccount.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {IOrderAuthorizer} from "./IOrderAuthorizer.sol";

/// @notice Per-market limits of a session (SPEC section 4). `market == type(uint256).max` is ANY_MARKET.
struct MarketLimit {
    uint256 market;
    uint256 maxOrderSize;
    uint256 minPrice;
    uint256 maxPrice;
}

/// @notice An on-chain call a session key may make through the account's user operations.
/// @dev `selector == 0x00000000` stands for empty calldata only (a plain transfer).
struct CallPermission {
    address target;
    bytes4 selector;
    uint256 maxValue;
}

/// @notice Everything a session key may do, fixed for the key's whole life. Default deny:
/// a zero cap or an empty list allows nothing; "unlimited" is the type's maximum.
struct Scope {
    uint48 validAfter;
    uint48 validUntil;
    address[] venues;
    MarketLimit[] markets;
    uint256 maxNotionalPerWindow;
    uint32 maxOrdersPerWindow;
    uint32 windowSeconds;
    uint256 maxGasFee;
    CallPermission[] calls;
}

/// @notice One call of `executeBatch`.
struct Call {
    address target;
    uint256 value;
    bytes data;
}

/// @title An aa-auth smart account: an owner, scoped session keys and nonces (SPEC section 7).
interface ISessionAccount is IOrderAuthorizer, IAccount, IERC1271, IERC5267 {
    /// @notice Session status as `getSession` reports it.
    enum SessionStatus {
        None,
        Active,
        Revoked
    }

    /// @notice The key is not active (never granted, revoked, rotated away or swept).
    error SessionNotActive(address key);
    /// @notice The caller is not authorized for this function.
    error Unauthorized(address caller);
    /// @notice The key was granted on this account before; a key is granted at most once, ever.
    error KeyAlreadyGranted(address key);
    /// @notice The key is the zero address, the owner or the account itself.
    error InvalidSessionKey(address key);
    /// @notice `validUntil` is 0 or `validAfter > validUntil`.
    error InvalidValidity(uint48 validAfter, uint48 validUntil);
    /// @notice Two `markets` entries name the same market.
    error DuplicateMarket(uint256 market);
    /// @notice Two `calls` entries name the same (target, selector).
    error DuplicateCallPermission(address target, bytes4 selector);
    /// @notice The off-chain grant's deadline has passed.
    error GrantExpired(uint256 deadline);
    /// @notice The signature is not the expected signer's over the expected digest.
    error InvalidSignature();
    /// @notice The account's code is the bare implementation, which is never usable.
    error ImplementationNotUsable();
    /// @notice A call made through `execute`/`executeBatch` reverted; its revert data is attached.
    error CallFailed(uint256 index, bytes returnData);

    event SessionGranted(address indexed key, bytes32 scopeHash, uint48 validAfter, uint48 validUntil);
    event SessionRevoked(address indexed key, address indexed by);
    event SessionRotated(address indexed oldKey, address indexed newKey);
    event AllSessionsRevoked(uint256 epoch);
    event Frozen(address indexed by);
    event Unfrozen();
    event GuardianSet(address indexed guardian);
    event NoncesInvalidated(address indexed signer, uint256 word, uint256 mask);

    function owner() external view returns (address);
    function guardian() external view returns (address);
    function entryPoint() external view returns (address);
    function frozen() external view returns (bool);
    function grantNonce() external view returns (uint256);

    /// @notice Sets the address that may freeze the account (and do nothing else). Owner only.
    function setGuardian(address newGuardian) external;

    /// @notice Grants `key` the fixed `scope`. Owner only; reverts on any grant rule of SPEC section 4.
    function grantSession(address key, Scope calldata scope) external;

    /// @notice Grants with the owner's EIP-712 SessionGrant signature at nonce `grantNonce()`; anyone relays.
    function grantSessionWithSig(address key, Scope calldata scope, uint256 deadline, bytes calldata ownerSignature)
        external;

    /// @notice Revokes an active key. Owner only.
    function revokeSession(address key) external;

    /// @notice Revokes an active key with its own RevokeSession signature; anyone relays.
    function revokeSessionWithSig(address key, bytes calldata keySignature) external;

    /// @notice Moves `oldKey`'s scope to `newKey` with fresh counters and revokes `oldKey`. Owner only.
    function rotateSession(address oldKey, address newKey) external;

    /// @notice Revokes every key granted so far, in O(1). Owner only.
    function revokeAllSessions() external;

    /// @notice Stops every session key; the owner is not stopped. Owner or guardian.
    function freeze() external;

    /// @notice Lifts a freeze. Owner only.
    function unfreeze() external;

    /// @notice A key's status, scope and counters. `windowIndex` is the window of the last charge.
    function getSession(address key)
        external
        view
        returns (
            uint8 status,
            Scope memory scope,
            uint256 windowIndex,
            uint256 windowOrders,
            uint256 windowNotional,
            uint256 gasFeeSpent
        );

    /// @notice Every key ever granted, in grant order.
    function sessionKeys() external view returns (address[] memory);

    /// @notice Word `word` of `signer`'s unordered order-nonce bitmap.
    function nonceBitmap(address signer, uint256 word) external view returns (uint256);

    /// @notice Burns the bits of `mask` in `signer`'s nonce word `word` (bulk cancel). Owner only.
    function invalidateNonces(address signer, uint256 word, uint256 mask) external;

    /// @notice Calls `target`. The owner, or the EntryPoint after `validateUserOp`.
    function execute(address target, uint256 value, bytes calldata data) external;

    /// @notice Calls each of `calls` in order; any revert reverts all. The owner, or the EntryPoint.
    function executeBatch(Call[] calldata calls) external;
}
