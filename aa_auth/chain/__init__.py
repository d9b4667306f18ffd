"""Talking to a chain: the connection, the shipped artifacts and their compiler, transactions, logs."""
