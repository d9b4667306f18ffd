"""The Python face of the Solidity contracts: an account, the venue, the stack and its deployment."""
