"""`python -m aa_auth`: the same command line as `aa-auth`."""

from aa_auth.ops.cli import main

if __name__ == "__main__":
    main()
