"""The package's public surface stays small, sorted and importable."""

from __future__ import annotations

import pkgutil
import pydoc

import aa_auth


def test_public_names_are_sorted_and_unique() -> None:
    assert aa_auth.__all__ == sorted(set(aa_auth.__all__))


def test_every_public_name_exists() -> None:
    missing = [name for name in aa_auth.__all__ if not hasattr(aa_auth, name)]
    assert not missing


def test_no_public_name_shadows_a_submodule() -> None:
    # `aa_auth.scope` was once both a module and the builder function, and pydoc showed the wrong one.
    submodules = {m.name for m in pkgutil.iter_modules(aa_auth.__path__)}
    assert not submodules & set(aa_auth.__all__)
    assert pydoc.locate("aa_auth.scope") is aa_auth.scope


def test_each_user_finds_their_entry_points_at_the_top() -> None:
    for name in ("Venue", "OrderSigner", "Verifier", "deploy_stack", "create_account", "inspect_account",
                 "load_keystore", "KeyStatus", "key_status", "SessionStatus"):
        assert name in aa_auth.__all__, name
