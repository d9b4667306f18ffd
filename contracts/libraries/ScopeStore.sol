// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The scope writer: the account implementation, called (not delegatecalled) by its accounts.
interface IScopeWriter {
    /// @notice Stores `blob` as the code of a content-addressed contract and returns its address.
    function writeScope(bytes calldata blob) external returns (address pointer);
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

    /// @dev The account's side: have `writer` store `data`.
    function write(address writer, bytes memory data) internal returns (address pointer) {
        return IScopeWriter(writer).writeScope(data);
    }

    /// @dev The writer's side, in its own context. Content-addressed (salt 0, the data in the init
    /// code), so storing the same blob twice returns the first pointer, whose code is that blob.
    function create(bytes calldata data) internal returns (address pointer) {
        if (data.length > MAX_DATA) revert ScopeTooLarge(data.length);
        // Creation code: PUSH2 size, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN,
        // then the runtime: STOP followed by the data.
        bytes memory code = abi.encodePacked(hex"61", uint16(data.length + 1), hex"80600a3d393df300", data);
        bytes32 codeHash = keccak256(code);
        pointer = address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), bytes32(0), codeHash)))));
        if (pointer.code.length != 0) return pointer;
        assembly ("memory-safe") {
            pointer := create2(0, add(code, 0x20), mload(code), 0)
        }
        if (pointer == address(0)) revert ScopeTooLarge(data.length);
    }

    function read(address pointer) internal view returns (bytes memory data) {
        uint256 size = pointer.code.length;
        // A pointer this account recorded always holds at least the STOP byte.
        data = new bytes(size - 1);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(data, 0x20), 1, sub(size, 1))
        }
    }
}
