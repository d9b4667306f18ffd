"""Prometheus metrics of SPEC 14.5, in a registry of their own (one per gateway, so tests can run several)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest

from aa_auth.errors import Reason

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created series double the output and say nothing a scraper needs
        self.registry = CollectorRegistry(auto_describe=True)
        self.orders = Counter("aa_auth_gateway_orders", "Order results and status changes, by status and reason.",
                              ("status", "reason"), registry=self.registry)
        self.batches = Counter("aa_auth_gateway_batches", "Settle transactions sent.", registry=self.registry)
        self.settle_gas = Counter("aa_auth_gateway_settle_gas", "Gas used by final settle transactions.",
                                  registry=self.registry)
        self.intake_seconds = Histogram("aa_auth_gateway_intake_seconds", "Time to decide and store one POST /v1/orders.",
                                        registry=self.registry,
                                        buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))
        self.lag_blocks = Gauge("aa_auth_gateway_lag_blocks", "Blocks the follower is behind the node.", registry=self.registry)

    def count(self, status: str, reason: str, amount: int = 1) -> None:
        self.orders.labels(status=status, reason=reason).inc(amount)

    def rejected(self, reasons: Mapping[bytes, Reason]) -> None:
        for reason in reasons.values():
            self.count("rejected", reason.label)

    def text(self) -> bytes:
        return generate_latest(self.registry)
