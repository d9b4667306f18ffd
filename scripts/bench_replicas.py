"""The gateway's replica rows of `aa-auth bench` alone (aa_auth/ops/bench_replicas.py): 1, 2 and 3 replicas on
PostgreSQL beside one SQLite process. Needs Debian's `postgresql` (initdb, pg_ctl) and anvil from node_modules."""

import sys

from aa_auth.ops.bench import print_rows, replica_rows
from aa_auth.ops.bench_replicas import measure_replicas

if __name__ == "__main__":
    print_rows(replica_rows(measure_replicas()), sys.stdout)
