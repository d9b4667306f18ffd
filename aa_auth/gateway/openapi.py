"""GET /openapi.json: an OpenAPI 3.1 document of every route of SPEC 14.2-14.5.

Request schemas are generated from the very records the gateway decodes with (aa_auth.gateway.wire),
so the document cannot drift from what is accepted; response schemas are written out here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec

from aa_auth.gateway.wire import GrantBody, OrdersRequest, RevocationBody
from aa_auth.protocol.verify import KeyStatus

__all__ = ["document"]

_REF = "#/components/schemas/{name}"
_HASH = {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"}
_ADDRESS = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}
_UINT = {"type": "string", "pattern": "^[0-9]+$"}
_STATUS = {"type": "string", "enum": ["accepted", "submitted", "settled", "rejected"]}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": [p for p in properties if p not in optional]}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(name=name)}


_OUTCOME = {"status": _STATUS, "reason": {"type": "string"}, "code": _nullable({"type": "integer", "minimum": 0, "maximum": 255})}
_RESPONSES: dict[str, dict[str, Any]] = {
    "Error": _object({"error": _object({"type": {"type": "string"}, "message": {"type": "string"}})}),
    "OrderResult": _object({"digest": _HASH, **_OUTCOME}),
    "OrderResults": _object({"results": {"type": "array", "items": _ref("OrderResult")}}),
    "StoredOrder": _object({
        "digest": _HASH, "account": _ADDRESS, "signer": _ADDRESS,
        "order": _object({"venue": _ADDRESS, "market": _UINT, "isBuy": {"type": "boolean"}, "size": _UINT, "price": _UINT,
                          "nonce": _UINT, "deadline": _UINT}),
        "signature": {"type": "string"}, **_OUTCOME,
        "txHash": _nullable(_HASH), "blockNumber": _nullable({"type": "integer", "minimum": 0}),
    }),
    "Account": _object({
        "account": _ADDRESS, "owner": _ADDRESS, "frozen": {"type": "boolean"}, "kind": {"type": "string", "enum": ["clone", "eip7702"]},
        "block": {"type": "integer"},
        "sessions": {"type": "array", "items": _object({
            "key": _ADDRESS, "status": {"type": "string", "enum": [s.value for s in KeyStatus]},
            "validAfter": {"type": "integer"}, "validUntil": {"type": "integer"},
            "window": _object({"index": {"type": "integer"}, "start": {"type": "integer"}, "end": _nullable({"type": "integer"}),
                               "ordersSettled": {"type": "integer"}, "ordersHeld": {"type": "integer"},
                               "maxOrders": {"type": "integer"}, "notionalSettled": _UINT, "notionalHeld": _UINT,
                               "maxNotional": _UINT}),
        })},
    }),
    "Relayed": _object({"txHash": _HASH}),
    "Health": _object({"status": {"type": "string", "enum": ["ok", "degraded"]}, "chainId": {"type": "integer"},
                       "block": {"type": "integer"}, "lagBlocks": {"type": "integer"}, "error": {"type": "string"}},
                      optional=("error",)),
}
_ERRORS = {
    "400": "the request is not valid JSON or not the schema (InvalidRequest), or breaks a rule (its name)",
    "404": "not found (NotFound)",
    "409": "the key is not active (SessionNotActive)",
    "413": "the body is over --max-body (PayloadTooLarge)",
    "429": "the client is over its request rate (RateLimited); see Retry-After",
    "503": "the gateway cannot see the chain (StateUnavailable)",
}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(codes: tuple[str, ...]) -> dict[str, Any]:
    return {code: {"description": _ERRORS[code], **_json_content(_ref("Error"))} for code in ("429", *codes)}


def _answers(ok: str, schema: str, description: str, errors: tuple[str, ...]) -> dict[str, Any]:
    return {ok: {"description": description, **_json_content(_ref(schema))}, **_errors(errors)}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, **_json_content(_ref(schema))}


def _path(name: str, schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": schema}]


def _linked(answers: dict[str, Any]) -> dict[str, Any]:
    """The first result's digest leads to GET /v1/orders/{digest} (OpenAPI links, for clients and fuzzers)."""
    answers["200"]["links"] = {"GetOrder": {"operationId": "getOrder",
                                            "parameters": {"digest": "$response.body#/results/0/digest"}}}
    return answers


@cache
def document() -> dict[str, Any]:
    _, requests = msgspec.json.schema_components([OrdersRequest, GrantBody, RevocationBody], ref_template=_REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "aa-auth order intake gateway", "version": "1",
                 "description": "SPEC section 14: signed orders in, decided as the chain would, settled in batches."},
        "paths": {
            "/v1/orders": {"post": {
                "summary": "Post signed orders (1 to --max-orders-per-request); one result each, in request order",
                "requestBody": _body("OrdersRequest"),
                "responses": _linked(_answers("200", "OrderResults", "one result per order", ("400", "413")))}},
            "/v1/orders/{digest}": {"get": {
                "summary": "One order the gateway accepted, with its status", "operationId": "getOrder",
                "parameters": _path("digest", _HASH),
                "responses": _answers("200", "StoredOrder", "the order", ("400", "404"))}},
            "/v1/accounts/{account}": {"get": {
                "summary": "The gateway's view of a served account", "parameters": _path("account", _ADDRESS),
                "responses": _answers("200", "Account", "the account", ("400", "404"))}},
            "/v1/grants": {"post": {
                "summary": "Relay an owner-signed SessionGrant as grantSessionWithSig", "requestBody": _body("GrantBody"),
                "responses": _answers("202", "Relayed", "relayed", ("400", "413", "503"))}},
            "/v1/revocations": {"post": {
                "summary": "Revoke a key with its own RevokeSession signature: refused here at once, then relayed",
                "requestBody": _body("RevocationBody"),
                "responses": _answers("202", "Relayed", "revoked here and relayed", ("400", "409", "413", "503"))}},
            "/v1/events": {"get": {
                "summary": "Server-Sent Events of status changes (event: order); resume with Last-Event-ID",
                "parameters": [
                    {"name": "account", "in": "query", "required": False, "schema": _ADDRESS},
                    {"name": "signer", "in": "query", "required": False, "schema": _ADDRESS},
                    {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                ],
                "responses": {"200": {"description": "the stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                              **_errors(("400",))}}},
            "/healthz": {"get": {"summary": "Health: the node reachable and the follower within --max-lag",
                                 "responses": {"200": {"description": "ok", **_json_content(_ref("Health"))},
                                               "503": {"description": "degraded", **_json_content(_ref("Health"))}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics",
                                 "responses": {"200": {"description": "text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1", **_json_content({"type": "object"})}}}},
        },
        "components": {"schemas": {**requests, **_RESPONSES}},
    }
