"""An operator's day on a real JSON-RPC node, through the command line only (the venue settles).

deploy (dry run, for real, again), create an account, grant a bot a tight scope, sign an order,
verify it, settle it at the venue, see the replay refused, audit the account, freeze it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aa_auth.chain.connection import Chain
from aa_auth.contracts.deployments import predicted_stack
from aa_auth.contracts.venue import Venue
from aa_auth.ops.cli import cli
from aa_auth.protocol.orders import Order
from aa_auth.protocol.signer import OrderSigner
from tests.integration._operator import ETHER, funded, rolled_back, write_keystore

pytestmark = pytest.mark.anvil


def test_operator_story_over_http(anvil_url: str, tmp_path: Path) -> None:
    with rolled_back(Chain.connect(anvil_url)) as chain:
        keys = {name: funded(chain, f"e2e {name}") for name in ("payer", "owner", "bot")}
        stores = {name: write_keystore(tmp_path / "keys", key) for name, key in keys.items()}
        records = tmp_path / "deployments"

        def aa(*args: str, key: str | None = None, expect: int = 0, stdin: str | None = None) -> Result:
            argv = ["--quiet", *args, "--rpc-url", anvil_url]
            if key:
                argv += ["--keystore", str(stores[key][0]), "--password-file", str(stores[key][1])]
            result = CliRunner().invoke(cli, argv, input=stdin, catch_exceptions=False)
            assert result.exit_code == expect, (args, result.stdout, result.stderr)
            return result

        def aa_json(*args: str, key: str | None = None, expect: int = 0) -> dict:  # type: ignore[type-arg]
            return json.loads(aa(*args, "--json", key=key, expect=expect).stdout)  # type: ignore[no-any-return]

        # Deploy: the dry run sends nothing; the real run lands the predicted addresses; the rerun skips.
        block = chain.w3.eth.block_number
        assert "dry run: nothing sent" in aa("deploy", "--dry-run", "--records-dir", str(records), key="payer").stdout
        assert chain.w3.eth.block_number == block and not records.exists()
        deployed = aa_json("deploy", "--records-dir", str(records), key="payer")
        stack = predicted_stack()
        assert [(s["name"], s["address"]) for s in deployed["steps"] if s["name"] != "CREATE2Deployer"] == [
            ("EntryPoint", stack.entry_point), ("AccountFactory", stack.factory), ("ReferenceVenue", stack.venue),
            ("SessionAccount7702", stack.implementation_7702)]
        recorded = json.loads((records / "31337.json").read_text())["contracts"]
        assert {name: entry["address"] for name, entry in recorded.items()} == {
            "EntryPoint": stack.entry_point, "AccountFactory": stack.factory, "ReferenceVenue": stack.venue,
            "SessionAccount7702": stack.implementation_7702}
        block = chain.w3.eth.block_number
        rerun = aa_json("deploy", "--records-dir", str(records), key="payer")
        assert [s["action"] for s in rerun["steps"]] == ["present"] * 4 and chain.w3.eth.block_number == block

        # An account for the owner, paid by the payer; a bot with a tight scope.
        account = aa_json("account", "create", "--owner", keys["owner"].address, "--records-dir", str(records),
                          key="payer")["account"]
        bot = keys["bot"].address
        aa("session", "grant", account, bot, "--valid-for", "7d", "--venue", stack.venue,
           "--market", "1,max-size=2e18,min-price=1e18,max-price=3e18", "--max-notional", "10e18",
           "--max-orders", "5", "--window", "1h", key="owner")

        # Sign, verify, settle, and the same order again is a replay.
        order_file = tmp_path / "order.json"
        aa("sign-order", account, "--venue", stack.venue, "--market", "1", "--buy", "--size", "1e18",
           "--price", "2e18", "--nonce", "300", "--ttl", "10m", "--out", str(order_file), key="bot")
        assert aa_json("verify-order", str(order_file))["authorized"] is True
        signed = json.loads(order_file.read_text())
        order = Order(stack.venue, 1, True, ETHER, 2 * ETHER, 300, int(signed["order"]["deadline"]))
        settlement = Venue(chain, stack.venue).settle(keys["payer"], [OrderSigner(keys["bot"].key, 31337, account).sign(order)])
        assert settlement.outcomes[0].settled and Venue(chain, stack.venue).position(account, 1) == ETHER
        replay = json.loads(aa("verify-order", "-", "--json", stdin=order_file.read_text(), expect=3).stdout)
        assert (replay["onChain"]["reason"], replay["agree"]) == ("NonceAlreadyUsed", True)
        too_big = tmp_path / "too-big.json"
        aa("sign-order", account, "--venue", stack.venue, "--market", "1", "--sell", "--size", "3e18",
           "--price", "2e18", "--nonce", "301", "--ttl", "10m", "--out", str(too_big), key="bot")
        assert aa_json("verify-order", str(too_big), expect=3)["onChain"]["reason"] == "OrderTooLarge"

        # The audit: genuine, the bot's usage from the events, and nothing to flag for a tight scope
        # once the account has a guardian (there is no CLI command for it: the owner calls setGuardian).
        bare = aa_json("inspect", account, "--records-dir", str(records), "--fail-on", "warning", expect=3)
        assert [(f["severity"], f["code"]) for f in bare["flags"]] == [("warning", "no-guardian")]
        chain.send(chain.contract("SessionAccount", account).functions.setGuardian(keys["payer"].address), keys["owner"])
        audit = aa_json("inspect", account, "--records-dir", str(records), "--fail-on", "warning")
        assert audit["clone"]["genuine"] is True and audit["flags"] == []
        (key,) = audit["keys"]
        assert (key["key"], key["status"], key["scopeHashOk"], key["ordersConsumed"]) == (bot, "active", True, 1)
        assert (key["windowOrders"], key["windowNotional"]) == (1, str(2 * ETHER))
        assert key["nonceWords"] == [{"word": "1", "used": 1, "bitmap": "0x" + (1 << 44).to_bytes(32, "big").hex()}]
        assert [e["event"] for e in audit["events"]] == ["SessionGranted", "OrderConsumed", "GuardianSet"]

        # The kill switch: a frozen account refuses the bot's next order.
        aa("freeze", account, key="owner")
        fresh = tmp_path / "after-freeze.json"
        aa("sign-order", account, "--venue", stack.venue, "--market", "1", "--buy", "--size", "1", "--price", "2e18",
           "--nonce", "302", "--ttl", "10m", "--out", str(fresh), key="bot")
        assert aa_json("verify-order", str(fresh), expect=3)["onChain"]["reason"] == "AccountFrozen"
        assert aa_json("inspect", account, "--records-dir", str(records))["frozen"] is True


def test_the_installed_entry_point_reads_keys_and_node_from_the_environment(anvil_url: str, tmp_path: Path) -> None:
    """A real process: `python -m aa_auth`, with WEB3_PROVIDER_URI and the keystore named by environment."""
    with rolled_back(Chain.connect(anvil_url)) as chain:
        payer = funded(chain, "e2e environment payer")
        keystore, password = write_keystore(tmp_path, payer)
        env = {**os.environ, "WEB3_PROVIDER_URI": anvil_url, "AA_AUTH_KEYSTORE": str(keystore),
               "AA_AUTH_PASSWORD_FILE": str(password)}
        done = subprocess.run([sys.executable, "-m", "aa_auth", "deploy", "--dry-run", "--json"], env=env,
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["chainId"], data["dryRun"], data["sender"]) == (31337, True, payer.address)
    assert not (tmp_path / "deployments").exists()
