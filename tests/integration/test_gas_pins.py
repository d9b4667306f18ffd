"""Exact gas of the bench's rows on the embedded chain at a fixed clock, to catch regressions (issue
14). Gas is deterministic here: fixed keys, RFC 6979 signatures, and a clock that starts at
2100-01-01 so every timestamp in the calldata is the same from run to run. A change that moves one
of these on purpose updates the pin and BENCHMARKS.md together."""

from __future__ import annotations

from aa_auth.chain.connection import Chain
from aa_auth.ops.bench import gas_rows, user_op_rows
from aa_auth.ops.demo import DEMO_START


PINNED_CREATE = 72_750
PINNED_GRANT = 219_278
PINNED_FIRST = 319_293 / 10  # a batch's gas per order
PINNED_NEXT = 265_422 / 10
PINNED_SESSION_OP = 107_794
PINNED_SESSION_OVER_OWNER = 12_910


def _fixed_chain() -> Chain:
    chain = Chain.create_embedded()
    chain.travel_to(DEMO_START)
    return chain


def test_account_grant_and_settle_gas_are_pinned() -> None:
    rows = {row.name: row.ours for row in gas_rows(10, _fixed_chain())}
    assert rows == {
        "createAccount (clone)": PINNED_CREATE,
        "grantSession, 2 markets + 1 venue": PINNED_GRANT,
        "settle 10 session orders, per order, first batch": PINNED_FIRST,
        "settle 10 session orders, per order, next batch": PINNED_NEXT,
    }


def test_session_user_operation_gas_is_pinned() -> None:
    rows = {row.name: row.ours for row in user_op_rows(_fixed_chain())}
    assert rows == {
        "handleOps, ERC-20 transfer, scoped session key": PINNED_SESSION_OP,
        "  session key over the owner": PINNED_SESSION_OVER_OWNER,
    }
