"""Where a session user operation's gas goes: the bench's ERC-20 transfer through handleOps, signed by
the owner, by the scoped session key and by a SimpleAccount v0.8's owner (steady state: each signer's
second operation), traced opcode by opcode on anvil (`--steps-tracing`); prints the session's cost
less the owner's, and SimpleAccount's less the owner's, per category.

    .venv/bin/python scripts/trace_userop.py

Each opcode is charged to the code running it (EntryPoint, the account's proxy code "account", its
implementation "account impl", the token) and to the phase: validation (before the EntryPoint's innerHandleOp),
execution (inside it) or the EntryPoint's accounting after it. A call's own cost is its gasCost less
the gas it hands the callee; a call that runs no code (ecrecover, a payment to an EOA) costs the gas it
took. Both accounts are named alike ("account", "account impl"), so their rows line up.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path
from typing import Any

from hexbytes import HexBytes

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aa_auth.chain.compiler import compile_contracts  # noqa: E402
from aa_auth.chain.connection import Chain  # noqa: E402
from aa_auth.contracts.stack import deploy_stack  # noqa: E402
from aa_auth.erc4337.gas import Bundle, measure_session_overhead  # noqa: E402
from aa_auth.ops.bench import SIMPLE_ACCOUNT_SOURCES, E, _key  # noqa: E402
from tests.anvil import running_anvil  # noqa: E402

Part = tuple[str, str, str]  # phase, code, category
CALLS = ("CALL", "STATICCALL", "DELEGATECALL", "CALLCODE")
CATEGORIES = {
    "SLOAD": "SLOAD", "SSTORE": "SSTORE", "KECCAK256": "KECCAK256", "CALLDATACOPY": "calldata copy",
    "CALLDATALOAD": "calldata reads", "MLOAD": "memory", "MSTORE": "memory", "MSTORE8": "memory", "MCOPY": "memory",
    "RETURNDATACOPY": "memory", "EXTCODECOPY": "EXTCODECOPY", "EXTCODESIZE": "EXTCODESIZE",
    "JUMP": "jumps", "JUMPI": "jumps", "JUMPDEST": "jumps",
}


def _code_at(address: str, names: dict[str, str]) -> str:
    return names.get(address.lower(), f"{address[:10]}..")


def breakdown(chain: Chain, bundle: Bundle, names: dict[str, str], entry_point: str) -> collections.Counter[Part]:
    """Gas per (phase, code, category) of one handleOps transaction, calldata and base included."""
    answer: Any = chain.w3.provider.make_request(
        "debug_traceTransaction", ["0x" + bundle.transaction_hash.hex(), {"disableStorage": True, "disableMemory": True}]  # type: ignore[arg-type]
    )
    steps = answer["result"]["structLogs"]
    data = bytes(chain.w3.eth.get_transaction(bundle.transaction_hash)["input"])  # type: ignore[arg-type]
    zeros = data.count(0)
    parts: collections.Counter[Part] = collections.Counter()
    parts[("transaction", "-", "base")] = 21_000
    parts[("transaction", "-", "calldata")] = 4 * zeros + 16 * (len(data) - zeros)
    frames = [_code_at(entry_point, names)]  # the code each depth runs, from the transaction's target
    phase = "validation"
    for i, step in enumerate(steps):
        op, cost, depth = step["op"], step["gasCost"], step["depth"]
        del frames[depth:]
        where = frames[depth - 1]
        if op in CALLS:
            following = steps[i + 1] if i + 1 < len(steps) else None
            target = "0x" + step["stack"][-2][2:].rjust(40, "0")[-40:]
            if following is not None and following["depth"] == depth + 1:
                parts[(phase, where, "call overhead")] += cost - following["gas"]
                # A DELEGATECALL runs other code in the same account: the clone's implementation.
                frames.append(f"{where} impl" if op == "DELEGATECALL" else _code_at(target, names))
                if depth == 1 and target.lower() == entry_point.lower():
                    phase = "execution"  # the EntryPoint's innerHandleOp
            else:  # no code ran (a precompile, a transfer to an EOA): what the call took is the gas it left
                spent = step["gas"] - following["gas"] if following is not None else cost
                parts[(phase, where, "ecrecover" if int(target, 16) == 1 else f"{op} (no code)")] += spent
        else:
            if depth == 1 and phase == "execution" and len(frames) == 1 and i and steps[i - 1]["depth"] == 2:
                phase = "after execution"
            parts[(phase, where, "events" if op.startswith("LOG") else CATEGORIES.get(op, "other execution"))] += cost
    parts[("transaction", "-", "refunds and rounding")] = bundle.gas - sum(parts.values())
    return parts


def _print_difference(title: str, base: collections.Counter[Part], other: collections.Counter[Part]) -> None:
    print(f"{title}: {sum(base.values()):,} -> {sum(other.values()):,} ({sum(other.values()) - sum(base.values()):+,})")
    print(f"  {'phase':16s} {'code':22s} {'category':34s} {'first':>8s} {'second':>8s} {'diff':>8s}")
    for key in sorted(set(base) | set(other), key=lambda k: -abs(other[k] - base[k])):
        if other[key] != base[key]:
            print(f"  {key[0]:16s} {key[1]:22s} {key[2]:34s} {base[key]:8,} {other[key]:8,} {other[key] - base[key]:+8,}")


def main() -> None:
    token = compile_contracts(("MockERC20",), ("contracts", "tests/contracts"))["MockERC20"]
    simple = compile_contracts(("SimpleAccount", "ERC1967Proxy"), (SIMPLE_ACCOUNT_SOURCES,))
    with running_anvil(extra_args=("--steps-tracing",)) as url:
        chain = Chain.connect(url)
        deployer = _key("deployer")
        chain.fund(deployer.address, 1_000 * E)
        stack = deploy_stack(chain, deployer)
        overhead = measure_session_overhead(chain, stack, deployer, token, simple_account=simple)
        assert overhead.simple_account is not None
        names = {stack.entry_point.lower(): "EntryPoint"}
        for bundle in (overhead.owner, overhead.simple_account):
            for log in chain.w3.eth.get_transaction_receipt(HexBytes(bundle.transaction_hash))["logs"]:
                if log["address"].lower() == stack.entry_point.lower() and len(log["topics"]) == 4:
                    names["0x" + log["topics"][2].hex()[-40:]] = "account"  # UserOperationEvent's sender
                elif log["address"].lower() != stack.entry_point.lower():
                    names[log["address"].lower()] = "token"  # Transfer's emitter
        owner, session, reference = (
            breakdown(chain, bundle, names, stack.entry_point)
            for bundle in (overhead.owner, overhead.session, overhead.simple_account)
        )
        _print_difference("owner -> session key", owner, session)
        _print_difference("owner -> SimpleAccount v0.8 owner", owner, reference)


if __name__ == "__main__":
    main()
