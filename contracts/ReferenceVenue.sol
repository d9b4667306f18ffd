// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IOrderAuthorizer, Order} from "./interfaces/IOrderAuthorizer.sol";
import {OrderHash} from "./libraries/OrderHash.sol";

/// @notice An order and the account that authorizes it.
struct SignedOrder {
    address account;
    Order order;
    bytes signature;
}

/// @title A reference venue: settles batches of session-key orders and books positions (SPEC section 9).
/// @notice One bad order never reverts the batch: a refusal is reported with the account's reason, and
/// any other failure with reason 255; such an order consumes nothing.
contract ReferenceVenue is ReentrancyGuardTransient {
    /// @notice Reason for failures other than the account's OrderRejected (SPEC section 9).
    uint8 public constant VENUE_CALL_FAILED = 255;

    /// @notice Gas forwarded to one `consumeOrder`. An honest account needs at most about 100,000 (a
    /// cold first order with a maximal scope); without a cap, a hostile account could burn all but
    /// 1/64 of the batch's gas and make the rest of the batch run out, reverting it.
    uint256 public constant CONSUME_GAS_LIMIT = 500_000;

    event OrderSettled(
        address indexed account,
        bytes32 indexed digest,
        address indexed signer,
        uint256 market,
        bool isBuy,
        uint256 size,
        uint256 price
    );
    event OrderRejected(address indexed account, bytes32 indexed digest, uint8 reason);

    /// @notice A `consumeOrder` failed without its gas cap available: the transaction's gas limit is too low.
    error ConsumeGasShort();

    mapping(address account => mapping(uint256 market => int256 net)) private _positions;

    /// @notice The account's net position in `market`: bought size minus sold size.
    function position(address account, uint256 market) external view returns (int256) {
        return _positions[account][market];
    }

    /// @notice Settles each order in turn.
    function settle(SignedOrder[] calldata orders) external nonReentrant {
        for (uint256 i; i < orders.length; ++i) {
            _settle(orders[i]);
        }
    }

    function _settle(SignedOrder calldata signed) private {
        Order calldata order = signed.order;
        address account = signed.account;
        bytes32 digest = OrderHash.digest(order, account);
        // Work out the fill before consuming, so an order whose fill cannot be booked consumes nothing.
        (bool fits, int256 next) = _nextPosition(_positions[account][order.market], order);
        if (!fits) {
            emit OrderRejected(account, digest, VENUE_CALL_FAILED);
            return;
        }
        (uint8 reason, address signer) = _consume(account, order, signed.signature);
        if (reason != 0) {
            emit OrderRejected(account, digest, reason);
            return;
        }
        _positions[account][order.market] = next;
        emit OrderSettled(account, digest, signer, order.market, order.isBuy, order.size, order.price);
    }

    function _nextPosition(int256 current, Order calldata order) private pure returns (bool fits, int256 next) {
        if (order.size > uint256(type(int256).max)) return (false, 0);
        int256 delta = order.isBuy ? int256(order.size) : -int256(order.size);
        // Overflow is detected by hand so that it becomes reason 255 instead of a panic.
        unchecked {
            next = current + delta;
        }
        fits = delta >= 0 ? next >= current : next < current;
    }

    /// @dev A low-level call with a gas cap, so that an account without code, a revert of any shape,
    /// malformed return data or a gas-burning account become reason 255 instead of reverting the batch;
    /// at most 64 bytes of return data are copied. A call that failed with less than the cap to spend
    /// reverts the batch instead: the transaction carried too little gas to give the account its cap,
    /// so the failure says nothing about the order (and gas estimation finds the gas a batch needs,
    /// not a smaller limit at which honest orders fail for want of gas).
    function _consume(address account, Order calldata order, bytes calldata signature)
        private
        returns (uint8 reason, address signer)
    {
        (bytes4 selector, bytes4 short) = (IOrderAuthorizer.consumeOrder.selector, ConsumeGasShort.selector);
        bool ok;
        uint256 size;
        bytes32 word0;
        bytes32 word1;
        assembly ("memory-safe") {
            // consumeOrder(order, signature) encoded straight from calldata, past the free pointer: the
            // selector, the order's seven words (its fields were checked clean by its digest), the
            // signature's offset (eight words) and length, then its bytes zero-padded to a word.
            let ptr := mload(0x40)
            mstore(ptr, selector)
            calldatacopy(add(ptr, 0x04), order, 0xe0)
            mstore(add(ptr, 0xe4), 0x100)
            mstore(add(ptr, 0x104), signature.length)
            let padded := and(add(signature.length, 0x1f), not(0x1f))
            if padded { mstore(add(ptr, add(0x104, padded)), 0) }
            calldatacopy(add(ptr, 0x124), signature.offset, signature.length)
            ok := call(CONSUME_GAS_LIMIT, account, 0, ptr, add(0x124, padded), 0, 0)
            // Had the account received less than the cap, at most 1/64 of what it got would be left.
            if and(iszero(ok), lt(gas(), div(CONSUME_GAS_LIMIT, 63))) {
                mstore(0x00, short)
                revert(0x00, 0x04)
            }
            size := returndatasize()
            let copied := size
            if gt(copied, 0x40) { copied := 0x40 }
            mstore(ptr, 0)
            mstore(add(ptr, 0x20), 0)
            returndatacopy(ptr, 0, copied)
            word0 := mload(ptr)
            word1 := mload(add(ptr, 0x20))
        }
        if (ok) {
            // A real account returns exactly one ABI-encoded address.
            if (size != 32 || uint256(word0) >> 160 != 0) return (VENUE_CALL_FAILED, address(0));
            return (0, address(uint160(uint256(word0))));
        }
        // OrderRejected(uint8): selector, then one word holding a reason in 1..14.
        if (size == 36 && bytes4(word0) == IOrderAuthorizer.OrderRejected.selector) {
            uint256 code = (uint256(word0) << 32) | (uint256(word1) >> 224);
            if (code != 0 && code <= 14) return (uint8(code), address(0));
        }
        return (VENUE_CALL_FAILED, address(0));
    }
}
