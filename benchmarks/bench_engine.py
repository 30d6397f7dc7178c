"""Benchmark the batch engine against pysd on the project model.

Runs ``--runs`` random parameter sets (uniform within each parameter's bounds,
seeded) through :class:`gvc_upgrading.engine.BatchModel`, and the first
``--pysd-runs`` of the same sets through pysd's own run loop, in this one
process. Prints runs per second for both, their ratio (target ≥ 3000), and how
close the engine comes to its arithmetic bound. Also checks that the engine's
results for the pysd sample agree with pysd. Then the same side-by-side
comparison on a generated subscripted model of ``--elements`` elements
(default 1000: stocks, flows, a SMOOTH and a SUM over one range), written to a
temporary folder that is removed afterwards. It has no lookup on purpose: pysd
evaluates a lookup of a subscripted argument element by element in Python
(about 30 ms per element and step here), which would make one pysd run take
hours and the ratio flatter the engine. Not a test: nothing here asserts a
speed.

The arithmetic bound is the time NumPy needs for the element-wise operations
alone: every array operation of the engine's (fused) step, timed by itself in
a tight loop on in-cache operands of the chunk's length with a preallocated
output, summed over one step and one saving step, times the steps and chunks.
It leaves out what the engine must do besides (Python between operations,
operands that are not in cache, initialisation, storing the saved values, the
result Dataset) and the few time-only numbers (printed). A second figure adds
the least time to map and fill the result array once, which any engine
returning these values pays. The previous definition is printed too, for
comparison; it counted the ast operations of the plain generated functions (a
number computed once per step, such as ``t - INITIAL TIME``, counted as an
array operation; XIDZ, four NumPy operations, as one) and priced every
operation at the equally weighted mean of seven allocating operations, exp
among them, which is not the model's mix: it was not a bound of any particular
code, and it moved with the op-count quirks rather than with the work.

With ``--backend numba`` (numba installed: ``pip install 'numba>=0.59'``) the
experimental numba kernels of ``benchmarks/compiled_kernel.py`` integrate the
same chunks as the NumPy engine, timed side by side (one thread, and two for
the ``prange`` kernels; ``blocks+vector`` is the ``blocks`` kernel with the
vectorizable exp/log/pow of ``benchmarks/vector_math.py``; ``--designs``
picks some), with their cold compile time and their worst
relative difference from the engine and from pysd. The measurements and what
they mean are in ``benchmarks/README.md``.

Usage::

    python benchmarks/bench_engine.py [--runs 10000] [--pysd-runs 20] [--chunk-size N]
                                      [--elements 1000] [--subscripted-runs 100] [--previous]
                                      [--backend numba] [--designs "blocks;blocks+vector"]
"""

from __future__ import annotations

import argparse
import ast
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pysd

from gvc_upgrading.engine import compile_model
from gvc_upgrading.engine.batch import _chunk_size
from gvc_upgrading.engine.integrate import row_sizes
from gvc_upgrading.engine.output import allocate
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
    """Mean time of a representative element-wise operation on ``size``-long arrays.

    The previous bound's measure (kept for comparison): seven operations
    weighted equally, each allocating its result.
    """
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


def fused_step(batch, samples, columns, chunk: int):
    """The engine's fused step for one chunk of ``chunk`` runs, with its inputs.

    Returns (FusedStep, state, K, C): what the engine runs at every step.
    """
    with np.errstate(all="ignore"):
        program, _, inputs, timeline, state, constants = batch._chunk_start(
            {name: values[:chunk] for name, values in samples.items()}, chunk, columns
        )
        fuser = program.fuser()
        if fuser is None:
            return None, state, inputs.values, constants
        t0 = np.float64(timeline.initial_time)
        fused = fuser.fused(t0, state, inputs.values, constants, timeline.time_step)
    return fused, state, inputs.values, constants


def _operand_is_array(node, state, K, C) -> bool:
    if isinstance(node, ast.Name):
        return node.id.startswith("b")  # a buffer; t and dt are numbers
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        container = {"S": state, "N": state, "K": K, "C": C}.get(node.value.id)
        if container is not None:
            value = container[node.slice.value]
            return isinstance(value, np.ndarray) and value.ndim >= 1
    return False


def step_operations(function: ast.FunctionDef, state, K, C) -> tuple[Counter, int]:
    """Array operations of a fused step function: (helper, which operands are arrays) -> count.

    Also returns the number of other statements (time-only numbers and the
    few operations the fusion leaves as they were).
    """
    operations: Counter = Counter()
    other = 0
    for statement in function.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            name = call.func.id
            if name == "_u_copyto":  # copyto(destination, value[, where=mask])
                inputs = call.args[1:]
                name += "_where" if call.keywords else ""
            elif call.keywords:  # np.minimum/np.maximum take out= by keyword
                inputs = call.args
            else:
                inputs = call.args[:-1]
            kinds = tuple(_operand_is_array(a, state, K, C) for a in inputs)
            operations[(name, kinds)] += 1
        elif isinstance(statement, ast.Assign) and not isinstance(statement.targets[0], ast.Tuple):
            other += 1
    return operations, other


def operation_seconds(namespace: dict, name: str, kinds: tuple, size: int, repeats: int) -> float:
    """Time of one fused operation alone on in-cache ``size``-long operands.

    The output is preallocated, as in the engine.
    """
    rng = np.random.default_rng(0)
    args = [rng.uniform(0.1, 1, size) if is_array else 0.5 for is_array in kinds]
    out = np.empty(size)
    function = namespace.get(name)
    if name.startswith("_u_copyto"):
        # the ``where=`` form is XIDZ's fallback: a few small denominators
        where = rng.uniform(0, 1, size) < 1e-3 if name.endswith("_where") else True

        def call():
            np.copyto(out, *args, where=where)

    elif name in ("_min", "_max"):

        def call():
            function(*args, out=out)

    else:

        def call():
            function(*args, out)

    call()
    start = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - start) / repeats


def output_seconds(shape: tuple[int, ...], repeats: int = 3) -> float:
    """Least time to allocate the result array as the engine does and write every value once."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        values = allocate(shape)
        values.fill(1.0)
        times.append(time.perf_counter() - start)
        del values
    return min(times)


def fused_bound(fused, state, K, C, size: int, repeats: int = 400):
    """Seconds of one step and one saving step if each array operation ran alone.

    Every element-wise operation the engine performs in a step, timed alone
    in a tight loop on in-cache operands of the chunk's length with a
    preallocated output (the cheapest NumPy can do it), summed. Returns
    (step seconds, saving step seconds, operations per step, per saving
    step, other statements per step).
    """
    from gvc_upgrading.engine.fusion import _NAMESPACE

    step, step_save = fused.source.body
    ops, other = step_operations(step, state, K, C)
    save_ops, _ = step_operations(step_save, state, K, C)
    cost = {
        key: operation_seconds(_NAMESPACE, key[0], key[1], size, repeats)
        for key in set(ops) | set(save_ops)
    }
    step_seconds = sum(cost[key] * count for key, count in ops.items())
    save_seconds = sum(cost[key] * count for key, count in save_ops.items())
    return step_seconds, save_seconds, sum(ops.values()), sum(save_ops.values()), other


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


#: The engine's chunk size before the fused step (equal chunks of at most this).
PREVIOUS_CHUNK_SIZE = 16384


def side_by_side(
    path, runs: int, pysd_runs: int, seed: int, repeat: int, chunk_size=None, previous=False
):
    """Time ``runs`` engine runs and ``pysd_runs`` pysd runs of the same samples.

    The rounds interleave: each times the engine once (and, with
    ``previous``, the engine as it was before the fused step: the plain
    generated step in chunks of at most 16384 runs), then a share of the
    pysd runs, so that a load that comes and goes weighs on both alike.

    Returns (engine seconds, pysd seconds, worst relative difference, batch,
    columns, timings, previous engine timings, pysd frames).
    """
    batch = compile_model(path)
    samples = random_samples(batch, runs, seed)
    columns = [c for c in batch.variables if c not in samples]  # every time-varying variable
    batch.run(n=1)  # compile outside the timing
    _, program = batch._program(frozenset(), batch._requested(columns))
    fuser = program.fuser()
    previous_size = -(-runs // -(-runs // PREVIOUS_CHUNK_SIZE))
    rounds = max(repeat, 1)
    timings, previous_timings, frames = [], [], []
    pysd_seconds = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.load(str(translate(path).python_file))
    for round_ in range(rounds):
        start = time.perf_counter()
        result = batch.run(samples, return_columns=columns, chunk_size=chunk_size, progress=False)
        timings.append(time.perf_counter() - start)
        if previous:
            program._fuser = False  # the plain step, as before the fusion
            start = time.perf_counter()
            batch.run(samples, return_columns=columns, chunk_size=previous_size, progress=False)
            previous_timings.append(time.perf_counter() - start)
            program._fuser = fuser
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            for run in range(round_, pysd_runs, rounds):
                params = {name: float(values[run]) for name, values in samples.items()}
                frames.append((run, model.run(params=params)))
            pysd_seconds += time.perf_counter() - start
    frames = [frame for _, frame in sorted(frames, key=lambda item: item[0])]
    worst = worst_difference(result, frames)
    return min(timings), pysd_seconds, worst, batch, columns, timings, previous_timings, frames


def worst_difference(result, frames) -> float:
    """Worst relative difference (scale at least 1e-3) of ``result`` from pysd's ``frames``."""
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
    return worst


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
    parser.add_argument(
        "--backend",
        choices=("numpy", "numba"),
        default="numpy",
        help="numba: also time the experimental numba kernels (benchmarks/compiled_kernel.py)",
    )
    parser.add_argument(
        "--designs",
        default="",
        help="with --backend numba: only these kernels, ';'-separated "
        "(runs; blocks; blocks+vector), default all",
    )
    parser.add_argument(
        "--previous",
        action="store_true",
        help="also time the engine as before the fused step, interleaved (shipped model)",
    )
    args = parser.parse_args(argv)
    shipped(args)
    if args.elements > 0:
        with tempfile.TemporaryDirectory(prefix="bench-engine-") as folder:
            path = subscripted_model(Path(folder), args.elements)
            engine_s, pysd_s, worst, _, columns, timings, _, _ = side_by_side(
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
    engine_seconds, pysd_seconds, worst, batch, columns, timings, previous, frames = side_by_side(
        path, args.runs, args.pysd_runs, args.seed, args.repeat, args.chunk_size, args.previous
    )
    engine_rate = args.runs / engine_seconds
    pysd_rate = args.pysd_runs / pysd_seconds

    timeline = batch._timeline(None, None, None)
    steps = len(timeline.step_times)
    saves = int(timeline.save_at_step.sum())
    chunk = _chunk_size(args.chunk_size, args.runs)
    chunks = -(-args.runs // chunk)
    slots = len(batch._graph.slots)

    # The previous definition: ast operations of the plain functions x mean
    # allocating operation time (see the module docstring for why it misleads).
    counts = count_operations(batch, columns)
    per_run_ops = counts["rates"] * (steps - saves) + counts["save"] * saves + 2 * slots * steps
    old_bound = per_run_ops * chunks * numpy_seconds_per_operation(chunk)

    fused, state, K, C = fused_step(batch, random_samples(batch, chunk, args.seed), columns, chunk)
    print(f"model: {path}")
    print(
        f"variables returned: {len(columns)}, stocks: {len(batch.stocks)}, "
        f"state slots: {slots}, steps: {steps}, saved times: {timeline.n_saved}"
    )
    print(
        f"BatchModel: {args.runs} runs in {engine_seconds:.2f} s = {engine_rate:,.0f} runs/s "
        f"(chunk {chunk}; best of " + ", ".join(f"{t:.2f}" for t in timings) + " s)"
    )
    print(f"pysd:       {args.pysd_runs} runs in {pysd_seconds:.2f} s = {pysd_rate:,.2f} runs/s")
    print(f"ratio:      {engine_rate / pysd_rate:,.0f}x pysd per run (target >= 3000x)")
    if previous:
        previous_rate = args.runs / min(previous)
        print(
            f"previous engine (plain step, chunks of <= {PREVIOUS_CHUNK_SIZE}): "
            f"{min(previous):.2f} s = {previous_rate:,.0f} runs/s = "
            f"{previous_rate / pysd_rate:,.0f}x pysd (best of "
            + ", ".join(f"{t:.2f}" for t in previous)
            + f" s); fused / previous: {engine_rate / previous_rate:.2f}x"
        )
    print(f"agreement with pysd on the sample: worst relative difference {worst:.2e}")
    if args.backend == "numba":
        compiled_side_by_side(args, batch, columns, frames, pysd_rate)
    if fused is None:
        print("the model has no fused step (a DELAY FIXED pipeline): no arithmetic bound")
        return
    step_s, save_s, n_ops, n_save_ops, other = fused_bound(fused, state, K, C, chunk)
    bound_seconds = chunks * (step_s * (steps - saves) + save_s * saves)
    print(
        f"array operations: {n_ops} per step, {n_save_ops} per saving step "
        f"({fused.fused} of {fused.total} operations fused; {other} time-only or unfused "
        "statements per step, not counted)"
    )
    print(
        f"arithmetic bound: {bound_seconds:.2f} s for {args.runs} runs "
        f"({step_s * 1e6:,.0f} us per step of {chunk} runs, each operation timed alone on "
        f"in-cache arrays, output preallocated); the engine takes "
        f"{engine_seconds / bound_seconds:.2f}x the bound"
    )
    rows = sum(row_sizes(batch._graph, [batch._graph.by_name[c] for c in columns]))
    written = output_seconds((timeline.n_saved, rows, args.runs))
    print(
        f"with the results written once ({timeline.n_saved} x {rows} x {args.runs} values, "
        f"{written:.2f} s to map and fill): {bound_seconds + written:.2f} s; the engine takes "
        f"{engine_seconds / (bound_seconds + written):.2f}x it"
    )
    print(
        f"previous bound definition ({counts['rates']} ast operations per step x mean "
        f"allocating operation time): {old_bound:.2f} s; the engine takes "
        f"{engine_seconds / old_bound:.2f}x it"
    )


def compiled_side_by_side(args, batch, columns, frames, pysd_rate: float) -> None:
    """The NumPy engine's integration against the numba kernels, on the same chunks.

    Both sides integrate the same chunks into a result array of the same
    layout (the engine through its own chunk job, the kernels after the
    engine's own initialisation), timed in interleaved rounds, best of
    ``--repeat``; ``runs`` is also timed on two threads (``prange``). Cold
    compile times are measured in a fresh folder. Prints per-run times, the
    ratios, and the worst relative difference of each kernel from the engine
    (every saved value) and from pysd (the pysd sample).
    """
    try:
        import numba
    except ImportError:
        print("--backend numba: numba is not installed (pip install 'numba>=0.59'); skipped")
        return
    import compiled_kernel as ck

    from gvc_upgrading.engine.batch import _chunk_bounds
    from gvc_upgrading.engine.integrate import _initialise, _positions
    from gvc_upgrading.engine.output import Layout, assemble

    samples = random_samples(batch, args.runs, args.seed)
    requested = batch._requested(columns)
    program, graph, job, timeline = batch._bench_job(samples, args.runs, columns)
    chunks = list(_chunk_bounds(args.runs, _chunk_size(args.chunk_size, args.runs)))
    ids = [graph.by_name[name] for name in requested]
    positions = _positions(program, graph, ids)
    rows = np.zeros(len(program.saved_nodes), dtype=np.int64)
    constant_rows = []
    for row, size, dynamic, index in positions:
        if size != 1:
            print("--backend numba: subscripted variables are not compiled; skipped")
            return
        if dynamic:
            rows[index] = row
        else:
            constant_rows.append((row, index))
    times = np.append(timeline.step_times, timeline.end_time)
    saves = np.append(timeline.save_at_step, timeline.save_at_end)
    if not timeline.save_at_end:
        times, saves = times[:-1], saves[:-1]
    shape = (timeline.n_saved, sum(row_sizes(graph, ids)), args.runs)
    try:
        plan = ck.plan_kernel(program)
        with np.errstate(all="ignore"):
            first = job.inputs(graph, *chunks[0])
            state, constants, _ = _initialise(program, graph, first, timeline)
        layout = ck.leaf_layout(plan, first.values, constants, state, first.n_runs)
    except ck.KernelUnsupported as exc:
        print(f"--backend numba: the model holds {exc}; skipped")
        return

    def numpy_engine(values):
        for start, stop in chunks:
            job(start, stop, values[:, :, start:stop])

    def compiled(kernel, values):
        with np.errstate(all="ignore"):
            for start, stop in chunks:
                inputs = job.inputs(graph, start, stop)
                state, constants, _ = _initialise(program, graph, inputs, timeline)
                block = values[:, :, start:stop]
                kernel.run(
                    times, saves, timeline.time_step, inputs.values, constants, state, block, rows
                )
                for row, index in constant_rows:
                    block[:, row] = constants[index]

    designs = {
        "runs, 1 thread": ("runs", False, "libm"),
        "blocks, 1 thread": ("blocks", False, "libm"),
        "blocks+vector, 1 thread": ("blocks", False, "vector"),
        "runs, prange": ("runs", True, "libm"),
        "blocks+vector, prange": ("blocks", True, "vector"),
    }
    designs = {
        label: design
        for label, design in designs.items()
        if not args.designs or label.split(",")[0] in args.designs.split(";")
    }
    kernels, compile_seconds = {}, {}
    small = np.empty((shape[0], shape[1], 1))
    with tempfile.TemporaryDirectory(prefix="bench-kernels-") as folder:
        for label, (design, parallel, math) in designs.items():
            start = time.perf_counter()
            kernel = ck.kernel_for(plan, layout, design, parallel, Path(folder), math)
            with np.errstate(all="ignore"):  # the first call compiles
                one = job.inputs(graph, 0, 1)
                state, constants, _ = _initialise(program, graph, one, timeline)
                kernel.run(
                    times, saves, timeline.time_step, one.values, constants, state, small, rows
                )
            compile_seconds[label] = time.perf_counter() - start
            kernels[label] = kernel
    expected = allocate(shape)
    values = allocate(shape)
    best: dict[str, float] = {}
    differences: dict[str, tuple[float, float]] = {}
    threads = numba.get_num_threads()
    for round_ in range(max(args.repeat, 1)):
        start = time.perf_counter()
        numpy_engine(expected)
        best["numpy"] = min(best.get("numpy", np.inf), time.perf_counter() - start)
        for label, kernel in kernels.items():
            numba.set_num_threads(min(2, threads) if "prange" in label else 1)
            values.fill(np.nan)
            start = time.perf_counter()
            compiled(kernel, values)
            best[label] = min(best.get(label, np.inf), time.perf_counter() - start)
            if round_ == 0:
                scale = np.maximum(np.abs(expected), 1e-3)
                engine = float(np.nanmax(np.abs(values - expected) / scale))
                if np.isnan(values).sum() != np.isnan(expected).sum():
                    engine = np.inf
                layout_ = Layout(
                    names=requested,
                    dims=tuple(() for _ in requested),
                    ranges=graph.ranges,
                )
                result = assemble(
                    values[:, :, : len(frames)], layout_, timeline.saved_times, {}, {}
                )
                differences[label] = (engine, worst_difference(result, frames))
    numba.set_num_threads(threads)
    per_run = {label: seconds / args.runs * 1e6 for label, seconds in best.items()}
    print()
    print(
        f"compiled kernels (numba {numba.__version__}), integration only, same chunks, "
        f"best of {max(args.repeat, 1)} interleaved rounds:"
    )
    print(f"  pysd:                          {1e6 / pysd_rate:12,.1f} us per run")
    print(f"  NumPy engine:                  {per_run['numpy']:12,.1f} us per run")
    for label in kernels:
        engine, reference = differences[label]
        print(
            f"  numba {label + ':':24s}{per_run[label]:12,.1f} us per run = "
            f"{per_run['numpy'] / per_run[label]:.2f}x the NumPy engine, "
            f"{1e6 / pysd_rate / per_run[label]:,.0f}x pysd; cold compile "
            f"{compile_seconds[label]:.1f} s; worst relative difference "
            f"{engine:.1e} from the engine, {reference:.1e} from pysd"
            + ("" if max(engine, reference) <= 1e-9 else "  <-- NOT EQUAL (above 1e-9)")
        )


if __name__ == "__main__":
    raise SystemExit(main())
