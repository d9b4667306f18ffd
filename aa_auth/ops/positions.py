"""The account's side of the audit at its venue: is each scope's venue the recorded ReferenceVenue,
and what positions does the account hold there.

The record is `deployments/<chainId>.json` (aa_auth.contracts.deployments). Its ReferenceVenue is
trusted only when the code at its address is exactly the shipped ReferenceVenue's runtime.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from eth_utils.crypto import keccak

from aa_auth.chain.connection import Chain
from aa_auth.chain.logs import Progress, event_topic, fetch_events
from aa_auth.contracts.deployments import expected_runtime
from aa_auth.contracts.venue import Venue
from aa_auth.protocol.values import ANY_MARKET, check_address

__all__ = ["Position", "RecordedVenue", "VenueCheck", "check_venue", "read_positions", "recorded_venue"]


class VenueCheck(StrEnum):
    """A scope's venue against the deployments record."""

    RECORDED = "recorded"  # the record's ReferenceVenue
    UNRECORDED = "unrecorded"  # another address: nothing vouches for what it does with orders
    UNCHECKED = "unchecked"  # no record names a ReferenceVenue on this chain


@dataclass(frozen=True)
class RecordedVenue:
    address: str
    genuine: bool  # its code is the shipped ReferenceVenue's


@dataclass(frozen=True)
class Position:
    market: int
    net: int  # bought size minus sold size (int256)


def recorded_venue(view: Chain, address: str | None) -> RecordedVenue | None:
    """The record's ReferenceVenue at `address` (None without a record), with its code checked."""
    if address is None:
        return None
    address = check_address("recorded venue", address)
    code = bytes(view.w3.eth.get_code(address))
    expected = expected_runtime("ReferenceVenue", address)
    return RecordedVenue(address, expected is not None and keccak(code) == keccak(expected))


def check_venue(venue: str, record: RecordedVenue | None) -> VenueCheck:
    if record is None:
        return VenueCheck.UNCHECKED
    return VenueCheck.RECORDED if venue == record.address else VenueCheck.UNRECORDED


def read_positions(view: Chain, record: RecordedVenue, account: str, markets: Iterable[int], from_block: int,
                   block: int, *, page_blocks: int, progress: Progress | None) -> tuple[Position, ...]:
    """`position(account, market)` at the venue for `markets` and every market it settled for the account."""
    settled = fetch_events(view, "ReferenceVenue", record.address, from_block, block, page_blocks=page_blocks,
                           topics=[event_topic("ReferenceVenue", "OrderSettled"), bytes(12) + bytes.fromhex(account[2:])],
                           progress=progress)
    every = {m for m in markets if m != ANY_MARKET} | {int(e.args["market"]) for e in settled}
    venue = Venue(view, record.address)
    return tuple(Position(m, venue.position(account, m)) for m in sorted(every))
