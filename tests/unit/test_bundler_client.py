"""The ERC-7769 client against a scripted JSON-RPC server on loopback: every bundler error comes back
as the named AAAuthError for it, a dead or non-JSON-RPC URL is BundlerUnreachable, polling stops."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from aa_auth.chain.anvil import free_port
from aa_auth.erc4337.bundler_api import wait_for_receipt
from aa_auth.erc4337.bundler_client import BundlerClient
from aa_auth.erc4337.rpc_json import user_op_to_json
from aa_auth.erc4337.userops import GasFees, GasLimits, user_operation
from aa_auth.errors import (
    BundlerError,
    BundlerMismatch,
    BundlerUnreachable,
    EntityRefused,
    InvalidUserOpFields,
    PaymasterRefused,
    UserOpNotDue,
    UserOpReverted,
    UserOpSignatureRefused,
    UserOpTimeout,
    UserOpValidationFailed,
    ValidationRuleViolation,
)

ENTRY_POINT = "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108"
SENDER = "0x" + "ab" * 20
Handler = Callable[[str, list[Any]], dict[str, Any]]


def _serve(handler: Handler) -> Iterator[str]:
    class Rpc(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            answer = {"jsonrpc": "2.0", "id": body["id"], **handler(body["method"], body["params"])}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Rpc)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class Script:
    """What the fake bundler answers: chain 31337, our EntryPoint, and `error` for every other method."""

    def __init__(self) -> None:
        self.error: dict[str, Any] | None = None
        self.results: dict[str, Any] = {}
        self.sequences: dict[str, list[Any]] = {}  # answered in turn
        self.seen: list[tuple[str, list[Any]]] = []

    def __call__(self, method: str, params: list[Any]) -> dict[str, Any]:
        self.seen.append((method, params))
        if method == "eth_chainId":
            return {"result": "0x7a69"}
        if method == "eth_supportedEntryPoints":
            return {"result": [ENTRY_POINT]}
        if self.sequences.get(method):
            return {"result": self.sequences[method].pop(0)}
        if method in self.results:
            return {"result": self.results[method]}
        return {"error": self.error or {"code": -32601, "message": "no"}}


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def client(script: Script) -> Iterator[BundlerClient]:
    for url in _serve(script):
        yield BundlerClient(url, ENTRY_POINT, chain_id=31337, timeout=5)


def _op() -> Any:
    return user_operation(SENDER, 5, b"\x01\x02", GasLimits(1, 2, 3), GasFees(4, 5), signature=b"\x07" * 65)


@pytest.mark.parametrize("code, message, named", [
    (-32602, "invalid userOp.nonce", InvalidUserOpFields),
    (-32500, "AA24 signature error", UserOpSignatureRefused),  # the AA code decides, whatever the number
    (-32507, "Invalid UserOp signature", UserOpSignatureRefused),
    (-32500, "AA22 expired or not due", UserOpNotDue),
    (-32503, "expires too soon", UserOpNotDue),
    (-32500, "AA25 invalid account nonce", UserOpValidationFailed),
    (-32500, "AA21 didn't pay prefund", UserOpValidationFailed),
    (-32501, "paymaster validation failed", PaymasterRefused),
    (-32500, "AA31 paymaster deposit too low", PaymasterRefused),
    (-32502, "account uses banned opcode TIMESTAMP", ValidationRuleViolation),
    (-32504, "factory is throttled", EntityRefused),
    (-32505, "paymaster stake too low", EntityRefused),
    (-32521, "execution reverted", UserOpReverted),
    (-32000, "something else", BundlerError),
])
def test_each_bundler_error_is_raised_by_name(script: Script, client: BundlerClient, code: int, message: str, named: type) -> None:
    script.error = {"code": code, "message": message, "data": {"x": 1}}
    with pytest.raises(BundlerError) as caught:
        client.send(_op())
    assert type(caught.value) is named and caught.value.code == code and caught.value.data == {"x": 1}
    assert message in str(caught.value)


def test_aa24_says_what_to_do(script: Script, client: BundlerClient) -> None:
    script.error = {"code": -32507, "message": "AA24 signature error"}
    with pytest.raises(UserOpSignatureRefused) as caught:
        client.send(_op())
    assert caught.value.aa_code == "AA24" and "aa-auth inspect ACCOUNT" in str(caught.value)


def test_operations_go_out_in_erc7769_form(script: Script, client: BundlerClient) -> None:
    op_hash = "0x" + "cd" * 32
    script.results = {"eth_sendUserOperation": op_hash, "eth_estimateUserOperationGas": {
        "preVerificationGas": "0x10", "verificationGasLimit": "0x20", "callGasLimit": "0x30"}}
    assert client.send(_op()) == bytes.fromhex("cd" * 32)
    assert client.estimate(_op()) == GasLimits(0x20, 0x30, 0x10)
    sent, entry = script.seen[-2][1]
    assert entry == ENTRY_POINT and sent == user_op_to_json(_op())
    assert sent["nonce"] == "0x5" and sent["maxFeePerGas"] == "0x5" and "factory" not in sent and "paymaster" not in sent


def test_a_factory_is_split_from_its_data() -> None:
    factory = "0x" + "fa" * 20
    op = user_operation(SENDER, 0, b"", GasLimits(1, 2, 3), GasFees(4, 5), init_code=bytes.fromhex(factory[2:]) + b"\x99")
    body = user_op_to_json(op)
    assert body["factory"].lower() == factory and body["factoryData"] == "0x99"


def test_a_bundler_of_another_chain_or_entry_point_is_refused(script: Script) -> None:
    for url in _serve(script):
        with pytest.raises(BundlerMismatch, match="serves chain 31337, not chain 1"):
            BundlerClient(url, chain_id=1)
        with pytest.raises(BundlerMismatch, match="does not support EntryPoint"):
            BundlerClient(url, "0x" + "11" * 20)
        assert BundlerClient(url).entry_point == ENTRY_POINT  # the first one it supports


def test_an_unreachable_url_is_named() -> None:
    with pytest.raises(BundlerUnreachable, match="is unreachable"):
        BundlerClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(Exception, match="not http"):
        BundlerClient("ws://127.0.0.1:1")


def test_a_server_that_is_not_json_rpc_is_named() -> None:
    class NotRpc(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"<html>nope</html>")

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", free_port()), NotRpc)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(BundlerUnreachable, match="HTTP 404 without JSON"):
            BundlerClient(f"http://127.0.0.1:{server.server_port}", timeout=2)
    finally:
        server.shutdown()
        server.server_close()


def test_a_pending_operation_is_polled_until_it_is_included(script: Script, client: BundlerClient) -> None:
    receipt = {"userOpHash": "0x" + "cd" * 32, "sender": SENDER, "nonce": "0x5", "success": True, "actualGasCost": "0x64",
               "actualGasUsed": "0x32", "logs": [], "receipt": {"transactionHash": "0x" + "ee" * 32, "blockNumber": "0x9"}}
    script.sequences["eth_getUserOperationReceipt"] = [None, None, receipt]
    found = wait_for_receipt(client, bytes.fromhex("cd" * 32), 5, sleep=lambda _: None)
    assert found.success and found.actual_gas_cost == 100 and found.block_number == 9 and found.nonce == 5
    assert [m for m, _ in script.seen].count("eth_getUserOperationReceipt") == 3


def test_waiting_stops_at_the_timeout(script: Script, client: BundlerClient) -> None:
    script.results = {"eth_getUserOperationReceipt": None}
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(UserOpTimeout, match="no receipt after 2s; it may still be included"):
        wait_for_receipt(client, b"\x01" * 32, 2, sleep=sleep, clock=lambda: now[0])
    assert now[0] == pytest.approx(2.0)
