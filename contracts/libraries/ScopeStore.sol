// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Write-once storage of a packed Scope (ScopeBlob) as contract code (the SSTORE2 pattern).
/// @dev A key's scope is fixed for its whole life (SPEC section 4), so it is stored once as code:
/// about 200 gas a byte instead of 22,100 a word, and read back with one EXTCODECOPY. The runtime code
/// starts with STOP so the pointer can never be executed meaningfully.
library ScopeStore {
    /// @notice The encoded scope does not fit in one contract's code (EIP-170).
    error ScopeTooLarge(uint256 length);

    uint256 private constant MAX_DATA = 24_575; // EIP-170 limit minus the STOP byte

    function write(bytes memory data) internal returns (address pointer) {
        if (data.length > MAX_DATA) revert ScopeTooLarge(data.length);
        // Creation code: PUSH2 size, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN,
        // then the runtime: STOP followed by the data.
        bytes memory code = abi.encodePacked(hex"61", uint16(data.length + 1), hex"80600a3d393df300", data);
        assembly ("memory-safe") {
            pointer := create(0, add(code, 0x20), mload(code))
        }
        if (pointer == address(0)) revert ScopeTooLarge(data.length);
    }

    function read(address pointer) internal view returns (bytes memory data) {
        uint256 size = pointer.code.length;
        // A pointer this account wrote always holds at least the STOP byte.
        data = new bytes(size - 1);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(data, 0x20), 1, sub(size, 1))
        }
    }
}
