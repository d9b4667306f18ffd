"""The owner's side of the handshake from the command line: a grant or revocation as
eth_signTypedData_v4 JSON, signed by a wallet (ethers.js, eth-account), posted to a gateway or relayed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from aa_auth.gateway.handshake import request_scope
from aa_auth.ops.cli import cli
from tests.gateway.harness import MARKET, Venue, chain_url, fresh_key
from tests.integration._operator import write_keystore

pytestmark = pytest.mark.anvil

ROOT = Path(__file__).resolve().parents[2]
ETHERS_SIGN = """
const { Wallet } = require("ethers");
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const { key, typedData } = JSON.parse(input);
  const types = { ...typedData.types };
  delete types.EIP712Domain;  // ethers derives the domain type itself
  process.stdout.write(await new Wallet(key).signTypedData(typedData.domain, types, typedData.message));
});
"""


def _aa(*args: str, expect: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--quiet", *args])
    assert result.exit_code == expect, result.output
    return result.output


def _ethers(key: LocalAccount, typed: dict[str, Any]) -> str:
    done = subprocess.run(["node", "-e", ETHERS_SIGN], input=json.dumps({"key": key.key.hex(), "typedData": typed}),
                          capture_output=True, text=True, timeout=60, cwd=ROOT, check=True)
    return done.stdout.strip()


def _eth_account(key: LocalAccount, typed: dict[str, Any]) -> str:
    return "0x" + bytes(Account.sign_message(encode_typed_data(full_message=typed), key.key).signature).hex()


def _scope_file(gw: Venue, path: Path) -> Path:
    path.write_text(json.dumps({
        "validAfter": 0, "validUntil": gw.now() + 3_600, "venues": [gw.stack.venue],
        "markets": [{"market": str(MARKET), "maxOrderSize": "5000000000000000000", "minPrice": "0", "maxPrice": str(2**256 - 1)}],
        "maxNotionalPerWindow": "1000000000000000000000", "maxOrdersPerWindow": 100, "windowSeconds": 3600, "maxGasFee": "0",
        "calls": [{"target": gw.stack.venue, "selector": "0x12345678", "maxValue": "0"}]}))
    return path


def _request(gw: Venue, tmp_path: Path, key: str) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / f"grant-{key}.json"
    printed = _aa("gateway", "grant-request", gw.account.address, key, "--scope", str(_scope_file(gw, tmp_path / "scope.json")),
                  "--ttl", "10m", "--rpc-url", chain_url(gw.chain), "--out", str(out))
    request = json.loads(out.read_text())
    assert json.loads(printed) == request and request["signer"] == gw.owner.address
    assert all(isinstance(v, str) for v in request["typedData"]["message"]["scope"]["markets"][0].values())  # wallet-safe
    return out, request


def test_a_grant_signed_by_eth_account_posted_to_the_gateway_lands(gw: Venue, tmp_path: Path) -> None:
    bot = fresh_key(gw.chain, "cli bot", 0)
    out, request = _request(gw, tmp_path, bot.address)
    posted = json.loads(_aa("gateway", "submit", str(out), "--signature", _eth_account(gw.owner, request["typedData"]),
                            "--gateway", gw.url))
    receipt = gw.chain.w3.eth.wait_for_transaction_receipt(posted["txHash"])
    assert receipt["status"] == 1 and gw.account.session(bot.address).status.name == "ACTIVE"
    assert gw.account.session(bot.address).scope == request_scope(request)


def test_a_grant_signed_by_ethers_and_relayed_by_anyone_lands(gw: Venue, tmp_path: Path) -> None:
    bot = fresh_key(gw.chain, "cli ethers bot", 0)
    out, request = _request(gw, tmp_path, bot.address)
    keystore, password = write_keystore(tmp_path / "keys", fresh_key(gw.chain, "relayer"))
    relayed = json.loads(_aa("gateway", "relay", str(out), "--signature", _ethers(gw.owner, request["typedData"]),
                             "--rpc-url", chain_url(gw.chain), "--keystore", str(keystore), "--password-file", str(password), "--json"))
    assert relayed["kind"] == "grant" and gw.account.session(bot.address).status.name == "ACTIVE"


def test_a_signature_by_another_key_is_refused_before_anything_is_sent(gw: Venue, tmp_path: Path) -> None:
    bot = fresh_key(gw.chain, "cli refused bot", 0)
    out, request = _request(gw, tmp_path, bot.address)
    block = gw.chain.w3.eth.block_number
    output = _aa("gateway", "submit", str(out), "--signature", _ethers(bot, request["typedData"]), "--gateway", gw.url, expect=1)
    assert f"not {gw.owner.address}'s" in output and gw.chain.w3.eth.block_number == block


def test_a_key_revokes_itself_offline_signed_with_ethers_through_the_gateway(gw: Venue, tmp_path: Path) -> None:
    bot = gw.grant()
    out = tmp_path / "revoke.json"
    _aa("gateway", "revocation-request", gw.account.address, bot.address, "--chain-id", "31337", "--out", str(out))
    request = json.loads(out.read_text())
    assert request["typedData"]["primaryType"] == "RevokeSession" and request["signer"] == bot.address
    posted = json.loads(_aa("gateway", "submit", str(out), "--signature", _ethers(bot, request["typedData"]), "--gateway", gw.url))
    assert gw.chain.w3.eth.wait_for_transaction_receipt(posted["txHash"])["status"] == 1
    assert gw.account.session(bot.address).status.name == "REVOKED"
