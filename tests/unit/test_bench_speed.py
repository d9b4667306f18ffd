"""The speed rows of `aa-auth bench` at the smallest sample count its option accepts."""

from __future__ import annotations


def test_one_sample_measures_every_speed_row() -> None:
    # Imported here, as in test_gas_pins: at collection it would set aa_auth.ops.bench before test_cli
    # checks what the CLI says when the benchmark is missing.
    from aa_auth.ops.bench import speed_rows

    rows = speed_rows(1)  # --samples 1: the eth-account references once took samples // 4 == 0 and crashed
    assert len(rows) == 5
    for row in rows:
        assert row.ours > 0 and row.reference is not None and row.reference > 0, row
