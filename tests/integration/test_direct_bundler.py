"""The `Bundler` protocol's direct implementation on the embedded chain: the same calls and the same
named refusals as through Alto, with `handleOps` sent from a key of our own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aa_auth.contracts.account import SmartAccount
from aa_auth.erc4337.bundler import EntryPoint, FailedOpError
from aa_auth.erc4337.direct import DirectBundler
from aa_auth.erc4337.operations import calls_data, prepare_operation, send_operation
from aa_auth.erc4337.userops import Call
from aa_auth.errors import UserOpSignatureRefused
from aa_auth.protocol.scope import CallPermission
from tests.conftest import named_key
from tests.integration.userop_support import TRANSFER, grant_calls

RECIPIENT = named_key("direct recipient").address


@pytest.fixture
def direct(entry_point: EntryPoint, bundler: LocalAccount) -> DirectBundler:
    return DirectBundler(entry_point, bundler)


def _transfer(token: Contract, amount: int) -> bytes:
    return calls_data(Call(token.address, 0, bytes.fromhex(token.encode_abi("transfer", args=[RECIPIENT, amount])[2:])))


def test_owner_and_session_key_operations_land_with_the_stub_signature_estimate(
    direct: DirectBundler, funded: SmartAccount, owner: LocalAccount, token: Contract, entry_point: EntryPoint
) -> None:
    bot = named_key("direct bot")
    grant_calls(funded, owner, bot.address, entry_point.address, [CallPermission(token.address, TRANSFER, 0)])
    for signer in (owner, bot, bot):
        receipt = send_operation(direct, funded.chain, funded.address, _transfer(token, 1), signer.key)
        assert receipt.success and receipt.actual_gas_cost > 0
        assert direct.receipt(receipt.user_op_hash) == receipt
    assert token.functions.balanceOf(RECIPIENT).call() == 3
    assert funded.session(bot.address).gas_fee_spent > 0


def test_a_refusal_is_named_as_a_bundler_names_it(
    direct: DirectBundler, funded: SmartAccount, owner: LocalAccount, token: Contract, entry_point: EntryPoint
) -> None:
    bot = named_key("direct refused bot")
    grant_calls(funded, owner, bot.address, entry_point.address, [CallPermission(token.address, TRANSFER, 0)])
    approve = calls_data(Call(token.address, 0, bytes.fromhex(token.encode_abi("approve", args=[RECIPIENT, 1])[2:])))
    op = prepare_operation(direct, funded.chain, funded.address, approve, bot.key)
    with pytest.raises(UserOpSignatureRefused) as caught:
        direct.send(op)
    assert caught.value.aa_code == "AA24" and isinstance(caught.value.__cause__, FailedOpError)
    assert direct.receipt(entry_point.user_op_hash(op)) is None


def test_the_docs_example_of_both_paths_runs_and_prints_what_the_page_shows(capsys: pytest.CaptureFixture[str]) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "erc4337.md").read_text()
    section = page[page.index("## Through a bundler"):]
    found = re.search(r"```python\n(.*?)```\n\n```text\n(.*?)```", section, re.S)
    assert found is not None, "the section has a Python example and its output"
    exec(found.group(1), {"__name__": "docs:erc4337"})
    assert capsys.readouterr().out == found.group(2)
