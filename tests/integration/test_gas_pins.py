"""Exact gas of the bench's rows on the embedded chain at a fixed clock, to catch regressions (issue
14). Gas is deterministic here: fixed keys, RFC 6979 signatures, and a clock that starts at
2100-01-01 so every timestamp in the calldata is the same from run to run. A change that moves one
of these on purpose updates the pin and BENCHMARKS.md together."""

from __future__ import annotations

from aa_auth.chain.connection import Chain
from aa_auth.ops.demo import DEMO_START

# aa_auth.ops.bench is imported inside the tests: importing it at collection would set the attribute
# aa_auth.ops.bench before test_cli's check that the CLI says when the bench is missing.


PINNED_CREATE = 72_750
PINNED_UPGRADE = 36_854  # EIP-7702 delegation of a funded EOA, sponsored (issue 13)
PINNED_GRANT = 219_278
# A batch's gas per order. deploy_stack also deploys SessionAccount7702 (issue 13): one block more
# before the orders moves their deadlines' calldata bytes (319,293 and 265,422 without it).
PINNED_FIRST = 293_856 / 10
PINNED_NEXT = 239_638 / 10
PINNED_OWNER_OP = 94_347
PINNED_SIMPLE_ACCOUNT_OP = 98_597  # EntryPoint v0.8's SimpleAccount, the same transfer (reference row)
PINNED_SESSION_OP = 105_703
PINNED_SESSION_OVER_OWNER = 11_356


def _fixed_chain() -> Chain:
    chain = Chain.create_embedded()
    chain.travel_to(DEMO_START)
    return chain


def test_account_grant_and_settle_gas_are_pinned() -> None:
    from aa_auth.ops.bench import gas_rows

    rows = {row.name: row.ours for row in gas_rows(10, _fixed_chain())}
    assert rows == {
        "createAccount (clone)": PINNED_CREATE,
        "upgrade EOA (type-4 delegation)": PINNED_UPGRADE,
        "grantSession, 2 markets + 1 venue": PINNED_GRANT,
        "settle 10 session orders, per order, first batch": PINNED_FIRST,
        "settle 10 session orders, per order, next batch": PINNED_NEXT,
    }


def test_session_user_operation_gas_is_pinned() -> None:
    from aa_auth.ops.bench import user_op_rows

    rows = {row.name: (row.ours, row.reference) for row in user_op_rows(_fixed_chain())}
    assert rows == {
        "handleOps, ERC-20 transfer, owner": (PINNED_OWNER_OP, PINNED_SIMPLE_ACCOUNT_OP),
        "handleOps, ERC-20 transfer, scoped session key": (PINNED_SESSION_OP, PINNED_OWNER_OP),
        "  session key over the owner": (PINNED_SESSION_OVER_OWNER, 41_000),
        "  the session key's operation": (PINNED_SESSION_OP, PINNED_SIMPLE_ACCOUNT_OP),
    }
