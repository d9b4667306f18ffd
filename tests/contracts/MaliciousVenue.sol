// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A venue gone rogue, for the attack corpus. In one transaction it makes each call of `calls`
/// on `account` in turn (consumeOrder twice for one order, the account's admin functions, ...) and
/// records every outcome instead of reverting, so the test sees each refusal by name.
/// @dev The account makes no external call inside consumeOrder, so there is no callback to re-enter
/// through; what a venue can try is to repeat itself or to use its place as caller in the same transaction.
contract MaliciousVenue {
    event Attempt(uint256 indexed index, bool ok, bytes returnData);

    function attack(address account, bytes[] calldata calls) external {
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory returnData) = account.call(calls[i]);
            emit Attempt(i, ok, returnData);
        }
    }
}
