"""Run the aa-auth benchmarks (see aa_auth/ops/bench.py and BENCHMARKS.md); writes bench-results.json."""

from aa_auth.ops.bench import run_bench

if __name__ == "__main__":
    run_bench()
