// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "./Vm.sol";

/// @title The base of every forge test here: the cheat codes, `bound`, and the invariant targets forge
/// asks a test contract for (what forge-std's Test and StdInvariant provide, reduced to what is used).
abstract contract Test {
    /// @dev The forge convention: a test contract says so.
    bool public constant IS_TEST = true;

    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;

    /// @dev forge's invariant runner calls only these contracts' functions...
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    /// @dev ...and of them only these selectors.
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetSelectors.push(selector);
    }

    /// @dev `x` mapped into [min, max] (min <= max), uniformly enough for fuzzing and keeping small
    /// inputs as they are so the fuzzer's edge values reach both ends.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 span = max - min;
        if (span == type(uint256).max) return x;
        return min + x % (span + 1);
    }
}
