// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// EIP-712 typehashes of SPEC section 3. Each constant is keccak256 of the type string in its comment;
// tests/unit/test_contract_typehashes.py checks every one against the Python layer's type strings.

// keccak256("Order(address venue,uint256 market,bool isBuy,uint256 size,uint256 price,uint256 nonce,uint256 deadline)")
bytes32 constant ORDER_TYPEHASH = 0xaec2309422594656f3bea8731dbe20f023460087dfa420b1295cd5c6ac7a66ed;

// keccak256("MarketLimit(uint256 market,uint256 maxOrderSize,uint256 minPrice,uint256 maxPrice)")
bytes32 constant MARKET_LIMIT_TYPEHASH = 0xfc924c4aec77e3d2fd5f187aec465fd25ba7f1084d8d2a737b22444214b255b2;

// keccak256("CallPermission(address target,bytes4 selector,uint256 maxValue)")
bytes32 constant CALL_PERMISSION_TYPEHASH = 0x4dd3f3e0aa3e6e3f029dee3da74518c99e76841f9a1dc29df73be6deaf5c6186;

// keccak256("Scope(uint48 validAfter,uint48 validUntil,address[] venues,MarketLimit[] markets,uint256 maxNotionalPerWindow,uint32 maxOrdersPerWindow,uint32 windowSeconds,uint256 maxGasFee,CallPermission[] calls)CallPermission(address target,bytes4 selector,uint256 maxValue)MarketLimit(uint256 market,uint256 maxOrderSize,uint256 minPrice,uint256 maxPrice)")
bytes32 constant SCOPE_TYPEHASH = 0xbf9091e64f1d81926a1c69e33e916461aec9dcead938d7d00712029b261f3ad7;

// keccak256("SessionGrant(address key,Scope scope,uint256 nonce,uint256 deadline)CallPermission(address target,bytes4 selector,uint256 maxValue)MarketLimit(uint256 market,uint256 maxOrderSize,uint256 minPrice,uint256 maxPrice)Scope(uint48 validAfter,uint48 validUntil,address[] venues,MarketLimit[] markets,uint256 maxNotionalPerWindow,uint32 maxOrdersPerWindow,uint32 windowSeconds,uint256 maxGasFee,CallPermission[] calls)")
bytes32 constant SESSION_GRANT_TYPEHASH = 0xbef4c8ad44d875c32427c0ab0f9fdc732e3103f02da704862d7d617c6d8fcf63;

// keccak256("RevokeSession(address key)")
bytes32 constant REVOKE_SESSION_TYPEHASH = 0xee36c10edf73772777c52204602aa090f69e32c54fc698ff672a0326d077b841;

// keccak256("AAAuthMessage(bytes32 hash)")
bytes32 constant AA_AUTH_MESSAGE_TYPEHASH = 0x076d335294e537931c8bd846f86a18fa0cddaf4f9883218b7a3f31a1ebfb0726;

// keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
bytes32 constant DOMAIN_TYPEHASH = 0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f;

// keccak256("AA Auth Account")
bytes32 constant DOMAIN_NAME_HASH = 0x6cac56700ca0c8eef5ed346a0519bc2f95f2b0753cd6b75b63020196de36ca71;

// keccak256("1")
bytes32 constant DOMAIN_VERSION_HASH = 0xc89efdaa54c0f20c7adf612882df0950f5a951637e0307cdcb4c672f298b8bc6;
