"""Benchmark the batch engine against pysd on the project model.

Runs ``--runs`` random parameter sets (uniform within each parameter's
bounds, seeded) through :class:`gvc_upgrading.engine.BatchModel`, and the first
``--pysd-runs`` of the same sets through pysd's own run loop, in this one
process. Prints runs per second for both, their ratio (target ≥ 1000), and
the arithmetic bound: array operations per run step × steps × chunks ÷ the
measured NumPy throughput on chunk-sized arrays, with how close the engine
comes to it. Also checks that the engine's results for the pysd sample agree
with pysd. Then the same side-by-side comparison on a generated subscripted
model of ``--elements`` elements (default 1000: stocks, flows, a SMOOTH and
a SUM over one range), written to a temporary folder that is removed
afterwards. It has no lookup on purpose: pysd evaluates a lookup of a
subscripted argument element by element in Python (about 30 ms per element
and step here), which would make one pysd run take hours and the ratio
flatter the engine. Not a test: nothing here asserts a speed.

Usage::

    python benchmarks/bench_engine.py [--runs 10000] [--pysd-runs 20] [--chunk-size N]
                                      [--elements 1000] [--subscripted-runs 100]
"""

from __future__ import annotations

import argparse
import ast
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pysd

from gvc_upgrading.engine import compile_model
from gvc_upgrading.engine.batch import _chunk_size
from gvc_upgrading.resources import shipped_path
from gvc_upgrading.translation import translate

_ARRAY_OPERATIONS = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call)


def random_samples(batch, n: int, seed: int) -> dict[str, np.ndarray]:
    """Uniform samples of every bounded parameter."""
    table = batch.parameters.dropna(subset=["lower", "upper"])
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(row.lower, row.upper, n) for name, row in table.iterrows()}


def count_operations(batch, return_columns) -> dict[str, int]:
    """Array operations in the generated per-step functions (one per ast operation)."""
    requested = batch._requested(return_columns)
    _, program = batch._program(frozenset(), requested)
    counts = {}
    for function in program.source.body:
        counts[function.name] = sum(
            isinstance(node, _ARRAY_OPERATIONS) for node in ast.walk(function)
        )
    return counts


def numpy_seconds_per_operation(size: int, repeats: int = 2000) -> float:
    """Mean time of a representative element-wise operation on ``size``-long arrays."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.1, 1, size), rng.uniform(0.1, 1, size)
    operations = [
        lambda: a + b,
        lambda: a * b,
        lambda: a / b,
        lambda: a - b,
        lambda: np.minimum(a, 1.0),
        lambda: np.maximum(a, b),
        lambda: np.exp(a),
    ]
    times = []
    for operation in operations:
        operation()
        start = time.perf_counter()
        for _ in range(repeats):
            operation()
        times.append((time.perf_counter() - start) / repeats)
    return float(np.mean(times))


SUBSCRIPTED_MODEL = """{{UTF-8}}
Region: (r1-r{n}) ~~|
Base[Region] = {bases} ~ people ~ |
Growth rate = 0.03 ~ 1/Year [0.01, 0.05] ~ |
Crowding = 0.5 ~ dmnl [0.2, 0.8] ~ |
Adjustment time = 3 ~ Year [1, 5] ~ |
Population[Region] = INTEG(Births[Region] - Deaths[Region], Base[Region]) ~ people ~ |
Density[Region] = Population[Region] / Base[Region] * Crowding ~ dmnl ~ |
Births[Region] = Growth rate * Population[Region] / (1 + Density[Region] ^ 2) ~ people/Year ~ |
Deaths[Region] = Population[Region] / 40 ~ people/Year ~ |
Perceived[Region] = SMOOTH(Population[Region], Adjustment time) ~ people ~ |
Total = SUM(Population[Region!]) ~ people ~ |
INITIAL TIME = 0 ~ Year ~ |
FINAL TIME = 50 ~ Year ~ |
TIME STEP = 0.25 ~ Year [0,?] ~ |
SAVEPER = 1 ~ Year [0,?] ~ |
"""


def subscripted_model(folder: Path, elements: int) -> Path:
    """Write the benchmark's subscripted model with ``elements`` regions into ``folder``."""
    bases = ", ".join(f"{100 + (i * 37) % 900}" for i in range(elements))
    path = folder / f"subscripted_{elements}.mdl"
    path.write_text(SUBSCRIPTED_MODEL.format(n=elements, bases=bases), encoding="utf-8")
    return path


def side_by_side(path, runs: int, pysd_runs: int, seed: int, repeat: int, chunk_size=None):
    """Time ``runs`` engine runs and ``pysd_runs`` pysd runs of the same samples.

    Returns (engine seconds, pysd seconds, worst relative difference, batch,
    columns, timings).
    """
    batch = compile_model(path)
    samples = random_samples(batch, runs, seed)
    columns = [c for c in batch.variables if c not in samples]  # every time-varying variable
    batch.run(n=1)  # compile outside the timing
    timings = []
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        result = batch.run(samples, return_columns=columns, chunk_size=chunk_size, progress=False)
        timings.append(time.perf_counter() - start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.load(str(translate(path).python_file))
        start = time.perf_counter()
        frames = []
        for run in range(pysd_runs):
            params = {name: float(values[run]) for name, values in samples.items()}
            frames.append(model.run(params=params))
        pysd_seconds = time.perf_counter() - start
    worst = 0.0
    for run, frame in enumerate(frames):
        for name in result.data_vars:
            values = result[name].isel(run=run)
            extra = values.dims[1:]
            for label, column in _columns(name, values, extra):
                if label in frame.columns:
                    expected = frame[label].to_numpy(float)
                    scale = np.maximum(np.abs(expected), 1e-12 / 1e-9)
                    worst = max(worst, float(np.max(np.abs(column - expected) / scale)))
    return min(timings), pysd_seconds, worst, batch, columns, timings


def _columns(name, values, extra):
    if not extra:
        yield name, values.values
        return
    (dim,) = extra
    for i, element in enumerate(values[dim].values):
        yield f"{name}[{element}]", values.values[:, i]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--pysd-runs", type=int, default=20)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeat", type=int, default=3, help="engine timings; the best counts")
    parser.add_argument("--model", default=None, help="model file (default: the shipped model)")
    parser.add_argument("--elements", type=int, default=1000, help="subscripted model size")
    parser.add_argument("--subscripted-runs", type=int, default=100)
    parser.add_argument("--subscripted-pysd-runs", type=int, default=1)
    args = parser.parse_args(argv)
    shipped(args)
    if args.elements > 0:
        with tempfile.TemporaryDirectory(prefix="bench-engine-") as folder:
            path = subscripted_model(Path(folder), args.elements)
            engine_s, pysd_s, worst, _, columns, timings = side_by_side(
                path, args.subscripted_runs, args.subscripted_pysd_runs, args.seed, args.repeat
            )
        engine_rate = args.subscripted_runs / engine_s
        pysd_rate = args.subscripted_pysd_runs / pysd_s
        print()
        print(f"subscripted model: {args.elements} elements, {len(columns)} variables returned")
        print(
            f"BatchModel: {args.subscripted_runs} runs in {engine_s:.2f} s = "
            f"{engine_rate:,.1f} runs/s (best of " + ", ".join(f"{t:.2f}" for t in timings) + " s)"
        )
        print(
            f"pysd:       {args.subscripted_pysd_runs} runs in {pysd_s:.2f} s = "
            f"{pysd_rate:,.2f} runs/s"
        )
        print(f"ratio:      {engine_rate / pysd_rate:,.0f}x pysd per run")
        print(f"agreement with pysd on the sample: worst relative difference {worst:.2e}")
    return 0


def shipped(args) -> None:
    """The side-by-side comparison on the shipped model (or ``--model``)."""

    path = args.model or shipped_path("models", "gvc_upgrading.mdl")
    engine_seconds, pysd_seconds, worst, batch, columns, timings = side_by_side(
        path, args.runs, args.pysd_runs, args.seed, args.repeat, args.chunk_size
    )
    engine_rate = args.runs / engine_seconds
    pysd_rate = args.pysd_runs / pysd_seconds

    timeline = batch._timeline(None, None, None)
    steps = len(timeline.step_times)
    saves = timeline.n_saved
    counts = count_operations(batch, columns)
    slots = len(batch._graph.slots)
    per_run_ops = (
        counts["rates"] * (steps - int(timeline.save_at_step.sum()))
        + counts["save"] * saves
        + 2 * slots * steps
    )
    chunk = _chunk_size(args.chunk_size, args.runs)
    chunks = -(-args.runs // chunk)
    seconds_per_op = numpy_seconds_per_operation(chunk)
    bound_seconds = per_run_ops * chunks * seconds_per_op

    print(f"model: {path}")
    print(
        f"variables returned: {len(columns)}, stocks: {len(batch.stocks)}, "
        f"state slots: {slots}, steps: {steps}, saved times: {saves}"
    )
    print(
        f"BatchModel: {args.runs} runs in {engine_seconds:.2f} s = {engine_rate:,.0f} runs/s "
        f"(chunk {chunk}; best of " + ", ".join(f"{t:.2f}" for t in timings) + " s)"
    )
    print(f"pysd:       {args.pysd_runs} runs in {pysd_seconds:.2f} s = {pysd_rate:,.2f} runs/s")
    print(f"ratio:      {engine_rate / pysd_rate:,.0f}x pysd per run (target >= 1000x)")
    print(f"agreement with pysd on the sample: worst relative difference {worst:.2e}")
    print(
        f"array operations: {counts['rates']} per step, {counts['save']} per saved step, "
        f"{per_run_ops:,} per chunk pass"
    )
    print(
        f"NumPy: {seconds_per_op * 1e6:.2f} us per operation on {chunk}-element arrays "
        f"({chunk / seconds_per_op / 1e6:,.0f} M element-operations/s)"
    )
    print(
        f"arithmetic bound: {bound_seconds:.2f} s for {args.runs} runs; the engine takes "
        f"{engine_seconds / bound_seconds:.2f}x the bound "
        f"({100 * bound_seconds / engine_seconds:.0f}% of it)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
