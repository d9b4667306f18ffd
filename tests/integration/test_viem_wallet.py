"""A wallet written by someone else can use the account: viem's toSmartAccount implemented for it
(scripts/viem/session_op.mjs) sends a session-key operation through Alto; its events decode in Python."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from web3.logs import DISCARD

from tests.conftest import named_key
from tests.integration.alto_support import AltoNode

pytestmark = pytest.mark.anvil

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "viem" / "session_op.mjs"
RECIPIENT = named_key("viem recipient").address


def test_a_viem_session_key_operation_lands_and_its_events_decode_in_python(alto: AltoNode) -> None:
    account, bot = alto.new_account(), named_key("viem bot")
    alto.grant_transfer(account, bot.address)
    request = {"rpcUrl": alto.rpc_url, "bundlerUrl": alto.url, "chainId": alto.chain.chain_id, "account": account.address,
               "sessionKey": "0x" + bot.key.hex(), "to": alto.token.address, "value": 0,
               "data": "0x" + alto.transfer(RECIPIENT, 11).data.hex()}
    node = shutil.which("node")
    assert node is not None, "node is needed for the viem script"
    done = subprocess.run([node, str(SCRIPT)], input=json.dumps(request), capture_output=True, text=True, timeout=120,
                          cwd=SCRIPT.parents[2])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["success"] is True and int(result["nonce"]) >> 64 == int(bot.address, 16)

    receipt = alto.chain.w3.eth.get_transaction_receipt(result["transactionHash"])
    [event] = alto.entry_point.contract.events.UserOperationEvent().process_receipt(receipt, errors=DISCARD)
    assert "0x" + bytes(event["args"]["userOpHash"]).hex() == result["userOpHash"]
    assert event["args"]["sender"] == account.address and event["args"]["success"] is True
    assert event["args"]["actualGasCost"] == int(result["actualGasCost"])
    [transfer] = alto.token.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert (transfer["args"]["from"], transfer["args"]["to"], transfer["args"]["value"]) == (account.address, RECIPIENT, 11)
    assert account.session(bot.address).gas_fee_spent > 0  # charged against the key's budget
