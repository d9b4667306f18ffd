"""A benchmark row (a figure beside its reference measured in the same run) and a wall-clock timer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Row", "seconds"]


@dataclass(frozen=True)
class Row:
    name: str
    ours: float
    reference: float | None
    reference_name: str
    unit: str
    target: str

    @property
    def ratio(self) -> float | None:
        return None if not self.reference else self.ours / self.reference


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
