// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {SIG_VALIDATION_FAILED} from "@account-abstraction/contracts/core/Helpers.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {Order} from "./interfaces/IOrderAuthorizer.sol";
import {ISessionAccount, Scope, Call} from "./interfaces/ISessionAccount.sol";
import {AccountStorage} from "./libraries/AccountStorage.sol";
import {CallPermissions} from "./libraries/CallPermissions.sol";
import {NonceBitmap} from "./libraries/NonceBitmap.sol";
import {OrderHash} from "./libraries/OrderHash.sol";
import {ScopeBlob} from "./libraries/ScopeBlob.sol";
import {ScopeLib} from "./libraries/ScopeLib.sol";
import {IScopeWriter, ScopeStore} from "./libraries/ScopeStore.sol";
import {UserOpCalls} from "./libraries/UserOpCalls.sol";
import {AA_AUTH_MESSAGE_TYPEHASH, REVOKE_SESSION_TYPEHASH, SESSION_GRANT_TYPEHASH} from "./libraries/TypeHashes.sol";

/// @title Everything an aa-auth account does (SPEC sections 2-7, 10, 13), whoever its owner is.
/// @notice Two thin ends set the owner: SessionAccount (a clone, the owner in its immutable args) and
/// SessionAccount7702 (an EOA delegated by EIP-7702, the owner the EOA itself). All state sits in one
/// ERC-7201 namespace (AccountStorage), and the account never runs CREATE or CREATE2 in its own
/// context. The implementation contract itself has no owner and can never be used as an account;
/// it only serves as its accounts' scope writer (ScopeStore).
abstract contract SessionAccountBase is ISessionAccount, IScopeWriter, IERC721Receiver, IERC1155Receiver {
    using NonceBitmap for mapping(uint256 => uint256);
    using ScopeLib for Scope;
    using ScopeBlob for bytes;

    uint8 private constant AUTHORIZED = 0;
    uint8 private constant BAD_SIGNATURE = 1;
    uint8 private constant UNKNOWN_SIGNER = 2;
    uint8 private constant SESSION_REVOKED = 3;
    uint8 private constant ACCOUNT_FROZEN = 4;
    uint8 private constant SESSION_NOT_YET_VALID = 5;
    uint8 private constant SESSION_EXPIRED = 6;
    uint8 private constant VENUE_NOT_ALLOWED = 7;
    uint8 private constant MARKET_NOT_ALLOWED = 8;
    uint8 private constant ORDER_TOO_LARGE = 9;
    uint8 private constant PRICE_OUT_OF_BAND = 10;
    uint8 private constant ORDER_EXPIRED = 11;
    uint8 private constant NONCE_ALREADY_USED = 12;
    uint8 private constant RATE_LIMITED = 13;
    uint8 private constant NOTIONAL_CAP_EXCEEDED = 14;

    // Where PackedUserOperation's head holds the offsets of callData and paymasterAndData (the fourth and
    // eighth of its nine fields).
    uint256 private constant CALL_DATA_HEAD = 0x60;
    uint256 private constant PAYMASTER_AND_DATA_HEAD = 0xe0;

    IEntryPoint private immutable _entryPoint;
    /// @dev The implementation's own address: no owner there, and the scope writer of its accounts.
    address internal immutable _implementation;

    constructor(IEntryPoint anEntryPoint) {
        _entryPoint = anEntryPoint;
        _implementation = address(this);
    }

    receive() external payable {}

    // ---------------------------------------------------------------- the two ends

    /// @inheritdoc ISessionAccount
    /// @dev address(0) on the implementation itself, so every owner-only call fails there.
    function owner() public view virtual returns (address);

    /// @dev Whether a user operation may carry `initCode` (the EntryPoint has acted on it already).
    function _acceptsInitCode(bytes calldata initCode) internal pure virtual returns (bool);

    // ---------------------------------------------------------------- access

    /// @dev The owner directly, or the account calling itself (reached only through an owner `execute`,
    /// since session-key calls to the account are refused at validation).
    modifier onlyOwner() {
        if (msg.sender != owner() && msg.sender != address(this)) revert Unauthorized(msg.sender);
        _;
    }

    /// @dev The EntryPoint first: it is the caller of every user operation, and comparing with it costs
    /// no read of the owner (a clone's owner() copies its code).
    modifier onlyOwnerOrEntryPoint() {
        if (msg.sender != address(_entryPoint) && msg.sender != owner() && msg.sender != address(this)) {
            revert Unauthorized(msg.sender);
        }
        _;
    }

    /// @inheritdoc ISessionAccount
    function guardian() external view returns (address) {
        return AccountStorage.layout().guardian;
    }

    /// @inheritdoc ISessionAccount
    function entryPoint() external view returns (address) {
        return address(_entryPoint);
    }

    /// @inheritdoc ISessionAccount
    function frozen() external view returns (bool) {
        return AccountStorage.layout().frozen;
    }

    /// @inheritdoc ISessionAccount
    function grantNonce() external view returns (uint256) {
        return AccountStorage.layout().grantNonce;
    }

    /// @inheritdoc ISessionAccount
    function setGuardian(address newGuardian) external onlyOwner {
        AccountStorage.layout().guardian = newGuardian;
        emit GuardianSet(newGuardian);
    }

    /// @inheritdoc ISessionAccount
    function freeze() external {
        AccountStorage.Layout storage $ = AccountStorage.layout();
        address by = msg.sender == address(this) ? owner() : msg.sender;
        if (by != owner() && by != $.guardian) revert Unauthorized(msg.sender);
        $.frozen = true;
        emit Frozen(by);
    }

    /// @inheritdoc ISessionAccount
    function unfreeze() external onlyOwner {
        AccountStorage.layout().frozen = false;
        emit Unfrozen();
    }

    // ---------------------------------------------------------------- sessions

    /// @inheritdoc ISessionAccount
    function grantSession(address key, Scope calldata scope) external onlyOwner {
        _grant(key, scope);
    }

    /// @inheritdoc ISessionAccount
    function grantSessionWithSig(address key, Scope calldata scope, uint256 deadline, bytes calldata ownerSignature)
        external
    {
        if (block.timestamp > deadline) revert GrantExpired(deadline);
        AccountStorage.Layout storage $ = AccountStorage.layout();
        uint256 nonce = $.grantNonce;
        bytes32 digest = _hashTypedData(
            keccak256(abi.encode(SESSION_GRANT_TYPEHASH, key, ScopeLib.hash(scope), nonce, deadline))
        );
        if (!_signedBy(digest, ownerSignature, owner())) revert InvalidSignature();
        $.grantNonce = nonce + 1;
        _grant(key, scope);
    }

    /// @inheritdoc ISessionAccount
    function revokeSession(address key) external onlyOwner {
        _revoke(key, owner());
    }

    /// @inheritdoc ISessionAccount
    function revokeSessionWithSig(address key, bytes calldata keySignature) external {
        bytes32 digest = _hashTypedData(keccak256(abi.encode(REVOKE_SESSION_TYPEHASH, key)));
        if (!_signedBy(digest, keySignature, key)) revert InvalidSignature();
        _revoke(key, key);
    }

    /// @inheritdoc ISessionAccount
    function rotateSession(address oldKey, address newKey) external onlyOwner {
        address pointer = AccountStorage.layout().sessions[oldKey].scopePointer;
        _revoke(oldKey, owner());
        _checkNewKey(newKey);
        Scope memory scope = _loadScope(pointer);
        _activate(newKey, pointer, scope);
        emit SessionRotated(oldKey, newKey);
    }

    /// @inheritdoc ISessionAccount
    function revokeAllSessions() external onlyOwner {
        AccountStorage.Layout storage $ = AccountStorage.layout();
        uint32 epoch = $.epoch + 1;
        $.epoch = epoch;
        emit AllSessionsRevoked(epoch);
    }

    /// @inheritdoc ISessionAccount
    function getSession(address key)
        external
        view
        returns (
            uint8 status,
            Scope memory scope,
            uint256 windowIndex,
            uint256 windowOrders,
            uint256 windowNotional,
            uint256 gasFeeSpent
        )
    {
        AccountStorage.Session storage s = AccountStorage.layout().sessions[key];
        status = uint8(_status(s));
        if (status == uint8(SessionStatus.None)) return (status, scope, 0, 0, 0, 0);
        scope = _loadScope(s.scopePointer);
        // A key that may not submit operations has no budget word: it has spent nothing.
        gasFeeSpent = scope.maxGasFee == 0 ? 0 : AccountStorage.budgetCap(scope.maxGasFee) - s.gasFeeLeft;
        windowIndex = s.windowIndex;
        (windowOrders, windowNotional) = AccountStorage.window(s);
    }

    /// @inheritdoc ISessionAccount
    function sessionKeys() external view returns (address[] memory) {
        return AccountStorage.layout().keys;
    }

    /// @inheritdoc IScopeWriter
    /// @dev Only on the implementation itself (through a clone or a delegated EOA it would run CREATE2
    /// in the account's context). Anyone may store data here; an account reads only pointers it recorded.
    function writeScope(address key, bytes calldata blob) external returns (address pointer) {
        if (address(this) != _implementation) revert Unauthorized(msg.sender);
        return ScopeStore.create(key, blob);
    }

    function _grant(address key, Scope calldata scope) private {
        _checkNewKey(key);
        ScopeLib.validate(scope);
        _activate(key, ScopeStore.write(_implementation, key, ScopeBlob.encode(scope)), scope);
    }

    /// @dev The grant rules on the key itself: not zero, the owner or the account, and never granted here.
    function _checkNewKey(address key) private view {
        if (key == address(0) || key == owner() || key == address(this)) revert InvalidSessionKey(key);
        if (AccountStorage.layout().sessions[key].scopePointer != address(0)) revert KeyAlreadyGranted(key);
    }

    function _activate(address key, address pointer, Scope memory scope) private {
        // A key is granted once ever (_checkNewKey), so its counters are still zero: only the first slot
        // needs writing, which saves cold zero-to-zero stores; the user-operation word and the call
        // words only for a key that may submit user operations.
        AccountStorage.Layout storage $ = AccountStorage.layout();
        AccountStorage.Session storage s = $.sessions[key];
        uint32 epoch = $.epoch;
        (s.scopePointer, s.epoch) = (pointer, epoch);
        if (scope.maxGasFee != 0) {
            (s.opsValidAfter, s.opsValidUntil, s.opsEpoch, s.gasFeeLeft) =
                (scope.validAfter, scope.validUntil, epoch, AccountStorage.budgetCap(scope.maxGasFee));
            for (uint256 i; i < scope.calls.length; ++i) {
                CallPermissions.write(key, scope.calls[i]);
            }
        }
        $.keys.push(key);
        emit SessionGranted(key, scope.hash(), scope.validAfter, scope.validUntil);
    }

    function _revoke(address key, address by) private {
        AccountStorage.Session storage s = AccountStorage.layout().sessions[key];
        if (_status(s) != SessionStatus.Active) revert SessionNotActive(key);
        (s.revoked, s.opsValidUntil) = (true, 0);
        emit SessionRevoked(key, by);
    }

    function _status(AccountStorage.Session storage s) private view returns (SessionStatus) {
        return _status(s.scopePointer, s.epoch, s.revoked, AccountStorage.layout().epoch);
    }

    function _status(address pointer, uint32 epoch, bool revoked, uint32 accountEpoch)
        private
        pure
        returns (SessionStatus)
    {
        if (pointer == address(0)) return SessionStatus.None;
        if (revoked || epoch != accountEpoch) return SessionStatus.Revoked;
        return SessionStatus.Active;
    }

    function _loadScope(address pointer) private view returns (Scope memory) {
        return ScopeBlob.decode(ScopeStore.read(pointer));
    }

    // ---------------------------------------------------------------- orders

    /// @inheritdoc ISessionAccount
    function nonceBitmap(address signer, uint256 word) external view returns (uint256) {
        return AccountStorage.layout().nonceBitmap[signer][word];
    }

    /// @inheritdoc ISessionAccount
    function invalidateNonces(address signer, uint256 word, uint256 mask) external onlyOwner {
        AccountStorage.layout().nonceBitmap[signer][word] |= mask;
        emit NoncesInvalidated(signer, word, mask);
    }

    /// @notice The EIP-712 digest of `order` under this account's domain.
    function orderDigest(Order calldata order) public view returns (bytes32) {
        return OrderHash.digest(order, address(this));
    }

    /// @notice Decides `order` as `consumeOrder` would, without changing state. Never reverts.
    function isOrderAuthorized(Order calldata order, bytes calldata signature)
        external
        view
        returns (uint8 reason, address signer)
    {
        (reason, signer,,,,,) = _authorize(order, orderDigest(order), signature);
    }

    /// @notice Authorizes `order`, marks its nonce used and charges the signer's window. Venue only.
    function consumeOrder(Order calldata order, bytes calldata signature) external returns (address) {
        if (msg.sender != order.venue) revert CallerNotVenue();
        bytes32 digest = orderDigest(order);
        (
            uint8 reason,
            address signer,
            AccountStorage.Session storage s,
            uint48 windowIndex,
            bool newWindow,
            uint256 orders,
            uint256 notional
        ) = _authorize(order, digest, signature);
        if (reason != AUTHORIZED) revert OrderRejected(reason);
        AccountStorage.layout().nonceBitmap[signer].use(order.nonce);
        if (orders != 0) AccountStorage.charge(s, windowIndex, newWindow, orders, notional);
        emit OrderConsumed(signer, order.venue, order.nonce, digest);
        return signer;
    }

    /// @dev SPEC section 5, in its order; the first failing check is the reason. The verdict stays on
    /// the stack with what consuming would write to the key's window (`orders` zero for the owner,
    /// who is charged nothing), so `consumeOrder` re-reads nothing.
    function _authorize(Order calldata order, bytes32 digest, bytes calldata signature)
        private
        view
        returns (
            uint8 reason,
            address signer,
            AccountStorage.Session storage s,
            uint48 windowIndex,
            bool newWindow,
            uint256 orders,
            uint256 notional
        )
    {
        bool valid;
        (signer, valid) = _recover(digest, signature);
        AccountStorage.Layout storage $ = AccountStorage.layout();
        s = $.sessions[signer];
        if (!valid) return (BAD_SIGNATURE, address(0), s, 0, false, 0, 0);
        if (signer == owner()) return (_checkDeadlineAndNonce(order, signer), signer, s, 0, false, 0, 0);

        (address pointer, uint32 epoch, bool revoked, uint48 lastIndex) = AccountStorage.word0(s);
        (bool isFrozen, uint32 accountEpoch) = AccountStorage.flags($);
        SessionStatus status = _status(pointer, epoch, revoked, accountEpoch);
        if (status == SessionStatus.None) return (UNKNOWN_SIGNER, signer, s, 0, false, 0, 0);
        if (status == SessionStatus.Revoked) return (SESSION_REVOKED, signer, s, 0, false, 0, 0);
        if (isFrozen) return (ACCOUNT_FROZEN, signer, s, 0, false, 0, 0);

        bytes memory blob = ScopeStore.read(pointer);
        reason = _checkScope(blob, order);
        if (reason == AUTHORIZED) reason = _checkDeadlineAndNonce(order, signer);
        if (reason != AUTHORIZED) return (reason, signer, s, 0, false, 0, 0);

        // block.timestamp >= validAfter here, and the index is below 2**48 because validUntil is a uint48.
        uint256 seconds_ = blob.windowSeconds();
        windowIndex = seconds_ == 0 ? 0 : uint48((block.timestamp - blob.validAfter()) / seconds_);
        newWindow = windowIndex != lastIndex;
        uint256 spent;
        if (!newWindow) (orders, spent) = AccountStorage.window(s);
        // orders <= maxOrdersPerWindow, a uint32, once this check passes.
        if (++orders > blob.maxOrdersPerWindow()) return (RATE_LIMITED, signer, s, 0, false, 0, 0);
        bool fits;
        (fits, notional) = _windowNotional(order, spent);
        if (!fits || notional > blob.maxNotionalPerWindow()) return (NOTIONAL_CAP_EXCEEDED, signer, s, 0, false, 0, 0);
    }

    /// @dev Checks 5 to 10 of SPEC section 5 against the key's scope.
    function _checkScope(bytes memory blob, Order calldata order) private view returns (uint8) {
        if (block.timestamp < blob.validAfter()) return SESSION_NOT_YET_VALID;
        if (block.timestamp > blob.validUntil()) return SESSION_EXPIRED;
        if (!blob.allowsVenue(order.venue)) return VENUE_NOT_ALLOWED;
        (bool found, uint256 maxOrderSize, uint256 minPrice, uint256 maxPrice) = blob.marketLimit(order.market);
        if (!found) return MARKET_NOT_ALLOWED;
        if (order.size > maxOrderSize) return ORDER_TOO_LARGE;
        if (order.price < minPrice || order.price > maxPrice) return PRICE_OUT_OF_BAND;
        return AUTHORIZED;
    }

    function _checkDeadlineAndNonce(Order calldata order, address signer) private view returns (uint8) {
        if (block.timestamp > order.deadline) return ORDER_EXPIRED;
        if (AccountStorage.layout().nonceBitmap[signer].isUsed(order.nonce)) return NONCE_ALREADY_USED;
        return AUTHORIZED;
    }

    /// @dev notional = size * price / 1e18 rounded down, at full precision; `fits` is false when the
    /// notional or the window total would pass 2**256 - 1 (reason 14).
    function _windowNotional(Order calldata order, uint256 spent) private pure returns (bool fits, uint256 total) {
        (uint256 size, uint256 price) = (order.size, order.price);
        uint256 notional;
        if ((size | price) >> 128 == 0) {
            // Both below 2**128: the product fits in 256 bits, so plain division is exact.
            unchecked {
                notional = size * price / 1e18;
            }
        } else {
            (uint256 high,) = Math.mul512(size, price);
            // The quotient fits in 256 bits exactly when the high word is below the divisor.
            if (high >= 1e18) return (false, 0);
            notional = Math.mulDiv(size, price, 1e18);
        }
        return Math.tryAdd(spent, notional);
    }

    function _signedBy(bytes32 digest, bytes calldata signature, address expected) private pure returns (bool) {
        (address signer, bool valid) = _recover(digest, signature);
        return valid && signer == expected;
    }

    /// @dev SPEC reason 1's rules: exactly 65 bytes (r, s, v), then OpenZeppelin's low-s and ecrecover
    /// checks. Reading r, s and v from calldata spares copying the signature to memory.
    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address signer, bool valid) {
        if (signature.length != 65) return (address(0), false);
        ECDSA.RecoverError err;
        (signer, err,) =
            ECDSA.tryRecover(digest, uint8(signature[64]), bytes32(signature[:32]), bytes32(signature[32:64]));
        return (signer, err == ECDSA.RecoverError.NoError);
    }

    // ---------------------------------------------------------------- execution and ERC-4337

    /// @inheritdoc ISessionAccount
    function execute(address target, uint256 value, bytes calldata data) external onlyOwnerOrEntryPoint {
        _call(0, target, value, data);
    }

    /// @inheritdoc ISessionAccount
    function executeBatch(Call[] calldata calls) external onlyOwnerOrEntryPoint {
        for (uint256 i; i < calls.length; ++i) {
            _call(i, calls[i].target, calls[i].value, calls[i].data);
        }
    }

    /// @dev The return data is copied only for the revert that carries it: a call that succeeds returns nothing.
    function _call(uint256 index, address target, uint256 value, bytes calldata data) private {
        bool ok;
        assembly ("memory-safe") {
            let input := mload(0x40) // scratch above the free memory pointer, never kept
            calldatacopy(input, data.offset, data.length)
            ok := call(gas(), target, value, input, data.length, 0, 0)
        }
        if (!ok) {
            uint256 size;
            assembly ("memory-safe") {
                size := returndatasize()
            }
            bytes memory result = new bytes(size);
            assembly ("memory-safe") {
                returndatacopy(add(result, 0x20), 0, size)
            }
            revert CallFailed(index, result);
        }
    }

    /// @notice ERC-4337 validation (EntryPoint v0.8). Every refusal returns SIG_VALIDATION_FAILED, on
    /// which the EntryPoint reverts the whole bundle, so nothing validation wrote persists; only a
    /// caller other than the EntryPoint gets a revert.
    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 missingAccountFunds)
        external
        returns (uint256 validationData)
    {
        if (msg.sender != address(_entryPoint)) revert Unauthorized(msg.sender);
        validationData = _validateUserOp(userOp, userOpHash);
        if (missingAccountFunds != 0) {
            // The EntryPoint checks the deposit itself; a failed transfer surfaces there as AA21.
            (bool paid,) = payable(msg.sender).call{value: missingAccountFunds}("");
            (paid);
        }
    }

    /// @dev A session operation is validated for the key its nonce lane names, every check run and the
    /// recovered signer compared last, so a bundler's estimate with a stub signature (docs/erc4337.md)
    /// walks the same path and costs what the real signature costs.
    function _validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash) private returns (uint256) {
        if (!_acceptsInitCode(userOp.initCode)) return SIG_VALIDATION_FAILED;
        (address signer, bool valid) = _recover(userOpHash, userOp.signature);
        // The owner comparison first, so a stub signature (no owner, no key) pays it as a key's does.
        if (signer == owner() && valid) return 0;

        // Each key has its own nonce lane, uint192(uint160(key)), so keys never block one another.
        uint256 lane = userOp.nonce >> 64;
        if (lane >> 160 != 0) return SIG_VALIDATION_FAILED;
        address key = address(uint160(lane));
        // Two words, one SLOAD each, unpacked by shifts (AccountStorage's bit positions): the key's
        // user-operation word (validUntil zero for a key never granted, revoked, or without user
        // operations) and the account's (frozen and the revoke-all epoch).
        uint256 slot = AccountStorage.opsSlot(key);
        uint256 ops;
        assembly ("memory-safe") {
            ops := sload(slot)
        }
        (bool isFrozen, uint32 accountEpoch) = AccountStorage.flags(AccountStorage.layout());
        uint256 validUntil = uint48(ops >> AccountStorage.OPS_VALID_UNTIL_SHIFT);
        if (validUntil == 0) return SIG_VALIDATION_FAILED;
        if (uint32(ops >> AccountStorage.OPS_EPOCH_SHIFT) != accountEpoch) return SIG_VALIDATION_FAILED;
        if (isFrozen) return SIG_VALIDATION_FAILED;
        (bool inCalldata, bytes calldata paymasterAndData) = _bytesField(userOp, PAYMASTER_AND_DATA_HEAD);
        if (!inCalldata || paymasterAndData.length != 0) return SIG_VALIDATION_FAILED;
        bytes calldata callData;
        (inCalldata, callData) = _bytesField(userOp, CALL_DATA_HEAD);
        if (!inCalldata || !UserOpCalls.allowedBy(callData, key, address(this))) return SIG_VALIDATION_FAILED;

        uint256 cost = _maxCost(userOp);
        uint256 left = ops >> AccountStorage.GAS_FEE_LEFT_SHIFT;
        if (cost > left) return SIG_VALIDATION_FAILED;
        uint256 validAfter = uint48(ops);
        uint256 packed;
        unchecked {
            // The whole word rewritten at once: the budget less the cost, the other fields as they were.
            ops = uint128(ops) | (left - cost) << AccountStorage.GAS_FEE_LEFT_SHIFT;
            // _packValidationData(false, validUntil, validAfter - 1): EntryPoint v0.8 treats validAfter as
            // exclusive, so validAfter - 1 keeps SPEC's inclusive window (0 stays 0).
            packed = validUntil << 160 | (validAfter == 0 ? 0 : validAfter - 1) << 208;
        }
        // Last, without a branch: a signer other than the lane's key fails after exactly the same work.
        uint256 result;
        assembly ("memory-safe") {
            sstore(slot, ops)
            let signedByKey := and(valid, eq(signer, key))
            result := or(mul(signedByKey, packed), iszero(signedByKey)) // SIG_VALIDATION_FAILED is 1
        }
        return result;
    }

    /// @dev The bytes field of `userOp` whose offset word is at `head`, read in place without the ABI
    /// decoder's checks: only the EntryPoint gets here, and it ABI-encodes the operation itself
    /// (abi.encodeCall), so the field is where the decoder would find it. `ok` is false for a field
    /// that would reach past the calldata (the decoder would revert there).
    function _bytesField(PackedUserOperation calldata userOp, uint256 head)
        private
        pure
        returns (bool ok, bytes calldata field)
    {
        assembly ("memory-safe") {
            let offset := calldataload(add(userOp, head))
            let at := add(userOp, offset)
            field.length := calldataload(at)
            field.offset := add(at, 32)
            // Offsets and lengths below 2**32 keep the sums from wrapping.
            ok := and(and(lt(offset, 0x100000000), lt(field.length, 0x100000000)),
                iszero(gt(add(field.offset, field.length), calldatasize())))
        }
    }

    /// @dev The operation's maximum cost without a paymaster (SPEC section 4, maxGasFee).
    function _maxCost(PackedUserOperation calldata userOp) private pure returns (uint256 cost) {
        uint256 verificationGas = uint256(userOp.accountGasLimits) >> 128;
        uint256 callGas = uint128(uint256(userOp.accountGasLimits));
        uint256 maxFeePerGas = uint128(uint256(userOp.gasFees));
        // The EntryPoint refuses gas values above 2**120 before it calls validateUserOp (AA94), and only
        // it gets here: the cost is below 2**242, so nothing overflows.
        unchecked {
            cost = (verificationGas + callGas + userOp.preVerificationGas) * maxFeePerGas;
        }
    }

    // ---------------------------------------------------------------- signatures, EIP-712, tokens

    /// @notice ERC-1271: valid only for the owner's signature over the replay-safe AAAuthMessage hash.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        bytes32 digest = _hashTypedData(keccak256(abi.encode(AA_AUTH_MESSAGE_TYPEHASH, hash)));
        address expected = owner();
        return expected != address(0) && _signedBy(digest, signature, expected) ? this.isValidSignature.selector : bytes4(0xffffffff);
    }

    /// @notice ERC-5267: the domain of SPEC section 2, with this account as `verifyingContract`.
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"0f", "AA Auth Account", "1", block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    /// @dev No domain cache: under a clone or a delegated EOA `address(this)` is never the address a
    /// constructor could cache it for.
    function _hashTypedData(bytes32 structHash) private view returns (bytes32) {
        return OrderHash.typedDataDigest(address(this), structHash);
    }

    /// @notice ERC-721 safe transfers to the account arrive.
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return IERC721Receiver.onERC721Received.selector;
    }

    /// @notice ERC-1155 safe transfers to the account arrive.
    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        return IERC1155Receiver.onERC1155Received.selector;
    }

    /// @notice ERC-1155 safe batch transfers to the account arrive.
    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        return IERC1155Receiver.onERC1155BatchReceived.selector;
    }

    /// @notice ERC-165: the token receivers and ERC-165 itself.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC721Receiver).interfaceId
            || interfaceId == type(IERC1155Receiver).interfaceId;
    }
}
