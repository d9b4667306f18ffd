// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {Order} from "../interfaces/IOrderAuthorizer.sol";
import {NonceBitmap} from "../libraries/NonceBitmap.sol";
import {OrderHash} from "../libraries/OrderHash.sol";

/// @notice An order signed by a plain EOA trader.
struct EoaSignedOrder {
    address trader;
    Order order;
    bytes signature;
}

/// @title The gas baseline of the benchmark: a minimal venue settling plain EOA-signed orders.
/// @notice It does what any venue must (EIP-712 digest, signature recovery, deadline, a Permit2-style
/// nonce, booking the fill, one event) and nothing aa-auth adds (no account call, no scope). Not part
/// of the protocol; shipped only so `aa-auth bench` can measure against it without a compiler.
contract EoaBaselineVenue {
    using NonceBitmap for mapping(uint256 => uint256);

    event Filled(address indexed trader, bytes32 indexed digest, uint256 market, bool isBuy, uint256 size, uint256 price);
    event Refused(address indexed trader, bytes32 indexed digest);

    mapping(address trader => mapping(uint256 word => uint256 bits)) private _nonces;
    mapping(address trader => mapping(uint256 market => int256 net)) private _positions;

    function position(address trader, uint256 market) external view returns (int256) {
        return _positions[trader][market];
    }

    function settle(EoaSignedOrder[] calldata orders) external {
        for (uint256 i; i < orders.length; ++i) {
            EoaSignedOrder calldata signed = orders[i];
            Order calldata order = signed.order;
            // The trader's orders are signed under a domain whose verifyingContract is the trader itself,
            // so the digest costs what an aa-auth account's does.
            bytes32 digest = OrderHash.digest(order, signed.trader);
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signed.signature);
            mapping(uint256 => uint256) storage nonces = _nonces[signed.trader];
            if (
                err != ECDSA.RecoverError.NoError || signer != signed.trader || block.timestamp > order.deadline
                    || nonces.isUsed(order.nonce) || order.size > uint256(type(int256).max)
            ) {
                emit Refused(signed.trader, digest);
                continue;
            }
            nonces.use(order.nonce);
            _positions[signed.trader][order.market] += order.isBuy ? int256(order.size) : -int256(order.size);
            emit Filled(signed.trader, digest, order.market, order.isBuy, order.size, order.price);
        }
    }
}
