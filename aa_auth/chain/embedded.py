"""The embedded chain's backend: eth-tester's py-evm, with block times that follow the wall clock."""

from __future__ import annotations

import time
from typing import Any

from eth_tester import PyEVMBackend

__all__ = ["WallClockBackend"]


class WallClockBackend(PyEVMBackend):  # type: ignore[misc]  # eth-tester ships no type hints
    """A py-evm backend whose next block carries the wall clock's time, as a node's block does.

    py-evm stamps the pending block when its parent is mined, so an idle chain falls behind the
    clock: a transaction sent an hour later would still land one second after its parent, and a
    deadline taken from `time.time()` would mean something else here than on a node. So each
    transaction first restamps the (empty) pending block `max(its time, now)`. A block is still
    never earlier than its parent + 1 s (a consensus rule), so a burst of transactions runs ahead
    of the clock until the clock catches up.

    A time set with `time_travel` (Chain.travel_to, Chain.pin_next_block) is kept exactly: tests
    that need exact block times set them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pinned: tuple[int, int] | None = None  # (number, timestamp) of a pending block whose time was chosen

    def time_travel(self, to_timestamp: int) -> int:
        super().time_travel(to_timestamp)  # mines a block at to_timestamp - 1
        # The mined block's child was stamped max(to_timestamp, now); eth-tester promises to_timestamp.
        self.chain.set_header_timestamp(to_timestamp)
        self.keep_next_block_time()
        return to_timestamp

    def keep_next_block_time(self) -> None:
        """Let the pending block keep the time it has now, whatever the clock says when it is mined."""
        header = self.chain.header
        self._pinned = (header.block_number, header.timestamp)

    def _follow_clock(self) -> None:
        header = self.chain.header
        if self._pinned == (header.block_number, header.timestamp) or self.chain.get_block().transactions:
            return  # a chosen time, or a block already executing transactions at its time
        now = int(time.time())
        if now > header.timestamp:
            self.chain.set_header_timestamp(now)

    def send_raw_transaction(self, raw_transaction: bytes) -> Any:
        self._follow_clock()
        return super().send_raw_transaction(raw_transaction)

    def send_signed_transaction(self, signed_transaction: Any, block_number: Any = "latest") -> Any:
        self._follow_clock()
        return super().send_signed_transaction(signed_transaction, block_number)

    def send_transaction(self, transaction: Any) -> Any:
        self._follow_clock()
        return super().send_transaction(transaction)
