"""Every Python block of README.md, docs/python.md and docs/eip7702.md runs as written, and prints what the page shows.

The blocks of one page run in order in one namespace, as a reader would paste them. A ```text block
right after a Python block is that block's expected output, compared line by line.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```python\n(.*?)```(?:\n\n```text\n(.*?)```)?", re.S)


def examples(page: str) -> list[tuple[str, str | None]]:
    return [(code, expected) for code, expected in BLOCK.findall((ROOT / page).read_text())]


@pytest.mark.parametrize("page", ["README.md", "docs/python.md", "docs/eip7702.md"])
def test_every_python_block_runs_and_prints_what_the_page_shows(page: str) -> None:
    blocks = examples(page)
    assert blocks, f"{page} has no Python example"
    namespace: dict[str, object] = {"__name__": f"docs:{page}"}
    for number, (code, expected) in enumerate(blocks, 1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{page}, Python block {number}", "exec"), namespace)
        if expected:
            assert out.getvalue().rstrip("\n") == expected.rstrip("\n"), f"{page}, block {number} printed otherwise"


def test_the_output_blocks_are_read() -> None:
    code, expected = examples("docs/python.md")[0]
    assert "print(chain.chain_id)" in code and expected is not None and expected.strip().isdigit()
