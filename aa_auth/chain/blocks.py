"""Reading a chain at one block, so several calls make one consistent snapshot."""

from __future__ import annotations

from web3 import Web3

from aa_auth.chain.connection import Chain

__all__ = ["at_block"]


def at_block(chain: Chain, block: int) -> Chain:
    """A view of `chain` whose calls all read at `block`, so the report is one consistent snapshot."""
    w3 = Web3(chain.w3.provider)
    w3.eth.default_block = block
    return Chain(w3, embedded=chain.embedded, tester=chain.tester)
