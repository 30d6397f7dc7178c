"""Benchmark the default Sobol' study of the shipped model through the batch engine.

Samples the default study (``sensitivity/studies/default.toml``: about 25
parameters, N=4096, second order — N(2D+2) ≈ 213,000 runs), evaluates every
run through :class:`gvc_upgrading.engine.BatchModel` and estimates the indices
with SALib, timing each stage. Prints the wall time and runs per second. Not a
test: nothing here asserts a speed.

Usage::

    python benchmarks/bench_sensitivity.py [--n 4096] [--scheduler threads]
                                           [--chunk-size 16384] [--skip-analysis]
"""

from __future__ import annotations

import argparse
import os
import time

from gvc_upgrading import load_model
from gvc_upgrading.resources import shipped_path
from gvc_upgrading.sensitivity import load_study
from gvc_upgrading.sensitivity.sobol import analyse_sobol, prepare_sobol


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="base sample size (study's: 4096)")
    parser.add_argument(
        "--scheduler", default=None, help="BatchModel scheduler (default: its own)"
    )
    parser.add_argument("--chunk-size", type=int, default=None, help="runs per evaluation chunk")
    parser.add_argument("--skip-analysis", action="store_true", help="time sampling and runs only")
    args = parser.parse_args()

    study = load_study(shipped_path("sensitivity", "studies", "default.toml"))
    if args.chunk_size:
        study = study.with_options(chunk_size=args.chunk_size)
    started = time.perf_counter()
    model = load_model()
    design = prepare_sobol(study, model, n=args.n, scheduler=args.scheduler)
    prepared = time.perf_counter()
    samples = design.sample(design.study.n)
    sampled = time.perf_counter()
    values = design.evaluate(samples, progress=True)
    evaluated = time.perf_counter()
    runs = samples.shape[0]
    print(f"study {design.study.name!r}: D={len(design.study.parameters)}, N={design.study.n},")
    print(f"  second order={design.study.second_order}, runs={runs:,}, cores={os.cpu_count()}")
    print(f"load + compile          {prepared - started:8.2f} s")
    print(f"sampling (SALib)        {sampled - prepared:8.2f} s")
    print(
        f"model runs (BatchModel) {evaluated - sampled:8.2f} s  ->"
        f" {runs / (evaluated - sampled):,.0f} runs/s"
    )
    print(
        f"sample + runs           {evaluated - prepared:8.2f} s  ->"
        f" {runs / (evaluated - prepared):,.0f} runs/s"
    )
    if not args.skip_analysis:
        result = analyse_sobol(design, values)
        analysed = time.perf_counter()
        print(
            f"estimation (SALib)      {analysed - evaluated:8.2f} s"
            f"  ({len(result['output']) if 'output' in result.dims else 0} scalar outputs with S2,"
            f" {len(result['trajectory']) if 'trajectory' in result.dims else 0} trajectories"
            f" x {len(result['time']) if 'time' in result.dims else 0} years)"
        )
        print(f"total                   {analysed - started:8.2f} s")


if __name__ == "__main__":
    main()
