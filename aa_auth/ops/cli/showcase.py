"""`aa-auth demo` and `bench`: the embedded chain's story and measurements."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from aa_auth.ops.cli.common import json_option


@click.command()
@json_option
def demo(as_json: bool) -> None:
    """The whole story on the embedded chain: deploy, grant, sign, settle, and every rejection."""
    from aa_auth.ops.demo import run_demo

    click.get_current_context().exit(run_demo(json_output=as_json))


@click.command()
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Where to write the results as JSON.")
@click.option("--samples", type=click.IntRange(min=1), help="Timed repetitions per speed measurement.")
@click.option("--batch", type=click.IntRange(min=1), help="Orders per settled batch in the gas measurement.")
def bench(output: Path | None, samples: int | None, batch: int | None) -> None:
    """Benchmark signing, verification and settlement gas on the embedded chain."""
    try:
        from aa_auth.ops import bench as benchmarks
    except ModuleNotFoundError as exc:
        if exc.name != "aa_auth.ops.bench":
            raise
        raise click.ClickException("the benchmark is not available in this build yet (aa_auth.ops.bench is missing)") from None
    run_bench: Callable[..., object] = benchmarks.run_bench
    given = {"json_path": output, "samples": samples, "batch": batch}
    run_bench(**{name: value for name, value in given.items() if value is not None})
