// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISessionAccount, CallPermission, Call} from "../../contracts/interfaces/ISessionAccount.sol";
import {CallPermissions} from "../../contracts/libraries/CallPermissions.sol";
import {UserOpCalls} from "../../contracts/libraries/UserOpCalls.sol";
import {Test} from "./lib/Test.sol";

/// @dev `execute` and `executeBatch` with the account's signatures: what Solidity's ABI decoder hands
/// them is what the account would call, returned for comparison.
contract DecoderProbe {
    function execute(address target, uint256 value, bytes calldata data) external pure returns (Call[] memory calls) {
        calls = new Call[](1);
        calls[0] = Call(target, value, data);
    }

    function executeBatch(Call[] calldata calls) external pure returns (Call[] memory) {
        return calls;
    }

    function permit(address key, CallPermission calldata permission) external {
        CallPermissions.write(key, permission);
    }

    function allowedBy(bytes calldata callData, address key, address account) external view returns (bool) {
        return UserOpCalls.allowedBy(callData, key, account);
    }

    function allows(address key, address account, Call calldata c) external view returns (bool) {
        return CallPermissions.allows(key, account, c.target, c.value, c.data);
    }
}

/// @title UserOpCalls reads a user operation's calls in place exactly as the ABI decoder does.
contract UserOpCallsTest is Test {
    address internal constant ACCOUNT = address(0xACC);
    address internal constant TOKEN = address(0x70CE);
    bytes4 internal constant TRANSFER = 0xa9059cbb;
    DecoderProbe internal probe = new DecoderProbe();
    address internal constant KEY = address(0x5E55);

    /// @dev The key's scope permits two calls, written where validation reads them (CallPermissions).
    function setUp() public {
        probe.permit(KEY, CallPermission(TOKEN, TRANSFER, 1 ether));
        probe.permit(KEY, CallPermission(address(0xBEEF), bytes4(0), 5 ether));
    }

    /// @dev A call the scope may or may not permit, steered towards the permitted ones.
    function _call(uint256 seed, bytes memory tail) internal pure returns (Call memory c) {
        c.target = seed % 3 == 0 ? address(0xBEEF) : seed % 3 == 1 ? TOKEN : address(uint160(seed));
        c.value = (seed >> 8) % 4 == 0 ? seed >> 16 : ((seed >> 16) % 2 ether);
        c.data = c.target == address(0xBEEF) && seed % 2 == 0 ? bytes("") : abi.encodePacked(TRANSFER, tail);
    }

    function _allAllowed(Call[] memory calls) internal view returns (bool) {
        for (uint256 i; i < calls.length; ++i) {
            if (!probe.allows(KEY, ACCOUNT, calls[i])) return false;
        }
        return true;
    }

    /// @dev Soundness: whenever the reader allows callData, the decoder accepts it and every call it decodes is permitted.
    function _checkAgainstDecoder(bytes memory callData) internal view {
        bool allowed = probe.allowedBy(callData, KEY, ACCOUNT);
        (bool decoded, bytes memory ret) = address(probe).staticcall(callData);
        if (!allowed) return;
        vm.assertTrue(decoded, "allowed callData that the ABI decoder refuses");
        vm.assertTrue(_allAllowed(abi.decode(ret, (Call[]))), "allowed callData whose decoded calls are forbidden");
    }

    function testFuzz_executeIsJudgedByTheCallItDecodesTo(uint256 seed, bytes memory tail) public view {
        Call memory c = _call(seed, tail);
        bytes memory callData = abi.encodeCall(ISessionAccount.execute, (c.target, c.value, c.data));
        Call[] memory one = new Call[](1);
        one[0] = c;
        vm.assertEq(probe.allowedBy(callData, KEY, ACCOUNT), _allAllowed(one), "execute");
    }

    function testFuzz_batchIsAllowedExactlyWhenEveryCallIs(uint256[] memory seeds, bytes memory tail) public view {
        Call[] memory calls = new Call[](seeds.length % 5);
        for (uint256 i; i < calls.length; ++i) calls[i] = _call(seeds[i], tail);
        bytes memory callData = abi.encodeCall(ISessionAccount.executeBatch, (calls));
        vm.assertEq(probe.allowedBy(callData, KEY, ACCOUNT), _allAllowed(calls), "executeBatch");
    }

    /// @dev Non-canonical encodings: one word of a well-formed callData overwritten (an offset, a length,
    /// an address's high bits), or bytes cut off or appended.
    function testFuzz_tamperedCallDataIsNeverReadDifferently(
        uint256 seed,
        bytes memory tail,
        bool batch,
        uint256 at,
        uint256 word,
        uint256 cut
    ) public view {
        Call[] memory calls = new Call[](batch ? 2 : 1);
        calls[0] = _call(seed, tail);
        if (batch) calls[1] = _call(seed >> 3, "");
        bytes memory callData = batch
            ? abi.encodeCall(ISessionAccount.executeBatch, (calls))
            : abi.encodeCall(ISessionAccount.execute, (calls[0].target, calls[0].value, calls[0].data));
        uint256 words = (callData.length - 4) / 32;
        at = 4 + 32 * (at % words);
        // Small words are offsets and lengths that point somewhere plausible; others are anything.
        if (word % 2 == 0) word = (word >> 1) % (callData.length + 64);
        assembly ("memory-safe") {
            mstore(add(add(callData, 0x20), at), word)
        }
        cut = cut % 97;
        if (cut < 48 && cut < callData.length) {
            assembly ("memory-safe") {
                mstore(callData, sub(mload(callData), cut))
            }
        } else if (cut >= 64) {
            callData = abi.encodePacked(callData, new bytes(cut - 64));
        }
        _checkAgainstDecoder(callData);
    }

    function test_dirtyAddressBitsAreRefused() public view {
        bytes memory callData = abi.encodeCall(ISessionAccount.execute, (TOKEN, 0, abi.encodePacked(TRANSFER)));
        callData[4] = 0x01; // a high byte of the target word
        vm.assertFalse(probe.allowedBy(callData, KEY, ACCOUNT), "dirty target");
        (bool decoded,) = address(probe).staticcall(callData);
        vm.assertFalse(decoded, "the decoder refuses it too");
    }

    function test_otherSelectorsAndShortCallDataAreRefused() public view {
        vm.assertFalse(probe.allowedBy(hex"b61d27", KEY, ACCOUNT), "3 bytes");
        vm.assertFalse(probe.allowedBy(abi.encodeWithSignature("execute(address,uint256)", TOKEN, 0), KEY, ACCOUNT), "other selector");
        Call[] memory none = new Call[](0);
        vm.assertTrue(probe.allowedBy(abi.encodeCall(ISessionAccount.executeBatch, (none)), KEY, ACCOUNT), "an empty batch makes no call");
    }
}
