"""Where a settled order's gas goes: `ReferenceVenue.settle` of two 50-order batches from one session
key (the bench's orders), traced opcode by opcode on anvil (`--steps-tracing`), per order.

    .venv/bin/python scripts/trace_settle.py

Depth 1 is the venue, 2 the clone's proxy, 3 the account's code. A call's own cost is its gasCost
less the gas it hands the callee; ecrecover is counted as its 3,000 plus the warm access.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aa_auth.chain.connection import Chain  # noqa: E402
from aa_auth.contracts.stack import create_account, deploy_stack  # noqa: E402
from aa_auth.contracts.venue import Venue  # noqa: E402
from aa_auth.ops.bench import E, _key, _mm_order  # noqa: E402
from aa_auth.protocol.scope import market_limit, scope  # noqa: E402
from aa_auth.protocol.signer import OrderSigner  # noqa: E402
from tests.anvil import running_anvil  # noqa: E402

BATCH = 50
WHERE = {1: "venue", 2: "proxy", 3: "account"}


def breakdown(chain: Chain, tx_hash: bytes) -> collections.Counter[tuple[str, str]]:
    answer: Any = chain.w3.provider.make_request(
        "debug_traceTransaction", ["0x" + tx_hash.hex(), {"disableStorage": True, "disableMemory": True}]  # type: ignore[arg-type]
    )
    steps = answer["result"]["structLogs"]
    parts: collections.Counter[tuple[str, str]] = collections.Counter()
    for i, step in enumerate(steps):
        op, cost, depth = step["op"], step["gasCost"], step["depth"]
        where = WHERE.get(depth, f"depth {depth}")
        if op in ("CALL", "STATICCALL", "DELEGATECALL"):
            following = steps[i + 1] if i + 1 < len(steps) else None
            if following is not None and following["depth"] == depth + 1:
                parts[(where, "call overhead")] += cost - following["gas"]
            elif int(step["stack"][-2], 16) == 1:
                parts[(where, "ecrecover (3,000 + warm access)")] += 3_100
            else:
                parts[(where, f"{op} (no code)")] += cost
        elif op.startswith("LOG"):
            parts[(where, "events")] += cost
        elif op in ("SLOAD", "SSTORE", "KECCAK256", "EXTCODESIZE", "EXTCODECOPY"):
            parts[(where, op)] += cost
        else:
            parts[(where, "other execution")] += cost
    return parts


def main() -> None:
    with running_anvil(extra_args=("--steps-tracing",)) as url:
        chain = Chain.connect(url)
        deployer, owner, bot = _key("deployer"), _key("owner"), _key("bot")
        for funded in (deployer, owner):
            chain.fund(funded.address, 100 * E)
        stack = deploy_stack(chain, deployer)
        account, _ = create_account(chain, stack, deployer, owner.address)
        now = chain.timestamp()
        account.grant(owner, bot.address, scope(
            valid_until=now + 86_400, venues=[stack.venue],
            markets=[market_limit(1, max_order_size=10 * E, min_price=E, max_price=10**6 * E), market_limit(2)],
            max_orders_per_window=1_000, max_notional_per_window=10**12 * E, window_seconds=3_600,
        ))
        signer = OrderSigner(bot.key, chain.chain_id, account.address)
        orders = [signer.sign(_mm_order(stack.venue, n, now + 600)) for n in range(2 * BATCH)]
        venue = Venue(chain, stack.venue)
        for label, part in (("first", orders[:BATCH]), ("next", orders[BATCH:])):
            settled = venue.settle(deployer, part)
            data = bytes(chain.w3.eth.get_transaction(settled.tx_hash)["input"])  # type: ignore[arg-type]
            zeros = data.count(0)
            calldata = 4 * zeros + 16 * (len(data) - zeros)
            parts = breakdown(chain, bytes(settled.tx_hash))
            print(f"{label} batch: {settled.gas_used / BATCH:,.0f} gas per order")
            print(f"  {'transaction':8s} {'calldata':32s} {calldata / BATCH:8,.0f}")
            print(f"  {'transaction':8s} {'base (21,000 / 50)':32s} {21_000 / BATCH:8,.0f}")
            for (where, what), gas in sorted(parts.items(), key=lambda item: -item[1]):
                print(f"  {where:8s} {what:32s} {gas / BATCH:8,.0f}")
            print(f"  untraced (refunds, rounding): {(settled.gas_used - 21_000 - calldata - sum(parts.values())) / BATCH:,.0f}")


if __name__ == "__main__":
    main()
