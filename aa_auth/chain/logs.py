"""Event logs fetched in block-range pages with retries, decoded by name from the shipped ABIs.

Public nodes cap eth_getLogs by block range or result count and drop requests now and then, so a
history is read page by page: a page the node refuses as too large is split in halves, and a page
that fails for another reason is retried with backoff before the whole read gives up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from aa_auth.chain.artifacts import artifact
from aa_auth.chain.connection import Chain
from aa_auth.errors import ChainError

__all__ = ["DEFAULT_PAGE_BLOCKS", "Event", "event_topic", "fetch_events"]

DEFAULT_PAGE_BLOCKS = 10_000  # the range most hosted nodes accept in one eth_getLogs
RETRIES = 4
# Phrases nodes use when a range or its result set is too large (geth, erigon, Alchemy, Infura, QuickNode),
# and when they throttle: throttling is waited out, a page too large is split.
_TOO_LARGE = ("block range", "range too", "range is too", "too many logs", "results", "response size", "query returned more", "exceed")
_THROTTLED = ("rate limit", "too many requests", "429", "capacity")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Event:
    """One decoded log; `args` holds checksummed addresses, 0x-hex bytes and Python ints."""

    block_number: int
    log_index: int
    transaction_hash: str
    address: str
    name: str
    args: dict[str, Any]


@cache
def _events_by_topic(contract: str) -> dict[bytes, dict[str, Any]]:
    entries = [e for e in artifact(contract)["abi"] if e["type"] == "event" and not e.get("anonymous")]
    return {keccak(text=f"{e['name']}({','.join(i['type'] for i in e['inputs'])})"): e for e in entries}


def event_topic(contract: str, name: str) -> bytes:
    """topic0 of event `name` in `contract`'s ABI."""
    for topic, entry in _events_by_topic(contract).items():
        if entry["name"] == name:
            return topic
    raise KeyError(f"{contract} has no event {name}")


def _plain(value: Any, abi_type: str) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def _decode(contract: str, log: Any) -> Event | None:
    topics = [bytes(t) for t in log["topics"]]
    entry = _events_by_topic(contract).get(topics[0]) if topics else None
    if entry is None:
        return None
    indexed = [i for i in entry["inputs"] if i["indexed"]]
    plain = [i for i in entry["inputs"] if not i["indexed"]]
    values = dict(zip((i["name"] for i in plain), abi_decode([i["type"] for i in plain], bytes(log["data"]))))
    for param, topic in zip(indexed, topics[1:]):
        values[param["name"]] = abi_decode([param["type"]], topic)[0]
    args = {i["name"]: _plain(values[i["name"]], i["type"]) for i in entry["inputs"]}
    return Event(
        block_number=int(log["blockNumber"]),
        log_index=int(log["logIndex"]),
        transaction_hash="0x" + bytes(log["transactionHash"]).hex(),
        address=to_checksum_address(log["address"]),
        name=str(entry["name"]),
        args=args,
    )


def _get_logs(chain: Chain, params: dict[str, Any], sleep: Callable[[float], None]) -> list[Any] | None:
    """One page, retried with backoff; None when the node says the page is too large."""
    for attempt in range(RETRIES):
        try:
            return list(chain.w3.eth.get_logs(params))  # type: ignore[arg-type]
        except Exception as exc:
            text = str(exc).lower()
            throttled = any(phrase in text for phrase in _THROTTLED)
            if not throttled and any(p in text for p in _TOO_LARGE) and params["toBlock"] > params["fromBlock"]:
                return None
            if attempt == RETRIES - 1:
                raise ChainError(
                    f"eth_getLogs for blocks {params['fromBlock']}-{params['toBlock']} failed {RETRIES} times: "
                    f"{exc.__class__.__name__}: {exc}"
                ) from None
            sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def fetch_events(
    chain: Chain,
    contract: str,
    address: str | Sequence[str],
    from_block: int,
    to_block: int,
    *,
    topics: Sequence[bytes | None] = (),
    page_blocks: int = DEFAULT_PAGE_BLOCKS,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Event]:
    """`address`'s events (or those of several addresses) from `from_block` to `to_block` (inclusive), in order, decoded with
    `contract`'s ABI; logs the ABI does not know are skipped. `topics` filters topic0, topic1, …"""
    if page_blocks < 1:
        raise ValueError("page_blocks must be at least 1")
    topic_filter = [None if t is None else "0x" + t.hex() for t in topics]
    events: list[Event] = []
    start, span = from_block, page_blocks
    total = max(1, to_block - from_block + 1)
    reported = 0  # percent last reported: progress every 5% at most, so a long history stays readable
    while start <= to_block:
        end = min(start + span - 1, to_block)
        params: dict[str, Any] = {"address": address if isinstance(address, str) else list(address), "fromBlock": start, "toBlock": end}
        if topic_filter:
            params["topics"] = topic_filter
        logs = _get_logs(chain, params, sleep)
        if logs is None:  # refused as too large: halve the page and try the same start again
            span = max(1, (end - start + 1) // 2)
            continue
        events.extend(e for e in (_decode(contract, log) for log in logs) if e is not None)
        done = 100 * (end - from_block + 1) // total
        if progress is not None and total > page_blocks and (done - reported >= 5 or end == to_block):
            progress(f"{contract} logs: blocks {from_block}-{end} of {to_block} ({done}%)")
            reported = done
        start = end + 1
    events.sort(key=lambda e: (e.block_number, e.log_index))
    return events
