"""The owner's side of the handshake (SPEC 14.3): the owner key never sits on a bot's machine.

A grant (or a key's own revocation) becomes a request file: the eth_signTypedData_v4 JSON any
wallet signs (MetaMask, a hardware wallet through it, a custody API; uint256 values as decimal
strings, which every one of them takes), and the body `POST /v1/grants` (or `/v1/revocations`)
takes, without its signature. The signature that comes back is checked against the signer the
request names before anything is posted or relayed.
"""

from __future__ import annotations

import json
from typing import Any

from aa_auth.errors import AAAuthError, InvalidInput
from aa_auth.gateway.wire import parse_scope
from aa_auth.protocol.scope import Scope
from aa_auth.protocol.signatures import recover_signer
from aa_auth.protocol.typed_data import full_message, revoke_session_digest, session_grant_digest
from aa_auth.protocol.values import check_address, check_bytes

__all__ = ["grant_request", "request_scope", "revocation_request", "signed_body"]

GRANT, REVOCATION = "grant", "revocation"


def _decimal(value: Any) -> Any:
    """Integers as decimal strings: a JavaScript wallet reads JSON numbers as doubles, exact only to 2**53."""
    if isinstance(value, bool) or not isinstance(value, (int, dict, list)):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: _decimal(v) for k, v in value.items()}
    return [_decimal(v) for v in value]


def grant_request(chain_id: int, account: str, owner: str, key: str, scope: Scope, nonce: int, deadline: int) -> dict[str, Any]:
    """What the owner's wallet signs to grant `key` `scope` at grant nonce `nonce`, and the request it completes."""
    typed = full_message("SessionGrant", {"key": check_address("key", key), "scope": scope.to_message(), "nonce": nonce,
                                          "deadline": deadline}, chain_id, account)
    typed["message"] = _decimal(typed["message"])
    return {"kind": GRANT, "chainId": chain_id, "signer": check_address("owner", owner), "typedData": typed,
            "body": {"account": typed["domain"]["verifyingContract"], "key": typed["message"]["key"],
                     "scope": typed["message"]["scope"], "deadline": typed["message"]["deadline"]}}


def revocation_request(chain_id: int, account: str, key: str) -> dict[str, Any]:
    """What the key's own wallet signs to revoke itself, and the request it completes."""
    typed = full_message("RevokeSession", {"key": check_address("key", key)}, chain_id, account)
    return {"kind": REVOCATION, "chainId": chain_id, "signer": typed["message"]["key"], "typedData": typed,
            "body": {"account": typed["domain"]["verifyingContract"], "key": typed["message"]["key"]}}


def request_scope(request: dict[str, Any]) -> Scope:
    return Scope.from_abi(parse_scope(json.dumps(request["body"]["scope"]).encode()))


def signed_body(request: dict[str, Any], signature: str) -> dict[str, Any]:
    """The request's body with `signature`, once it recovers to the signer the request names."""
    try:
        kind, chain_id, signer, body = request["kind"], int(request["chainId"]), request["signer"], request["body"]
        if kind == GRANT:
            digest = session_grant_digest(chain_id, body["account"], body["key"], request_scope(request),
                                          int(request["typedData"]["message"]["nonce"]), int(body["deadline"]))
        elif kind == REVOCATION:
            digest = revoke_session_digest(chain_id, body["account"], body["key"])
        else:
            raise InvalidInput(f"unknown request kind {kind!r}: make it with `aa-auth gateway grant-request` or `revocation-request`")
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, AAAuthError):  # a bad scope or address, already named
            raise
        raise InvalidInput(f"not a request file of `aa-auth gateway grant-request` or `revocation-request` ({exc!r})") from None
    raw = check_bytes("signature", signature, 65)
    recovered = recover_signer(digest, raw)
    if recovered != signer:
        raise InvalidInput(f"the signature is {recovered or 'no valid signature'}'s, not {signer}'s: sign the request's "
                           "typedData with that key (eth_signTypedData_v4)")
    return {**body, "signature": "0x" + raw.hex()}
