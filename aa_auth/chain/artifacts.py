"""The shipped artifacts, and turning revert data into named Python errors."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from aa_auth.chain.compiler import ARTIFACTS
from aa_auth.errors import ContractRevert, InvalidInput, OrderRejectedError

ContractName = str
_ERROR_CLASSES: dict[str, type[ContractRevert]] = {"OrderRejected": OrderRejectedError}
_BUILTIN_ERRORS: list[dict[str, Any]] = [
    {"type": "error", "name": "Error", "inputs": [{"type": "string", "name": "message"}]},
    {"type": "error", "name": "Panic", "inputs": [{"type": "uint256", "name": "code"}]},
]


@cache
def artifact(name: ContractName) -> dict[str, Any]:
    """The artifact aa_auth/artifacts/<name>.json."""
    path = ARTIFACTS / f"{name}.json"
    if not path.exists():
        raise InvalidInput(f"no artifact named {name!r}; run `python scripts/compile.py` to build them")
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _canonical_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){param['type'][len('tuple'):]}"
    return str(param["type"])


@cache
def _errors_by_selector() -> dict[bytes, tuple[str, list[str]]]:
    entries: list[dict[str, Any]] = list(_BUILTIN_ERRORS)
    for name in ("SessionAccount", "AccountFactory", "ReferenceVenue", "EntryPoint"):
        entries += [e for e in artifact(name)["abi"] if e["type"] == "error"]
    table = {}
    for entry in entries:
        types = [_canonical_type(p) for p in entry["inputs"]]
        selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
        table[selector] = (entry["name"], types)
    return table


def decode_revert(data: bytes) -> ContractRevert:
    """A named error for revert data from any aa-auth contract (or the EntryPoint)."""
    known = _errors_by_selector().get(data[:4])
    if known is None:
        return ContractRevert("UnknownError", (data.hex(),), data)
    name, types = known
    try:
        values = tuple(
            to_checksum_address(v) if t == "address" else v for t, v in zip(types, abi_decode(types, data[4:]))
        )
    except Exception:
        return ContractRevert(name, ("<undecodable: 0x" + data[4:].hex() + ">",), data)
    return _ERROR_CLASSES.get(name, ContractRevert)(name, values, data)


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert data behind a web3 or eth-tester exception, when there is any."""
    seen: BaseException | None = exc
    while seen is not None:
        data = getattr(seen, "data", None)
        if isinstance(data, str) and data.startswith("0x"):
            return bytes.fromhex(data[2:])
        # The embedded chain: py-evm's Revert(raw_bytes) sits at the bottom of eth-tester's and web3's
        # re-raised TransactionFailed texts.
        if type(seen).__name__ in ("Revert", "TransactionFailed") and seen.args and isinstance(seen.args[0], bytes):
            return seen.args[0]
        seen = seen.__context__ or seen.__cause__
    return None
