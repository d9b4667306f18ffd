"""ERC-4337 through the EntryPoint v0.8: user operations, bundling, gas figures."""
