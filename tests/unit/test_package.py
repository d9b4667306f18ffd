"""The package's public surface stays small, sorted and importable."""

from __future__ import annotations

import aa_auth


def test_public_names_are_sorted_and_unique() -> None:
    assert aa_auth.__all__ == sorted(set(aa_auth.__all__))


def test_every_public_name_exists() -> None:
    missing = [name for name in aa_auth.__all__ if not hasattr(aa_auth, name)]
    assert not missing
