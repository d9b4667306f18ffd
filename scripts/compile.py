"""Regenerate aa_auth/artifacts/*.json from contracts/ with the pinned compiler."""

import sys

from aa_auth.chain.compiler import CompilerError, write_artifacts

if __name__ == "__main__":
    try:
        written = write_artifacts()
    except CompilerError as exc:
        sys.exit(f"compile failed:\n{exc}")
    for path in written:
        print(f"wrote {path}")
