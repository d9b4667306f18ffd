"""Run the aa-auth benchmarks (see aa_auth/bench.py and BENCHMARKS.md); writes bench-results.json."""

from aa_auth.bench import run_bench

if __name__ == "__main__":
    run_bench()
