"""Keystores from Python: str or Path for files, and never a blocking read when no password is given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from aa_auth.errors import AAAuthError
from aa_auth.ops.keys import KeystoreError, load_keystore

KEY = Account.from_key(b"\x11" * 32)
PASSWORD = "correct horse"


@pytest.fixture
def keystore(tmp_path: Path) -> tuple[Path, Path]:
    path, password = tmp_path / "bot.json", tmp_path / "bot.password"
    path.write_text(json.dumps(Account.encrypt(KEY.key, PASSWORD, kdf="pbkdf2", iterations=1_000)))
    password.write_text(PASSWORD + "\n")
    return path, password


def test_paths_may_be_str_or_path(keystore: tuple[Path, Path]) -> None:
    path, password = keystore
    assert load_keystore(str(path), str(password)).address == KEY.address
    assert load_keystore(path, password).address == KEY.address
    assert load_keystore(str(path), prompt=lambda _: PASSWORD).address == KEY.address


def test_no_password_file_and_no_prompt_says_to_pass_a_password_file(keystore: tuple[Path, Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def no_input(*_: object) -> str:
        raise AssertionError("load_keystore read from stdin")

    monkeypatch.setattr("builtins.input", no_input)
    with pytest.raises(KeystoreError, match=f"no password for keystore {keystore[0]}: pass password_file") as raised:
        load_keystore(str(keystore[0]))
    assert isinstance(raised.value, AAAuthError) and "--password-file" in str(raised.value)


def test_a_missing_keystore_named_by_str_is_a_keystore_error(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="does not exist"):
        load_keystore(str(tmp_path / "missing.json"), str(tmp_path / "pw"))
