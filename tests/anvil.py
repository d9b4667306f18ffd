"""Start anvil (from npm @foundry-rs/anvil-linux-amd64) on a free loopback port for integration tests."""

from aa_auth.chain.anvil import free_port, running_anvil

__all__ = ["free_port", "running_anvil"]
