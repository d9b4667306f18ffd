"""aa-auth: scoped session keys for ERC-4337 smart accounts, enforced on-chain, with a Python layer.

The names below are the public API (docs/python.md); the subpackages are the implementation.
"""

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.eip7702 import Delegation, delegate, delegation, undelegate
from aa_auth.contracts.stack import Stack, create_account, deploy_stack
from aa_auth.contracts.venue import Outcome, Settlement, Venue
from aa_auth.errors import (
    AAAuthError,
    ChainError,
    ContractRevert,
    DelegationNotApplied,
    DomainMismatch,
    InsufficientFunds,
    InvalidInput,
    OrderRejectedError,
    Reason,
    TransactionError,
)
from aa_auth.ops.audit import AccountReport, inspect_account
from aa_auth.ops.keys import load_keystore
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import ANY_MARKET, CallPermission, MarketLimit, Scope, market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.verify import (
    AccountState,
    Decision,
    KeyStatus,
    SessionState,
    SessionStatus,
    Verifier,
    decide,
    key_status,
)

__all__ = [
    "AAAuthError",
    "ANY_MARKET",
    "AccountReport",
    "AccountState",
    "CallPermission",
    "Chain",
    "ChainError",
    "ContractRevert",
    "Decision",
    "Delegation",
    "DelegationNotApplied",
    "DomainMismatch",
    "InsufficientFunds",
    "InvalidInput",
    "KeyStatus",
    "MarketLimit",
    "Order",
    "OrderRejectedError",
    "OrderSigner",
    "Outcome",
    "Reason",
    "Scope",
    "SessionState",
    "SessionStatus",
    "Settlement",
    "SignedOrder",
    "SmartAccount",
    "Stack",
    "TransactionError",
    "Venue",
    "Verifier",
    "create_account",
    "decide",
    "delegate",
    "delegation",
    "deploy_stack",
    "inspect_account",
    "key_status",
    "load_keystore",
    "market_limit",
    "scope",
    "undelegate",
]
