"""The `aa-auth` command line, driven through click's CliRunner against anvil over HTTP."""

from __future__ import annotations

import json
import re
import runpy
import socket
import subprocess
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from eth_account.signers.local import LocalAccount

import aa_auth
from aa_auth.chain.connection import Chain
from aa_auth.contracts.deployments import predicted_stack
from aa_auth.contracts.stack import Stack
from aa_auth.contracts.venue import Venue
from aa_auth.ops.cli import cli
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import CallPermission, market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.typed_data import hash_scope, order_digest
from tests.integration._operator import ETHER, PASSWORD, funded, rolled_back, write_keystore

pytestmark = pytest.mark.anvil


@dataclass
class Operator:
    chain: Chain
    url: str
    tmp: Path
    records: Path
    keys: dict[str, LocalAccount]
    keystores: dict[str, tuple[Path, Path]]

    def run(self, *args: str, key: str | None = None, rpc: bool = True, input: str | None = None,
            env: dict[str, str | None] | None = None) -> Result:
        """`aa-auth ARGS` with --rpc-url and, for `key`, its keystore and password file."""
        argv = [*args]
        if rpc:
            argv += ["--rpc-url", self.url]
        if key is not None:
            keystore, password = self.keystores[key]
            argv += ["--keystore", str(keystore), "--password-file", str(password)]
        runner = CliRunner(env={"WEB3_PROVIDER_URI": None, "AA_AUTH_KEYSTORE": None, **(env or {})})
        return runner.invoke(cli, ["--quiet", *argv], input=input, catch_exceptions=False)

    def json(self, *args: str, key: str | None = None) -> dict[str, Any]:
        result = self.run(*args, "--json", key=key)
        assert result.exit_code == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data


@pytest.fixture(scope="module")
def op(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    tmp = tmp_path_factory.mktemp("cli")
    with rolled_back(Chain.connect(anvil_url)) as chain:
        keys = {name: funded(chain, f"cli {name}") for name in ("payer", "owner", "bot", "bot2", "bot3", "guardian", "trader")}
        keystores = {name: write_keystore(tmp / "keys", key) for name, key in keys.items()}
        yield Operator(chain, anvil_url, tmp, tmp / "deployments", keys, keystores)


@pytest.fixture(scope="module")
def stack(op: Operator) -> Stack:
    data = op.json("deploy", "--records-dir", str(op.records), key="payer")
    assert data["records"] == str(op.records / "31337.json")
    assert data["stack"] == {"entryPoint": predicted_stack().entry_point, "factory": predicted_stack().factory,
                             "venue": predicted_stack().venue, "sessionAccount7702": predicted_stack().implementation_7702}
    return predicted_stack()


@pytest.fixture(scope="module")
def account(op: Operator, stack: Stack) -> str:
    data = op.json("account", "create", "--owner", op.keys["owner"].address, "--records-dir", str(op.records), key="payer")
    assert data["created"] is True and data["factory"] == stack.factory
    return str(data["account"])


# ------------------------------------------------------------------ deploy


def test_deploy_dry_run_sends_nothing_writes_nothing_and_prints_the_same_json_twice(op: Operator) -> None:
    records = op.tmp / "dry-run-records"
    block = op.chain.w3.eth.block_number
    first = op.run("deploy", "--dry-run", "--records-dir", str(records), "--json", key="payer")
    second = op.run("deploy", "--dry-run", "--records-dir", str(records), "--json", key="payer")
    assert first.exit_code == second.exit_code == 0, first.stderr
    assert first.stdout == second.stdout  # deterministic
    data = json.loads(first.stdout)
    assert list(data) == sorted(data) and data["dryRun"] is True and data["records"] is None
    assert (data["chainId"], data["blockNumber"]) == (31337, block)
    assert op.chain.w3.eth.block_number == block and not records.exists()


def test_deploy_rerun_reports_each_contract_present_and_sends_nothing(op: Operator, stack: Stack) -> None:
    block = op.chain.w3.eth.block_number
    result = CliRunner().invoke(cli, ["deploy", "--rpc-url", op.url, "--records-dir", str(op.records),
                                      "--keystore", str(op.keystores["payer"][0]), "--password-file",
                                      str(op.keystores["payer"][1])], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("present") == 4 and "cost 0.000000 ETH" in result.stdout
    assert "AccountFactory: already deployed" in result.stderr and "skipping" in result.stderr  # progress on stderr
    assert op.chain.w3.eth.block_number == block


def test_account_create_twice_creates_once(op: Operator, account: str) -> None:
    again = op.json("account", "create", "--owner", op.keys["owner"].address, "--records-dir", str(op.records), key="payer")
    assert again["account"] == account and again["created"] is False and again["transactionHash"] is None


# ------------------------------------------------------------------ EIP-7702: an EOA upgraded in place


def _code(op: Operator, address: str) -> bytes:
    return bytes(op.chain.w3.eth.get_code(address))  # type: ignore[arg-type]


def test_upgrade_eoa_dry_run_prints_the_authorization_and_sends_nothing(op: Operator, stack: Stack) -> None:
    trader = op.keys["trader"].address
    block, nonce = op.chain.w3.eth.block_number, op.chain.w3.eth.get_transaction_count(trader)
    for sponsored in (False, True):
        sponsor = ["--sponsor", str(op.keystores["payer"][0])] if sponsored else []
        # No password file: a dry run decrypts nothing (the keystores declare their addresses).
        result = op.run("account", "upgrade-eoa", "--dry-run", "--records-dir", str(op.records), "--json",
                        "--keystore", str(op.keystores["trader"][0]), *sponsor)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["dryRun"] is True and data["selfPaid"] is not sponsored
        assert data["authorization"] == {"chainId": 31337, "address": stack.implementation_7702,
                                         "nonce": nonce if sponsored else nonce + 1}
        assert data["transaction"]["from"] == (op.keys["payer"].address if sponsored else trader)
        assert data["transaction"]["to"] == trader and data["transaction"]["type"] == 4
    text = op.run("account", "upgrade-eoa", "--dry-run", "--records-dir", str(op.records), key="trader")
    assert "would sign" in text.stdout and "nonce + 1" in text.stdout
    assert (op.chain.w3.eth.block_number, op.chain.w3.eth.get_transaction_count(trader)) == (block, nonce)
    assert _code(op, trader) == b""


def test_upgrade_eoa_then_inspect_then_downgrade(op: Operator, stack: Stack) -> None:
    trader = op.keys["trader"].address
    with rolled_back(op.chain):
        up = op.json("account", "upgrade-eoa", "--records-dir", str(op.records), "--sponsor", str(op.keystores["payer"][0]),
                     "--sponsor-password-file", str(op.keystores["payer"][1]), key="trader")
        assert up["implementation"] == stack.implementation_7702 and up["previous"] is None and not up["selfPaid"]
        assert _code(op, trader).hex() == "ef0100" + (stack.implementation_7702 or "")[2:].lower()
        bot = op.keys["bot"].address
        granted = op.json("session", "grant", trader, bot, "--valid-for", "1d", "--venue", stack.venue, "--market", "1",
                          key="trader")  # the EOA's own transaction to itself
        assert granted["account"] == trader
        assert [k["key"] for k in op.json("session", "list", trader)["keys"]] == [bot]
        report = op.json("inspect", trader, "--records-dir", str(op.records))
        assert report["kind"] == "eip7702" and report["clone"] is None and report["owner"] == trader
        assert [k["key"] for k in report["keys"]] == [bot]
        assert report["delegation"] == {"delegate": stack.implementation_7702, "expected": stack.implementation_7702, "ours": True}
        again = op.json("account", "upgrade-eoa", "--records-dir", str(op.records), key="trader")
        assert again["transactionHash"] is None  # already delegated: nothing sent
        down = op.json("account", "downgrade-eoa", key="trader")  # self-paid
        assert down["implementation"] is None and down["previous"] == stack.implementation_7702
        assert _code(op, trader) == b""
        assert "has no delegation to undo; nothing sent" in op.run("account", "downgrade-eoa", key="trader").stdout


def test_upgrade_eoa_bad_input_is_one_line(op: Operator, stack: Stack) -> None:
    nowhere = "0x" + "42" * 20
    line = _one_line_error(op.run("account", "upgrade-eoa", "--implementation", nowhere, key="trader"))
    assert f"no SessionAccount7702 at {nowhere}" in line and "aa-auth deploy" in line
    missing = op.tmp / "no-sponsor.json"
    line = _one_line_error(op.run("account", "upgrade-eoa", "--records-dir", str(op.records), "--sponsor", str(missing),
                                  key="trader"))
    assert f"keystore file {missing} does not exist" in line
    assert _code(op, op.keys["trader"].address) == b""


# ------------------------------------------------------------------ sessions and orders


def test_grant_writes_the_scope_the_options_describe(op: Operator, stack: Stack, account: str) -> None:
    bot = op.keys["bot"].address
    data = op.json("session", "grant", account, bot, "--valid-until", "4000000000", "--venue", stack.venue,
                   "--market", "7,max-size=5e18,min-price=1e18,max-price=3e18", "--market", "any,max-size=1e18",
                   "--max-notional", "100e18", "--max-orders", "10", "--window", "1h", "--max-gas-fee", "0x10",
                   "--call", f"{stack.venue}:transfer:1000", key="owner")
    expected = scope(valid_until=4_000_000_000, venues=[stack.venue],
                     markets=[market_limit(7, max_order_size=5 * ETHER, min_price=ETHER, max_price=3 * ETHER),
                              market_limit(2**256 - 1, max_order_size=ETHER)],
                     max_notional_per_window=100 * ETHER, max_orders_per_window=10, window_seconds=3600,
                     max_gas_fee=16, calls=[CallPermission(stack.venue, bytes(4), 1000)])
    assert data["scopeHash"] == "0x" + hash_scope(expected).hex()
    assert data["key"] == bot and isinstance(data["transactionHash"], str) and data["chainId"] == 31337
    listed = op.json("session", "list", account)
    assert [(k["key"], k["status"]) for k in listed["keys"]] == [(bot, "active")]


def test_signed_order_verifies_then_is_rejected_once_settled(op: Operator, stack: Stack, account: str) -> None:
    bot = op.keys["bot"]
    out = op.tmp / "order.json"
    signed = op.json("sign-order", account, "--venue", stack.venue, "--market", "7", "--buy", "--size", "2e18",
                     "--price", "2e18", "--nonce", "42", "--ttl", "10m", "--out", str(out), key="bot")
    assert json.loads(out.read_text()) == signed and signed["signer"] == bot.address
    first = op.run("verify-order", str(out), "--json")
    assert first.exit_code == 0, first.stderr
    verdict = json.loads(first.stdout)
    assert (verdict["offChain"]["reason"], verdict["onChain"]["reason"], verdict["agree"]) == ("Authorized", "Authorized", True)
    order = Order(stack.venue, 7, True, 2 * ETHER, 2 * ETHER, 42, int(signed["order"]["deadline"]))
    resigned = OrderSigner(bot.key, 31337, account).sign(order)
    assert "0x" + resigned.signature.hex() == signed["signature"]
    assert Venue(op.chain, stack.venue).settle(op.keys["payer"], [resigned]).outcomes[0].settled
    replay = op.run("verify-order", "-", input=out.read_text())
    assert replay.exit_code == 3
    assert re.search(r"off-chain +NonceAlreadyUsed \(12\)\non-chain +NonceAlreadyUsed \(12\)\nagree +yes", replay.stdout)


def test_offline_signing_needs_only_a_chain_id_and_is_deterministic(op: Operator, stack: Stack) -> None:
    account = "0x" + "42" * 20
    args = ("sign-order", account, "--chain-id", "10", "--venue", stack.venue, "--market", "1", "--sell",
            "--size", "1", "--price", "1", "--nonce", "0", "--deadline", "1900000000", "--json")
    first, second = (op.run(*args, key="bot", rpc=False) for _ in range(2))
    assert first.exit_code == 0 and first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert data["chainId"] == 10 and data["digest"] == "0x" + order_digest(
        10, account, Order(stack.venue, 1, False, 1, 1, 0, 1_900_000_000)).hex()


def test_rotate_revoke_self_revoke_freeze_and_unfreeze(op: Operator, stack: Stack, account: str) -> None:
    bot2, bot3, guardian = op.keys["bot2"].address, op.keys["bot3"].address, op.keys["guardian"].address
    common = ("--valid-for", "1d", "--venue", stack.venue, "--market", "1")
    assert op.run("session", "grant", account, bot2, *common, key="owner").exit_code == 0
    op.json("session", "rotate", account, bot2, bot3, key="owner")
    op.json("session", "revoke", account, bot3, "--self", key="bot3")  # the key kills itself; it pays its own gas
    status = {k["key"]: k["status"] for k in op.json("session", "list", account)["keys"]}
    assert (status[bot2], status[bot3]) == ("revoked", "revoked")
    with rolled_back(op.chain):
        op.chain.send(op.chain.contract("SessionAccount", account).functions.setGuardian(guardian), op.keys["owner"])
        assert op.json("freeze", account, key="guardian")["frozen"] is True
        refused = op.run("unfreeze", account, key="guardian")  # only the owner unfreezes
        assert refused.exit_code == 1 and "Unauthorized" in refused.stderr and "Traceback" not in refused.stderr
        assert op.json("unfreeze", account, key="owner")["frozen"] is False


def test_password_prompt_when_no_password_file_is_given(op: Operator, account: str) -> None:
    keystore = op.keystores["owner"][0]
    result = CliRunner(env={"WEB3_PROVIDER_URI": op.url}).invoke(
        cli, ["--quiet", "session", "revoke", account, op.keys["bot"].address, "--keystore", str(keystore)],
        input="wrong password\n", catch_exceptions=False)
    assert result.exit_code == 1 and f"wrong password for keystore {keystore}" in result.stderr
    with rolled_back(op.chain):
        ok = CliRunner(env={"WEB3_PROVIDER_URI": op.url}).invoke(
            cli, ["session", "revoke", account, op.keys["bot"].address, "--keystore", str(keystore)],
            input=PASSWORD + "\n", catch_exceptions=False)
        assert ok.exit_code == 0, ok.stderr
        assert f"revoked {op.keys['bot'].address}" in ok.stdout


# ------------------------------------------------------------------ inspect


def test_inspect_prints_the_audit_and_fails_on_flags_when_asked(op: Operator, account: str) -> None:
    text = op.run("inspect", account, "--records-dir", str(op.records))
    assert text.exit_code == 0, text.stderr
    for heading in (f"Account {account}", "genuine clone of", f"Session key {op.keys['bot'].address}", "Flags (",
                    "History (", "SessionGranted", "OrderConsumed"):
        assert heading in text.stdout
    data = op.json("inspect", account, "--records-dir", str(op.records))
    assert data["clone"]["genuine"] is True
    assert data["fromBlock"] >= json.loads((op.records / "31337.json").read_text())["contracts"]["AccountFactory"]["blockNumber"]
    strict = op.run("inspect", account, "--fail-on", "warning", "--records-dir", str(op.records))
    assert strict.exit_code == 3  # the bot's `any` market entry is flagged


# ------------------------------------------------------------------ bad input: one line, non-zero, nothing written


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _one_line_error(result: Result, code: int = 1) -> str:
    assert result.exit_code == code, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_unreachable_node(op: Operator) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    line = _one_line_error(CliRunner().invoke(cli, ["session", "list", "0x" + "11" * 20, "--rpc-url", url]))
    assert f"cannot reach the node at {url}" in line


def test_no_node_configured_and_the_environment_variable(op: Operator, account: str) -> None:
    line = _one_line_error(op.run("session", "list", account, rpc=False))
    assert "pass --rpc-url or set WEB3_PROVIDER_URI" in line
    via_env = op.run("session", "list", account, "--json", rpc=False, env={"WEB3_PROVIDER_URI": op.url})
    assert via_env.exit_code == 0 and json.loads(via_env.stdout)["account"] == account


def test_wrong_chain(op: Operator, account: str) -> None:
    assert "wrong chain: the node is chain 31337, not 1" in _one_line_error(op.run("inspect", account, "--chain-id", "1"))


def test_wrong_password_writes_nothing(op: Operator) -> None:
    keystore, _ = op.keystores["payer"]
    bad = op.tmp / "bad-password"
    bad.write_text("not it\n")
    records = op.tmp / "never-written"
    result = op.run("deploy", "--records-dir", str(records), "--keystore", str(keystore), "--password-file", str(bad))
    assert f"wrong password for keystore {keystore}" in _one_line_error(result)
    assert not records.exists()


def test_an_address_that_is_not_an_account(op: Operator, stack: Stack) -> None:
    eoa = op.keys["bot"].address
    assert f"{eoa} has no code on chain 31337" in _one_line_error(op.run("inspect", eoa, "--records-dir", str(op.records)))
    assert "is not an aa-auth account" in _one_line_error(op.run("inspect", stack.venue, "--records-dir", str(op.records)))
    assert "has no code on chain 31337" in _one_line_error(op.run("freeze", eoa, key="owner"))


def test_a_missing_or_broken_keystore(op: Operator, account: str) -> None:
    missing = op.tmp / "nope.json"
    assert f"keystore file {missing} does not exist" in _one_line_error(
        op.run("freeze", account, "--keystore", str(missing), "--password-file", str(op.keystores["owner"][1])))
    broken = op.tmp / "broken.json"
    broken.write_text("{}")
    assert "is not an eth-account keystore" in _one_line_error(
        op.run("freeze", account, "--keystore", str(broken), "--password-file", str(op.keystores["owner"][1])))


def test_malformed_values_are_usage_errors(op: Operator, account: str) -> None:
    result = op.run("session", "grant", account, op.keys["bot2"].address, "--valid-for", "1d", "--venue",
                    "0x" + "11" * 20, "--market", "1,size=2", key="owner")
    assert result.exit_code == 2 and "use max-size=N, min-price=N or max-price=N" in result.stderr
    result = op.run("session", "grant", account, "0xNOTANADDRESS", "--valid-for", "1d", "--venue", "0x" + "11" * 20,
                    "--market", "1", key="owner")
    assert result.exit_code == 2 and "0x-prefixed 20-byte hex address" in result.stderr


# ------------------------------------------------------------------ the command surface


def _parameters(command: click.Command, path: str = "") -> Iterator[tuple[str, click.Parameter]]:
    for param in command.params:
        yield path, param
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _parameters(sub, f"{path} {name}")


def test_no_command_takes_a_key_on_the_command_line() -> None:
    names = {(path, name) for path, param in _parameters(cli) for name in (param.name or "",)}
    assert ("sign-order" in {p.strip() for p, _ in names})  # the walk reaches the commands that sign
    for path, name in names:
        assert not any(word in name for word in ("private", "secret", "mnemonic", "seed")), (path, name)
        assert name != "key" or path.strip().startswith("session"), (path, name)  # session KEY is an address


def test_the_documented_commands_exist() -> None:
    commands = {name: command for name, command in cli.commands.items()}
    assert set(commands) == {"deploy", "account", "session", "freeze", "unfreeze", "sign-order", "verify-order",
                             "inspect", "demo", "bench", "gateway", "call"}
    assert set(commands["gateway"].commands) == {"serve", "grant-request", "revocation-request", "submit", "demo",  # type: ignore[attr-defined]
                                                 "relay"}
    assert set(commands["session"].commands) == {"grant", "revoke", "rotate", "list"}  # type: ignore[attr-defined]
    assert set(commands["account"].commands) == {"create", "upgrade-eoa", "downgrade-eoa"}  # type: ignore[attr-defined]


def test_demo_runs_the_lead_demo_with_its_json_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    fake = types.ModuleType("aa_auth.ops.demo")
    def run_demo(json_output: bool = False) -> int:
        calls.append(json_output)
        return 4

    fake.run_demo = run_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "aa_auth.ops.demo", fake)
    result = CliRunner().invoke(cli, ["demo", "--json"])
    assert (result.exit_code, calls) == (4, [True])


def test_bench_says_clearly_when_it_is_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aa_auth.ops.bench", None)
    monkeypatch.delattr(aa_auth, "bench", raising=False)
    line = _one_line_error(CliRunner().invoke(cli, ["bench"]))
    assert "the benchmark is not available in this build yet" in line


def test_scripts_are_the_deploy_and_inspect_commands(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                     op: Operator) -> None:
    scripts = Path(__file__).resolve().parents[2] / "scripts"
    monkeypatch.setattr(sys, "argv", ["audit_account.py", op.keys["bot"].address, "--rpc-url", op.url])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(scripts / "audit_account.py"), run_name="__main__")
    assert exited.value.code == 1 and "has no code on chain 31337" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", ["deploy.py", "--help"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(scripts / "deploy.py"), run_name="__main__")
    assert exited.value.code == 0 and "--dry-run" in capsys.readouterr().out


def test_python_dash_m_runs_the_same_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "aa_auth", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "sign-order" in done.stdout and "inspect" in done.stdout
