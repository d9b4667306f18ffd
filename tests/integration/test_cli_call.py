"""`aa-auth call` end to end: anvil, Alto (and the direct handleOps path), keystores; bad input in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aa_auth.chain.anvil import free_port
from aa_auth.ops.cli import cli
from tests.conftest import named_key
from tests.integration._operator import write_keystore
from tests.integration.alto_support import OWNER, AltoNode

pytestmark = pytest.mark.anvil

RECIPIENT = named_key("cli call recipient").address


def _run(alto: AltoNode, keys: Path, signer: Any, *args: str, bundler: bool = True) -> Result:
    keystore, password = write_keystore(keys, signer)
    argv = ["--quiet", "call", *args, "--rpc-url", alto.rpc_url, "--keystore", str(keystore), "--password-file", str(password)]
    if bundler:
        argv += ["--bundler-url", alto.url]
    return CliRunner(env={"WEB3_PROVIDER_URI": None, "AA_AUTH_BUNDLER_URL": None}).invoke(cli, argv, catch_exceptions=False)


def _json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_call_by_a_session_key_through_alto_with_a_dry_run_first(alto: AltoNode, tmp_path: Path) -> None:
    account, bot = alto.new_account(), named_key("cli call bot")
    alto.grant_transfer(account, bot.address)
    transfer = ("--to", alto.token.address, "--sig", "transfer(address,uint256)", RECIPIENT, "3")
    dry = _json(_run(alto, tmp_path, bot, account.address, *transfer, "--dry-run", "--json"))
    assert dry["role"] == "session key" and int(dry["nonce"]) >> 64 == int(bot.address, 16)
    assert int(dry["budgetLeft"]) == 10**18 and int(dry["maxCost"]) > 0
    assert account.session(bot.address).gas_fee_spent == 0  # a dry run sends nothing
    before = alto.balance(RECIPIENT)
    sent = _json(_run(alto, tmp_path, bot, account.address, *transfer, "--json"))
    assert sent["success"] is True and alto.balance(RECIPIENT) == before + 3
    spent = account.session(bot.address).gas_fee_spent
    assert int(sent["budgetLeft"]) == 10**18 - spent and spent > 0


def test_call_by_the_owner_directly_without_a_bundler(alto: AltoNode, tmp_path: Path) -> None:
    account = alto.new_account()
    data = "0x" + alto.transfer(RECIPIENT, 2).data.hex()
    before = alto.balance(RECIPIENT)
    sent = _json(_run(alto, tmp_path, OWNER, account.address, "--to", alto.token.address, "--data", data, "--json", bundler=False))
    assert sent["role"] == "owner" and sent["budgetLeft"] is None and sent["success"] is True
    assert alto.balance(RECIPIENT) == before + 2


def test_a_batch_lands_as_one_operation_and_a_forbidden_call_in_it_stops_it(alto: AltoNode, tmp_path: Path) -> None:
    account, bot = alto.new_account(), named_key("cli call batch bot")
    alto.grant_transfer(account, bot.address)
    transfer = {"to": alto.token.address, "sig": "transfer(address,uint256)", "args": [RECIPIENT, "4"]}
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([transfer, {"to": alto.token.address, "data": "0x" + alto.transfer(RECIPIENT, 6).data.hex()}]))
    before = alto.balance(RECIPIENT)
    sent = _json(_run(alto, tmp_path, bot, account.address, "--batch", str(batch), "--json"))
    assert sent["calls"] == 2 and sent["success"] is True and alto.balance(RECIPIENT) == before + 10
    batch.write_text(json.dumps([transfer, {"to": alto.token.address, "sig": "approve(address,uint256)", "args": [RECIPIENT, "1"]}]))
    refused = _run(alto, tmp_path, bot, account.address, "--batch", str(batch))
    assert refused.exit_code == 1 and "permits no call to" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert alto.balance(RECIPIENT) == before + 10


@pytest.mark.parametrize("args, message", [
    (("--sig", "transfer(adress,uint256)", "0x" + "11" * 20, "1"), "unknown ABI type 'adress'"),
    (("--sig", "transfer(address,uint256)", "1"), "takes 2 argument(s), 1 given"),
    (("--sig", "transfer(address,uint256)", "0x" + "11" * 20, "1", "--value", "5"), "--value 5 is above the key's permission"),
    (("--sig", "approve(address,uint256)", "0x" + "11" * 20, "1"), "permits no call to"),
])
def test_bad_input_is_one_line(alto: AltoNode, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    account, bot = alto.new_account(), named_key("cli call bad input bot")
    alto.grant_transfer(account, bot.address)
    result = _run(alto, tmp_path, bot, account.address, "--to", alto.token.address, *args)
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_bundler_is_one_line(alto: AltoNode, tmp_path: Path) -> None:
    account = alto.new_account()
    keystore, password = write_keystore(tmp_path, OWNER)
    dead = f"http://127.0.0.1:{free_port()}"
    result = CliRunner(env={"WEB3_PROVIDER_URI": None}).invoke(cli, [
        "call", account.address, "--to", RECIPIENT, "--rpc-url", alto.rpc_url, "--keystore", str(keystore),
        "--password-file", str(password), "--bundler-url", dead], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert f"the bundler at {dead} is unreachable" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_refusal_by_the_bundler_is_one_line_that_names_it(alto: AltoNode, tmp_path: Path) -> None:
    account, bot = alto.new_account(), named_key("cli call frozen bot")
    alto.grant_transfer(account, bot.address)
    account.freeze(OWNER)
    result = _run(alto, tmp_path, bot, account.address, "--to", alto.token.address, "--sig", "transfer(address,uint256)", RECIPIENT, "1")
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1, result.output
    assert "SIG_VALIDATION_FAILED" in result.stderr and "aa-auth inspect ACCOUNT" in result.stderr
