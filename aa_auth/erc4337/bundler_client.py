"""A client for any ERC-7769 bundler endpoint (JSON-RPC over HTTP).

It checks on connection that the bundler serves the expected chain and supports the EntryPoint, so
an operation signed for one chain is never handed to a bundler of another. Errors come back named
(`aa_auth.erc4337.bundler_errors`); a URL that does not answer JSON-RPC is `BundlerUnreachable`.
"""

from __future__ import annotations

import itertools
from typing import Any

import requests

from aa_auth.erc4337.bundler_errors import bundler_error
from aa_auth.erc4337.rpc_json import UserOpReceipt, gas_from_json, receipt_from_json, user_op_to_json
from aa_auth.erc4337.userops import GasLimits, PackedUserOperation
from aa_auth.errors import BundlerError, BundlerMismatch, BundlerUnreachable, InvalidInput
from aa_auth.protocol.values import check_address

__all__ = ["BundlerClient"]


class BundlerClient:
    """An ERC-7769 bundler at `url`, for `entry_point` (default: the first it supports)."""

    def __init__(self, url: str, entry_point: str | None = None, *, chain_id: int | None = None, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidInput(f"bundler URL {url!r} is not http(s)://: give the bundler's JSON-RPC HTTP endpoint")
        self.url = url
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._session = requests.Session()
        served = int(self.request("eth_chainId", []), 16)
        if chain_id is not None and served != chain_id:
            raise BundlerMismatch(f"the bundler at {url} serves chain {served}, not chain {chain_id}: use a bundler of chain {chain_id}")
        self._chain_id = served
        supported = [check_address("entry point", a) for a in self.supported_entry_points()]
        if entry_point is None:
            if not supported:
                raise BundlerMismatch(f"the bundler at {url} supports no EntryPoint")
            entry_point = supported[0]
        entry_point = check_address("entry point", entry_point)
        if entry_point not in supported:
            raise BundlerMismatch(f"the bundler at {url} does not support EntryPoint {entry_point} (it supports {', '.join(supported)})")
        self._entry_point = entry_point

    def __repr__(self) -> str:
        return f"BundlerClient({self.url!r}, entry_point={self._entry_point})"

    @property
    def entry_point(self) -> str:
        return self._entry_point

    @property
    def chain_id(self) -> int:
        return self._chain_id

    def request(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC call; a JSON-RPC error raises the named BundlerError for it."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            response = self._session.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise BundlerUnreachable(
                f"the bundler at {self.url} is unreachable ({exc.__class__.__name__}): check the URL and that the bundler runs"
            ) from None
        try:
            answer = response.json()
        except ValueError:
            raise BundlerUnreachable(
                f"the bundler at {self.url} answered HTTP {response.status_code} without JSON: is it a bundler's JSON-RPC endpoint?"
            ) from None
        if not isinstance(answer, dict):
            raise BundlerUnreachable(f"the bundler at {self.url} answered {answer!r}, not a JSON-RPC response")
        error = answer.get("error")
        if error is not None:
            if not isinstance(error, dict):
                raise BundlerError(f"the bundler's {method} failed: {error!r}")
            code = error.get("code")
            raise bundler_error(code if isinstance(code, int) else None, str(error.get("message", "")), error.get("data"))
        if "result" not in answer:
            raise BundlerUnreachable(f"the bundler at {self.url} answered {method} without a result: {answer!r}")
        return answer["result"]

    # ------------------------------------------------------------ ERC-7769

    def supported_entry_points(self) -> list[str]:
        result = self.request("eth_supportedEntryPoints", [])
        if not isinstance(result, list):
            raise BundlerError(f"eth_supportedEntryPoints answered {result!r}, not a list")
        return [str(a) for a in result]

    def estimate(self, op: PackedUserOperation) -> GasLimits:
        return gas_from_json(self.request("eth_estimateUserOperationGas", [user_op_to_json(op), self._entry_point]))

    def send(self, op: PackedUserOperation) -> bytes:
        result = self.request("eth_sendUserOperation", [user_op_to_json(op), self._entry_point])
        return _hash(result, "eth_sendUserOperation")

    def user_operation(self, user_op_hash: bytes) -> dict[str, Any] | None:
        """`eth_getUserOperationByHash`: the operation as the bundler saw it and where it was included (None: unknown)."""
        result = self.request("eth_getUserOperationByHash", ["0x" + user_op_hash.hex()])
        if result is not None and not isinstance(result, dict):
            raise BundlerError(f"eth_getUserOperationByHash answered {result!r}, not an object")
        return result

    def receipt(self, user_op_hash: bytes) -> UserOpReceipt | None:
        result = self.request("eth_getUserOperationReceipt", ["0x" + user_op_hash.hex()])
        return None if result is None else receipt_from_json(result)


def _hash(result: object, method: str) -> bytes:
    if not isinstance(result, str) or len(result) != 66 or not result.startswith("0x"):
        raise BundlerError(f"{method} answered {result!r}, not a 32-byte userOpHash")
    return bytes.fromhex(result[2:])
