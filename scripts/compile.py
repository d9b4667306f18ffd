"""Regenerate aa_auth/artifacts/*.json from contracts/ with the pinned compiler."""

from aa_auth.compiler import write_artifacts

if __name__ == "__main__":
    for path in write_artifacts():
        print(f"wrote {path}")
