// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

import {ISessionAccount, CallPermission, Scope} from "../../contracts/interfaces/ISessionAccount.sol";
import {Fixture} from "./lib/Fixture.sol";

/// @title A session key's user operations against its gas budget (SPEC section 4, maxGasFee), through
/// validateUserOp as the EntryPoint calls it. The EntryPoint itself is the Python suites' (the real v0.8).
contract SessionUserOpsTest is Fixture {
    uint256 internal constant KEY_PK = 0x5E55;
    address internal constant TOKEN = address(0x70CE);
    bytes4 internal constant TRANSFER = 0xa9059cbb;
    uint256 internal constant GAS = 250_000; // verification and call 100,000 each, preVerification 50,000
    uint256 internal constant BUDGET = GAS * 4 gwei;
    address internal key;

    function setUp() public override {
        super.setUp();
        Scope memory scope = defaultScope();
        scope.maxGasFee = BUDGET;
        scope.calls = new CallPermission[](1);
        scope.calls[0] = CallPermission(TOKEN, TRANSFER, 0);
        key = grant(KEY_PK, scope);
    }

    /// @dev A permitted call whose maximum cost is (200,000 + preVerificationGas) * maxFeePerGas, signed
    /// by the key in its lane.
    function _validate(uint256 preVerificationGas, uint256 maxFeePerGas, uint64 sequence)
        internal
        returns (uint256 validationData)
    {
        PackedUserOperation memory op;
        op.sender = address(account);
        op.nonce = uint256(uint160(key)) << 64 | sequence;
        op.callData = abi.encodeCall(ISessionAccount.execute, (TOKEN, 0, abi.encodeWithSelector(TRANSFER, owner, 1)));
        op.accountGasLimits = bytes32(uint256(100_000) << 128 | 100_000);
        op.preVerificationGas = preVerificationGas;
        op.gasFees = bytes32(uint256(1 gwei) << 128 | maxFeePerGas);
        bytes32 hash = keccak256(abi.encode(op.nonce, preVerificationGas, maxFeePerGas)); // any digest: the key signs it
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(KEY_PK, hash);
        op.signature = abi.encodePacked(r, s, v);
        vm.prank(ENTRY_POINT);
        validationData = account.validateUserOp(op, hash, 0);
    }

    function _spent() internal view returns (uint256 spent) {
        (,,,,, spent) = account.getSession(key);
    }

    function test_anOperationCostingMoreThanTheBudgetLeftFails() public {
        vm.assertEq(_validate(50_000, 4 gwei + 1, 0), 1, "GAS wei more than the budget: SIG_VALIDATION_FAILED");
        vm.assertEq(_validate(BUDGET - 200_000 + 1, 1, 0), 1, "one wei more than the budget");
        vm.assertEq(_spent(), 0, "a refused operation spends nothing");
        vm.assertEq(_validate(BUDGET - 200_000, 1, 0) & 1, 0, "one wei less passes: the refusal was the budget's");
    }

    function test_theWholeBudgetCanBeSpentThenNothingMore() public {
        uint256 data = _validate(50_000, 4 gwei, 0);
        vm.assertEq(data & 1, 0, "exactly the budget passes");
        vm.assertEq(data >> 160 & type(uint48).max, block.timestamp + 1 days, "valid until the key's validUntil");
        vm.assertEq(_spent(), BUDGET, "its maximum cost is charged");
        vm.assertEq(_validate(50_000, 1, 1), 1, "nothing is left for another");
        vm.assertEq(_spent(), BUDGET, "and the refusal charged nothing");
    }
}
