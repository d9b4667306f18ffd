// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOrderAuthorizer, Order} from "../../../contracts/interfaces/IOrderAuthorizer.sol";

/// @title A minimal venue that settles aa-auth orders (docs/integrating.md).
/// @notice It books each account's position per market. `account` is whatever the caller names: a real
/// aa-auth account, an address without code, or a contract that lies. The venue therefore trusts only
/// the account's own refusal codes and books only to that account, so a lying account harms nobody else.
contract MinimalVenue {
    /// @notice Any failure that is not the account's own `OrderRejected(reason)` with a reason of 1..14.
    uint8 public constant CALL_FAILED = 255;
    /// @notice Gas forwarded to `consumeOrder`: an honest account needs about 100,000 even for a cold
    /// first order; the cap keeps a gas-burning account from eating the caller's whole transaction.
    uint256 public constant CONSUME_GAS = 500_000;

    event Filled(address indexed account, address indexed signer, uint256 market, bool isBuy, uint256 size, uint256 price);
    event Refused(address indexed account, uint256 nonce, uint8 reason);

    error Reentered();

    mapping(address account => mapping(uint256 market => int256 net)) public position;

    /// @dev A hostile account may call back into the venue from consumeOrder.
    modifier nonReentrant() {
        bool entered;
        assembly ("memory-safe") {
            entered := tload(0)
        }
        if (entered) revert Reentered();
        assembly ("memory-safe") {
            tstore(0, 1)
        }
        _;
        assembly ("memory-safe") {
            tstore(0, 0)
        }
    }

    /// @notice Settles one order; returns 0 when filled, else the reason it was refused (never reverts
    /// for a bad order, so a batch of them can go on).
    function fill(address account, Order calldata order, bytes calldata signature)
        external
        nonReentrant
        returns (uint8 reason)
    {
        // Work out the booking before consuming: an order that cannot be booked must consume nothing.
        (bool fits, int256 next) = _next(position[account][order.market], order);
        address signer;
        if (!fits) reason = CALL_FAILED;
        else (reason, signer) = _consume(account, order, signature);
        if (reason != 0) {
            emit Refused(account, order.nonce, reason);
            return reason;
        }
        position[account][order.market] = next;
        emit Filled(account, signer, order.market, order.isBuy, order.size, order.price);
    }

    function _next(int256 current, Order calldata order) private pure returns (bool fits, int256 next) {
        if (order.size > uint256(type(int256).max)) return (false, 0);
        int256 delta = order.isBuy ? int256(order.size) : -int256(order.size);
        unchecked {
            next = current + delta; // overflow is detected on the next line, to refuse instead of panic
        }
        fits = delta >= 0 ? next >= current : next < current;
    }

    /// @dev The account's verdict. A low-level call, so that no code, any revert, malformed return data
    /// or burnt gas become CALL_FAILED instead of reverting; at most 64 bytes of return data are copied,
    /// so a huge return costs the venue nothing.
    function _consume(address account, Order calldata order, bytes calldata signature)
        private
        returns (uint8 reason, address signer)
    {
        bytes memory callData = abi.encodeCall(IOrderAuthorizer.consumeOrder, (order, signature));
        bool ok;
        uint256 size;
        bytes32 word0;
        bytes32 word1;
        assembly ("memory-safe") {
            ok := call(CONSUME_GAS, account, 0, add(callData, 0x20), mload(callData), 0, 0)
            size := returndatasize()
            let ptr := mload(0x40)
            mstore(ptr, 0)
            mstore(add(ptr, 0x20), 0)
            returndatacopy(ptr, 0, mul(lt(size, 0x41), size)) // all of it when at most 64 bytes, else none
            word0 := mload(ptr)
            word1 := mload(add(ptr, 0x20))
        }
        if (ok) {
            // Success is exactly one ABI-encoded address: the signer (the owner or a session key).
            if (size != 32 || uint256(word0) >> 160 != 0) return (CALL_FAILED, address(0));
            return (0, address(uint160(uint256(word0))));
        }
        // OrderRejected(uint8 reason): 4 bytes of selector and one word; SPEC section 5 codes are 1..14.
        if (size == 36 && bytes4(word0) == IOrderAuthorizer.OrderRejected.selector) {
            uint256 code = (uint256(word0) << 32) | (uint256(word1) >> 224);
            if (code >= 1 && code <= 14) return (uint8(code), address(0));
        }
        return (CALL_FAILED, address(0)); // CallerNotVenue, no code, another error, out of gas: 255
    }
}
