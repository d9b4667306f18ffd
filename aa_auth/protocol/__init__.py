"""The protocol itself, with no chain: SPEC types and digests, scopes, orders, signatures, the decision.

Nothing here talks to a node, so a bot's hot path and the off-chain verifier import only this.
"""
