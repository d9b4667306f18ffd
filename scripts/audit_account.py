"""Audit one account: the same as `aa-auth inspect` (see docs/operations.md).

    python scripts/audit_account.py ACCOUNT --rpc-url URL [--records-dir DIR] [--json] [--from-block N] [--fail-on warning]

The records (deployments/<chainId>.json) name the factory and the ReferenceVenue the audit checks against.
"""

import sys

from aa_auth.ops.cli import cli

if __name__ == "__main__":
    cli.main(args=["inspect", *sys.argv[1:]], prog_name="scripts/audit_account.py")
