"""Benchmark the batch engine against pysd on a model whose control variables change.

``tests/engine/models/changing_time_step.mdl`` has a TIME STEP that depends
on Time and then on a stock, so each run follows its own clock (the engine's
:mod:`gvc_upgrading.engine.dynamic` path, not the fixed-grid fused step).
Runs ``--runs`` parameter sets (uniform within the bounds, seeded) through
:class:`gvc_upgrading.engine.BatchModel` and the first ``--pysd-runs`` of
them through one loaded pysd model, interleaved over ``--repeat`` rounds so
that a load that comes and goes weighs on both alike. Prints runs per second
for both and their ratio, and checks the engine equals pysd on every variable
at every time each pysd run saves. Not a test: nothing here asserts a speed.

Usage::

    python benchmarks/bench_changing_controls.py [--runs 2000] [--pysd-runs 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pysd

from gvc_upgrading.engine import compile_model
from gvc_upgrading.translation import translate

MODEL = Path(__file__).resolve().parents[1] / "tests/engine/models/changing_time_step.mdl"


def main(argv: list[str] | None = None) -> int:
    """Run the side-by-side comparison and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--pysd-runs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best engine time")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    batch = compile_model(MODEL)
    table = batch.parameters.dropna(subset=["lower", "upper"])
    rng = np.random.default_rng(args.seed)
    samples = {name: rng.uniform(r.lower, r.upper, args.runs) for name, r in table.iterrows()}
    batch.run(n=1)  # compile outside the timing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.load(str(translate(MODEL).python_file))
    timings, frames, pysd_seconds = [], {}, 0.0
    rounds = max(args.repeat, 1)
    for round_ in range(rounds):
        start = time.perf_counter()
        result = batch.run(samples, return_columns="all", progress=False)
        timings.append(time.perf_counter() - start)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            for run in range(round_, args.pysd_runs, rounds):
                params = {name: float(values[run]) for name, values in samples.items()}
                frames[run] = model.run(params=params)
            pysd_seconds += time.perf_counter() - start
    worst = 0.0
    for run, frame in frames.items():
        own = result.isel(run=run).sel(time=frame.index.to_numpy(float))
        for name in own.data_vars:
            values = own[name]
            labels = (
                {name: values.values}
                if values.ndim == 1
                else {
                    f"{name}[{e}]": values.values[:, i]
                    for i, e in enumerate(values[values.dims[1]].values)
                }
            )
            for label, column in labels.items():
                if label in frame.columns:
                    expected = frame[label].to_numpy(float)
                    scale = np.maximum(np.abs(expected), 1e-3)
                    worst = max(worst, float(np.max(np.abs(column - expected) / scale)))
    engine_rate = args.runs / min(timings)
    pysd_rate = len(frames) / pysd_seconds
    print(f"model: {MODEL.name} (saved times in the union: {result.sizes['time']})")
    print(
        f"BatchModel: {args.runs} runs in {min(timings):.3f} s = {engine_rate:,.0f} runs/s "
        "(best of " + ", ".join(f"{t:.3f}" for t in timings) + " s)"
    )
    print(f"pysd:       {len(frames)} runs in {pysd_seconds:.2f} s = {pysd_rate:,.2f} runs/s")
    print(f"ratio:      {engine_rate / pysd_rate:,.0f}x pysd per run")
    print(f"agreement with pysd on the sample: worst relative difference {worst:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
