"""Deploy aa-auth deterministically to a node: the same as `aa-auth deploy` (see docs/operations.md).

    python scripts/deploy.py --rpc-url URL --keystore deployer.json [--dry-run] [--confirmations N]
"""

import sys

from aa_auth.ops.cli import cli

if __name__ == "__main__":
    cli.main(args=["deploy", *sys.argv[1:]], prog_name="scripts/deploy.py")
