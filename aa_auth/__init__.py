"""aa-auth: scoped session keys for ERC-4337 smart accounts, enforced on-chain, with a Python layer."""

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account, deploy_stack
from aa_auth.errors import AAAuthError, ContractRevert, InvalidInput, OrderRejectedError, Reason
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import ANY_MARKET, CallPermission, MarketLimit, Scope, market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.verify import AccountState, Decision, Verifier, decide

__all__ = [
    "AAAuthError",
    "ANY_MARKET",
    "AccountState",
    "CallPermission",
    "Chain",
    "ContractRevert",
    "Decision",
    "InvalidInput",
    "MarketLimit",
    "Order",
    "OrderRejectedError",
    "OrderSigner",
    "Reason",
    "Scope",
    "SignedOrder",
    "SmartAccount",
    "Stack",
    "Verifier",
    "create_account",
    "decide",
    "deploy_stack",
    "market_limit",
    "scope",
]
