"""Benchmark the default exploration study, and its runs side by side with slower ways.

Times each stage of ``sensitivity/exploration/default.toml`` (20,000 futures ×
9 policies = 180,000 runs by default): design, model runs through the batch
engine in one vectorised pass per chunk of policies × futures, PRIM, feature
scoring, findings and writing the files. Then, on the same design, compares
runs per second of

- the study's way: all policies × futures in one batch-engine pass per chunk;
- one batch-engine pass per policy (what a loop over scenarios would do);
- pysd, one run at a time (on a small slice of the design),

and prints the ratios. Not a test: nothing here asserts a speed.

Usage::

    python benchmarks/bench_exploration.py [--n 20000] [--pysd-runs 20] [--skip-study]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from gvc_upgrading import load_model
from gvc_upgrading.exploration import analyse, explore, load_spec, summarise, write_exploration
from gvc_upgrading.exploration.design import make_design
from gvc_upgrading.exploration.runs import scenario_values
from gvc_upgrading.resources import shipped_path


def _study(spec, model) -> None:
    started = time.perf_counter()
    result = explore(spec, model, progress=False)
    ran = time.perf_counter()
    analysis = analyse(result)
    analysed = time.perf_counter()
    findings = summarise(result, analysis)
    with tempfile.TemporaryDirectory() as folder:
        write_exploration(result, analysis, findings, folder)
    written = time.perf_counter()
    runs = result.sizes["run"]
    print(
        f"study {spec.name!r}: {spec.n:,} futures x {len(spec.policies)} policies = {runs:,} runs"
    )
    rate = runs / (ran - started)
    print(f"  runs (batch engine)        {ran - started:8.2f} s -> {rate:,.0f} runs/s")
    print(f"  PRIM + feature scores      {analysed - ran:8.2f} s")
    print(f"  findings + files           {written - analysed:8.2f} s")
    print(f"  total (model loaded)       {written - started:8.2f} s")
    for sentence in findings.sentences:
        print("  -", sentence)


def _side_by_side(spec, model, n: int, pysd_runs: int) -> None:
    design = make_design(spec, scenario_values(None), model.parameters["default"], n=n)
    matrix = design.matrix()
    batch = model.compile()
    variables = list(spec.variables)
    years = list(spec.years)
    columns = list(matrix.columns)

    started = time.perf_counter()
    batch.run(
        {c: matrix[c].to_numpy() for c in columns},
        return_columns=variables,
        return_timestamps=years,
        progress=False,
    )
    one_pass = time.perf_counter() - started

    started = time.perf_counter()
    for block in range(len(design.policies)):
        rows = matrix.iloc[block * design.n : (block + 1) * design.n]
        batch.run(
            {c: rows[c].to_numpy() for c in columns},
            return_columns=variables,
            return_timestamps=years,
            progress=False,
        )
    per_policy = time.perf_counter() - started

    picked = np.linspace(0, len(matrix) - 1, pysd_runs).astype(int)
    started = time.perf_counter()
    for row in picked:
        model.run({c: float(matrix.at[row, c]) for c in columns})
    pysd_each = (time.perf_counter() - started) / pysd_runs

    runs = len(matrix)
    rates = {
        "one pass (policies x futures)": runs / one_pass,
        "one pass per policy": runs / per_policy,
        "pysd, one run at a time": 1 / pysd_each,
    }
    print(
        f"side by side on {runs:,} runs ({n:,} futures x {len(design.policies)} policies),"
        f" pysd on {pysd_runs}; cores={os.cpu_count()}"
    )
    reference = rates["pysd, one run at a time"]
    for label, rate in rates.items():
        print(f"  {label:32s} {rate:12,.0f} runs/s   {rate / reference:10,.0f} x pysd")
    ratio = rates["one pass (policies x futures)"] / rates["one pass per policy"]
    print(f"  one pass / one pass per policy: {ratio:.2f}")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="futures (default: the spec's 20000)")
    parser.add_argument("--side-n", type=int, default=2000, help="futures for the side-by-side")
    parser.add_argument("--pysd-runs", type=int, default=20, help="pysd runs timed")
    parser.add_argument("--skip-study", action="store_true", help="side-by-side only")
    args = parser.parse_args()

    spec = load_spec(shipped_path("sensitivity", "exploration", "default.toml"))
    if args.n is not None:
        spec = spec.with_options(n=args.n)
    started = time.perf_counter()
    model = load_model()
    model.compile()
    print(f"load + compile model {time.perf_counter() - started:8.2f} s")
    if not args.skip_study:
        _study(spec, model)
    _side_by_side(spec, model, args.side_n, args.pysd_runs)


if __name__ == "__main__":
    main()
