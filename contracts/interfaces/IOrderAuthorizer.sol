// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice An EIP-712 order signed by an account's owner or one of its session keys (SPEC section 3).
/// @dev Field names and order are binding: clients pass the same record to the ABI and to the signer.
struct Order {
    address venue;
    uint256 market;
    bool isBuy;
    uint256 size;
    uint256 price;
    uint256 nonce;
    uint256 deadline;
}

/// @title The order-authorization surface a venue needs from an aa-auth account (SPEC section 5).
interface IOrderAuthorizer {
    /// @notice `consumeOrder` refused the order; `reason` is a SPEC section 5 code (1..14).
    error OrderRejected(uint8 reason);
    /// @notice `consumeOrder` was called by an address other than `order.venue`.
    error CallerNotVenue();

    /// @notice An order was authorized and consumed: its nonce is used and its window charged.
    event OrderConsumed(address indexed signer, address indexed venue, uint256 nonce, bytes32 digest);

    /// @notice The EIP-712 digest of `order` under this account's domain.
    function orderDigest(Order calldata order) external view returns (bytes32);

    /// @notice Decides `order` as `consumeOrder` would, without changing state. Never reverts.
    /// @return reason 0 when authorized, else the first failing check of SPEC section 5.
    /// @return signer The recovered signer, or address(0) when the signature is bad (reason 1).
    function isOrderAuthorized(Order calldata order, bytes calldata signature)
        external
        view
        returns (uint8 reason, address signer);

    /// @notice Authorizes `order`, marks its nonce used and charges the signer's window.
    /// @dev Only `order.venue` may call. Reverts with {OrderRejected} when the reason is not 0.
    function consumeOrder(Order calldata order, bytes calldata signature) external returns (address signer);
}
