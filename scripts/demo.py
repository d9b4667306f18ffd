"""Run the aa-auth demo on the embedded chain (see aa_auth/ops/demo.py)."""

import sys

from aa_auth.ops.demo import run_demo

if __name__ == "__main__":
    sys.exit(run_demo(json_output="--json" in sys.argv[1:]))
