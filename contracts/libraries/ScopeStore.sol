// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The scope writer: the account implementation, called (not delegatecalled) by its accounts.
interface IScopeWriter {
    /// @notice Stores `blob` as the code of a new contract for the caller's `key` and returns its address.
    function writeScope(address key, bytes calldata blob) external returns (address pointer);
}

/// @title Write-once storage of a packed Scope (ScopeBlob) as contract code (the SSTORE2 pattern).
/// @dev A key's scope is fixed for its whole life (SPEC section 4), so it is stored once as code:
/// about 200 gas a byte instead of 22,100 a word, and read back with one EXTCODECOPY. The runtime code
/// starts with STOP so the pointer can never be executed meaningfully.
///
/// The account never runs CREATE or CREATE2 itself (under EIP-7702 that would bump the EOA's nonce,
/// SPEC section 13): it asks the implementation, a separate contract already warm in the
/// transaction, to CREATE2 the pointer in its own context, and records the returned address in the
/// session. Nothing derives a pointer from the writer's address, so a pointer stays readable after an
/// EIP-7702 re-delegation to an implementation with another writer.
library ScopeStore {
    /// @notice The encoded scope does not fit in one contract's code (EIP-170).
    error ScopeTooLarge(uint256 length);

    uint256 private constant MAX_DATA = 24_575; // EIP-170 limit minus the STOP byte

    /// @notice The writer already holds a pointer for this (account, key): the account's namespace was
    /// rewritten by another delegate, which made a granted key look new (docs/storage.md).
    error ScopeAlreadyWritten(address account, address key);

    /// @dev The account's side: have `writer` store `data` for `key`.
    function write(address writer, address key, bytes memory data) internal returns (address pointer) {
        return IScopeWriter(writer).writeScope(key, data);
    }

    /// @dev The writer's side, in its own context. The salt is (caller, key), and a key is granted once
    /// ever on an account, so the address is always fresh: no existence check (a cold account access)
    /// is needed, and nobody else can take an account's address first.
    function create(address key, bytes calldata data) internal returns (address pointer) {
        if (data.length > MAX_DATA) revert ScopeTooLarge(data.length);
        // Creation code: PUSH2 size, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN,
        // then the runtime: STOP followed by the data.
        bytes memory code = abi.encodePacked(hex"61", uint16(data.length + 1), hex"80600a3d393df300", data);
        bytes32 salt = keccak256(abi.encode(msg.sender, key));
        assembly ("memory-safe") {
            pointer := create2(0, add(code, 0x20), mload(code), salt)
        }
        if (pointer == address(0)) revert ScopeAlreadyWritten(msg.sender, key);
    }

    function read(address pointer) internal view returns (bytes memory data) {
        // A pointer this account recorded always holds at least the STOP byte.
        uint256 length = pointer.code.length - 1;
        // Allocated by hand: `new bytes` would zero the memory that EXTCODECOPY overwrites at once.
        assembly ("memory-safe") {
            data := mload(0x40)
            mstore(data, length)
            extcodecopy(pointer, add(data, 0x20), 1, length)
            mstore(0x40, and(add(add(data, 0x3f), length), not(0x1f)))
        }
    }
}
