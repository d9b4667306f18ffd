"""What Chain says when a node refuses: named errors from the AAAuthError tree, not web3's or eth-tester's."""

from __future__ import annotations

import pytest
from eth_utils.exceptions import ValidationError
from web3.exceptions import Web3RPCError

from aa_auth.chain.connection import Chain
from aa_auth.errors import InsufficientFunds, InvalidInput, TransactionError

SENDER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.mark.parametrize(
    "refusal",
    [
        # eth-tester (py-evm) while estimating or sending
        ValidationError("Sender b'\\xc5' cannot afford txn gas 24540000000000 with account balance 0"),
        # anvil
        Web3RPCError("{'code': -32003, 'message': 'Insufficient funds for gas * price + value'}"),
        # geth
        ValueError({"code": -32000, "message": "insufficient funds for gas * price + value: have 0 want 21000000"}),
    ],
)
def test_an_unfunded_sender_is_insufficient_funds_naming_the_sender(refusal: Exception) -> None:
    error = Chain.named_error(refusal, SENDER)
    assert isinstance(error, InsufficientFunds) and isinstance(error, TransactionError)
    assert str(error).startswith(f"{SENDER} cannot pay for this transaction") and "send it ETH" in str(error)


def test_eth_testers_amounts_are_kept_and_its_bytes_address_is_not() -> None:
    error = Chain.named_error(ValidationError("Sender b'\\xc5' cannot afford txn gas 24540000000000 with account balance 7"))
    assert "gas costs up to 24,540,000,000,000 wei, its balance is 7" in str(error) and "b'" not in str(error)
    assert str(error).startswith("the sender cannot pay")


def test_other_eth_tester_refusals_are_transaction_errors() -> None:
    error = Chain.named_error(ValidationError("Invalid transaction nonce: Expected 3, but got 4"))
    assert isinstance(error, TransactionError) and "Expected 3, but got 4" in str(error)


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8546", "wss://node.example/v3/key"])
def test_a_websocket_url_is_refused_saying_to_use_http(url: str) -> None:
    with pytest.raises(InvalidInput, match="WebSocket URL; aa-auth talks to nodes over HTTP"):
        Chain.connect(url)


def test_connect_documents_what_it_accepts() -> None:
    doc = Chain.connect.__doc__ or ""
    assert "ws(s)://" not in doc and "HTTP(S)" in doc


def test_fund_on_a_node_without_unlocked_accounts_says_what_to_do() -> None:
    from types import SimpleNamespace

    node = Chain(w3=SimpleNamespace(eth=SimpleNamespace(accounts=[])), embedded=False)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="no unlocked account to fund from"):
        node.fund("0x" + "11" * 20, 1)
