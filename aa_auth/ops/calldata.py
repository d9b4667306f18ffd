"""Call data from a function signature and text arguments (`--sig 'transfer(address,uint256)' TO 5`),
and the check a session key's call must pass before it is worth sending (SPEC section 4, `calls`)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode, is_encodable_type
from eth_abi.exceptions import EncodingError
from eth_abi.grammar import normalize
from eth_utils.crypto import keccak

from aa_auth.erc4337.userops import Call
from aa_auth.errors import InvalidInput
from aa_auth.protocol.scope import Scope
from aa_auth.protocol.values import check_address

__all__ = ["check_permitted", "encode_call", "read_batch"]

_SIGNATURE = re.compile(r"^([A-Za-z_$][A-Za-z0-9_$]*)\((.*)\)$")


def _types(signature: str) -> tuple[str, list[str]]:
    found = _SIGNATURE.match(signature.replace(" ", ""))
    if found is None:
        raise InvalidInput(f"--sig {signature!r} is not a function signature: write it as name(type,...), e.g. 'transfer(address,uint256)'")
    name, inner = found.groups()
    if "(" in inner:
        raise InvalidInput(f"--sig {signature!r}: tuple arguments are not supported; pass the encoded call with --data")
    types = [str(normalize(t)) for t in inner.split(",") if t]  # type: ignore[no-untyped-call]  # uint -> uint256
    for abi_type in types:
        if not is_encodable_type(abi_type):
            raise InvalidInput(f"--sig {signature!r}: unknown ABI type {abi_type!r} (e.g. address, uint256, bool, bytes, string)")
    return name, types


def _argument(abi_type: str, text: str) -> Any:
    if abi_type.endswith("]"):
        raise InvalidInput(f"argument of type {abi_type}: arrays are not supported; pass the encoded call with --data")
    if abi_type == "address":
        return check_address("argument", text)
    if abi_type.startswith(("uint", "int")):
        try:
            return int(text, 0)
        except ValueError:
            raise InvalidInput(f"argument {text!r} is not an integer for {abi_type} (decimal or 0x-hex)") from None
    if abi_type == "bool":
        if text.lower() not in ("true", "false"):
            raise InvalidInput(f"argument {text!r} is not a bool: write true or false")
        return text.lower() == "true"
    if abi_type.startswith("bytes"):
        try:
            return bytes.fromhex(text.removeprefix("0x"))
        except ValueError:
            raise InvalidInput(f"argument {text!r} is not 0x-hex bytes for {abi_type}") from None
    return text  # string


def encode_call(signature: str, args: Sequence[str]) -> bytes:
    """The 4-byte selector of `signature` and its arguments, ABI-encoded."""
    name, types = _types(signature)
    if len(args) != len(types):
        raise InvalidInput(f"--sig {signature!r} takes {len(types)} argument(s), {len(args)} given")
    canonical = f"{name}({','.join(types)})"
    values = [_argument(t, a) for t, a in zip(types, args)]
    try:
        return keccak(text=canonical)[:4] + abi_encode(types, values)
    except EncodingError as exc:
        raise InvalidInput(f"--sig {signature!r}: an argument does not fit its type ({exc})") from None


def read_batch(path: Path) -> list[Call]:
    """`--batch FILE`: a JSON list of calls, each {"to", "value"?, "data"?} or {"to", "value"?, "sig", "args"}."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"--batch {path}: not a readable JSON file ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(entries, list) or not entries:
        raise InvalidInput(f"--batch {path}: give a JSON list of at least one call")
    calls = []
    for index, entry in enumerate(entries):
        where = f"--batch {path}, call {index}"
        if not isinstance(entry, dict) or "to" not in entry or not set(entry) <= {"to", "value", "data", "sig", "args"}:
            raise InvalidInput(f"{where}: each call is an object with to, value, and data or sig and args")
        if "data" in entry and "sig" in entry:
            raise InvalidInput(f"{where}: give data or sig, not both")
        try:
            value = int(str(entry.get("value", 0)), 0)
            if "sig" in entry:
                data = encode_call(str(entry["sig"]), [str(a) for a in entry.get("args", [])])
            else:
                data = bytes.fromhex(str(entry.get("data", "0x")).removeprefix("0x"))
            calls.append(Call(str(entry["to"]), value, data))
        except (ValueError, InvalidInput) as exc:
            raise InvalidInput(f"{where}: {exc}") from None
    return calls


def check_permitted(scope: Scope, account: str, call: Call) -> None:
    """Refuse, before anything is signed, a call that the key's `calls` would refuse on chain."""
    selector = bytes(4) if not call.data else call.data[:4]
    if call.target == check_address("account", account):
        raise InvalidInput("a session key may never call its own account (SPEC section 4)")
    if 0 < len(call.data) < 4:
        raise InvalidInput("call data of 1 to 3 bytes matches no permission: give a full selector or none")
    for permission in scope.calls:
        if permission.target == call.target and permission.selector == selector:
            if call.value > permission.max_value:
                raise InvalidInput(f"--value {call.value} is above the key's permission for {call.target} selector "
                                   f"0x{selector.hex()} (maxValue {permission.max_value} wei)")
            return
    raise InvalidInput(f"the key's scope permits no call to {call.target} with selector 0x{selector.hex()}: "
                       "the owner must grant it (or use the owner's keystore)")
