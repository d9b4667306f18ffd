"""`aa-auth gateway serve`: SPEC 14's flags, refused cleanly when wrong, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from aa_auth.gateway.settings import Settings
from aa_auth.ops.cli import cli
from tests.conftest import named_key
from tests.integration._operator import write_keystore

VENUE, FACTORY = "0x" + "11" * 20, "0x" + "22" * 20
# A node nobody listens on: a run that got as far as connecting would fail with a ChainError instead.
NOWHERE = "http://127.0.0.1:9"


def _serve(tmp_path: Path, *flags: str) -> tuple[int, str]:
    keystore, password = write_keystore(tmp_path, named_key("gateway cli operator"))
    result = CliRunner().invoke(cli, ["gateway", "serve", "--rpc-url", NOWHERE, "--venue", VENUE, "--factory", FACTORY,
                                      "--keystore", str(keystore), "--password-file", str(password), *flags])
    return result.exit_code, result.output


@pytest.mark.parametrize(("flags", "message"), [
    (("--batch-max", "0"), "--batch-max must be at least 1"),
    (("--batch-wait", "0"), "--batch-wait must be positive"),
    (("--confirmations", "0"), "--confirmations must be at least 1"),
    (("--max-body", "10"), "--max-body must be at least 1024"),
    (("--port", "70000"), "--port must be 0-65535"),
    (("--db", "mysql://x"), "--db must be sqlite:///PATH"),
    (("--client-rate", "-1"), "--client-rate must be positive"),
])
def test_a_bad_flag_is_one_line_and_nothing_starts(tmp_path: Path, flags: tuple[str, ...], message: str) -> None:
    code, output = _serve(tmp_path, *flags)
    assert code == 1 and message in output and "Traceback" not in output
    assert not (tmp_path / "gateway.db").exists()


def test_no_key_on_the_command_line_and_a_wrong_password_is_refused(tmp_path: Path) -> None:
    code, output = _serve(tmp_path, "--private-key", "0x" + "11" * 32)
    assert code == 2 and "No such option" in output
    (tmp_path / "wrong").write_text("not the password\n")
    keystore, _ = write_keystore(tmp_path, named_key("gateway cli operator 2"))
    result = CliRunner().invoke(cli, ["gateway", "serve", "--rpc-url", NOWHERE, "--venue", VENUE, "--factory", FACTORY,
                                      "--keystore", str(keystore), "--password-file", str(tmp_path / "wrong")])
    assert result.exit_code == 1 and "wrong password" in result.output


def test_the_gateway_binds_to_loopback_unless_told_otherwise() -> None:
    assert Settings(rpc_url=NOWHERE, venue=VENUE, factory=FACTORY).host == "127.0.0.1"
    result = CliRunner().invoke(cli, ["gateway", "serve", "--help"])
    assert result.exit_code == 0 and "[default: 127.0.0.1]" in result.output


def test_a_postgresql_url_is_taken_for_replicas() -> None:
    for url in ("postgresql://gateway@127.0.0.1:5432/gateway", "postgres://gateway@db.internal/gateway"):
        assert Settings(rpc_url=NOWHERE, venue=VENUE, factory=FACTORY, db=url).db == url
