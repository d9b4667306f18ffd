"""Private keys for real networks: eth-account (Web3 Secret Storage) keystore files, never raw keys.

A key reaches aa-auth only as a keystore file plus its password, read from a file or typed at a
prompt. A raw key on a command line leaks through shell history and the process list, and a raw key
in an environment variable through /proc/<pid>/environ and every child process, so neither is
accepted; the environment may name the keystore and password *files* (see docs/operations.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from aa_auth.errors import AAAuthError
from aa_auth.protocol.values import check_address

__all__ = ["KeystoreError", "keystore_address", "load_keystore", "read_password_file"]

PasswordPrompt = Callable[[str], str]
FilePath = str | os.PathLike[str]


class KeystoreError(AAAuthError, ValueError):
    """A keystore file is missing, malformed or the password does not open it."""


def _read_keystore(path: Path) -> dict[str, object]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise KeystoreError(f"keystore file {path} does not exist") from None
    except OSError as exc:
        raise KeystoreError(f"cannot read keystore file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise KeystoreError(f"{path} is not a keystore: it is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("crypto", data.get("Crypto")), dict):
        raise KeystoreError(f"{path} is not an eth-account keystore (no 'crypto' section)")
    return data


def keystore_address(path: FilePath) -> str | None:
    """The address a keystore declares in clear (most do), without decrypting it; None if absent."""
    address = _read_keystore(Path(path)).get("address")
    if not isinstance(address, str):
        return None
    try:
        return check_address(f"address in {path}", address if address.startswith("0x") else "0x" + address)
    except AAAuthError:
        return None


def read_password_file(path: FilePath) -> str:
    """The password in `path`: its first line, without the line ending (as geth and clef read it)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise KeystoreError(f"cannot read password file {path}: {exc.strerror}") from None
    lines = text.splitlines()
    return lines[0] if lines else ""


def load_keystore(path: FilePath, password_file: FilePath | None = None, prompt: PasswordPrompt | None = None) -> LocalAccount:
    """Decrypt the keystore at `path` with the password from `password_file`, else from `prompt`.

    With neither it raises KeystoreError rather than wait for input. A wrong password raises
    KeystoreError with one line naming the file; no error carries the password or key material.
    """
    path = Path(path)
    data = _read_keystore(path)
    if password_file is not None:
        password = read_password_file(password_file)
    elif prompt is not None:
        password = prompt(f"Password for {path.name}")
    else:
        raise KeystoreError(f"no password for keystore {path}: pass password_file, a file whose first line is the "
                            "password (on the command line: --password-file FILE or $AA_AUTH_PASSWORD_FILE)")
    try:
        secret = Account.decrypt(data, password)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise KeystoreError(f"wrong password for keystore {path}") from None
        raise KeystoreError(f"cannot decrypt keystore {path}: {exc}") from None
    except (KeyError, TypeError):
        raise KeystoreError(f"{path} is not a valid eth-account keystore (missing or malformed fields)") from None
    account: LocalAccount = Account.from_key(secret)
    declared = data.get("address")
    if isinstance(declared, str) and declared.lower().removeprefix("0x") != account.address.lower()[2:]:
        raise KeystoreError(f"keystore {path} declares address 0x{declared.removeprefix('0x')} but holds the key of {account.address}")
    return account
