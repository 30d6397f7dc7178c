"""Benchmark the default Sobol' study, old pipeline against new, side by side in one run.

Stages of the shipped default study (``sensitivity/studies/default.toml``:
D = 25, N = 4096, second order, 5 scalar outputs, 2 trajectories over 41
years, plus the grouped design), each timed in this process:

- sampling: SALib's ``sobol.sample`` (old) against
  :class:`~gvc_upgrading.sensitivity.sampling.SaltelliDesign` (new), checked equal;
- model runs through the batch engine (shared by both pipelines);
- estimation: SALib's ``sobol.analyze`` called per output column, as the old
  pipeline did (timed on ``--salib-columns`` columns and scaled to all), against
  :func:`~gvc_upgrading.sensitivity.estimation.estimate_sobol` on every column
  at once, checked equal to 1e-12 on the columns SALib ran;
- figures (the old pipeline always drew them; the new one only with ``--figures``).

It prints each stage, the old and new totals and their ratios. With
``--cli`` it also times the whole command ``gvc-upgrading sensitivity
default.toml`` end to end in a child process and reports its peak memory; with
``--ensemble-runs R`` it streams an R-run ensemble of the model (the default
study's parameters drawn uniformly) to netCDF through
``BatchModel.run(out=...)`` in a child process and reports its peak memory.
Not a test: nothing here asserts a speed. Wall times depend on what else the
machine runs; ratios much less so.

Usage::

    python benchmarks/bench_sensitivity.py [--n 4096] [--salib-columns 6] [--cli]
                                           [--ensemble-runs 1000000]
    # peak memory of a 1.15-million-run study (N = 16384: 851,968 + 294,912 runs)
    python benchmarks/bench_sensitivity.py --skip-stages --cli --n 16384
    # the study's runs at several engine chunk sizes (targets.STUDY_ENGINE_CHUNK)
    python benchmarks/bench_sensitivity.py --engine-chunks 4096,8192,16384
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from SALib.analyze import sobol as salib_analyze
from SALib.sample import sobol as salib_sample

from gvc_upgrading import load_model
from gvc_upgrading.resources import shipped_path
from gvc_upgrading.sensitivity import load_study
from gvc_upgrading.sensitivity.design import analysis_seed
from gvc_upgrading.sensitivity.estimation import estimate_sobol
from gvc_upgrading.sensitivity.sobol import analyse_sobol, prepare_sobol
from gvc_upgrading.sensitivity.study_run import write_study

STUDY = shipped_path("sensitivity", "studies", "default.toml")


class Clock:
    """Wall-clock stage timer."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def lap(self) -> float:
        """Seconds since the previous lap."""
        now = time.perf_counter()
        elapsed, self.last = now - self.last, now
        return elapsed


def salib_columns(design, values, columns, pair_columns):
    """SALib's estimation of ``columns``, one column at a time, as the old pipeline ran it."""
    study = design.study
    factors = design.num_factors
    keep = np.r_[0 : factors + 1, 2 * factors + 1]
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for column in columns:
            y = values[:, column]
            first = y.reshape(-1, 2 * factors + 2)[:, keep].reshape(-1)
            settings = {
                "num_resamples": study.num_resamples,
                "conf_level": study.conf_level,
                "seed": analysis_seed(study.seed),
            }
            results[column] = [
                salib_analyze.analyze(design.problem, first, calc_second_order=False, **settings)
            ]
            if column in pair_columns:
                results[column].append(
                    salib_analyze.analyze(design.problem, y, calc_second_order=True, **settings)
                )
    return results


def compare_estimators(design, values, salib_count: int) -> tuple[float, float, float]:
    """Time both estimators; return (old seconds scaled to all columns, new seconds, max diff)."""
    layout = design.target.layout
    scalars = [c.start for c in layout if c.times is None]
    trajectory_columns = [j for c in layout if c.times is not None for j in range(*_span(c))]
    clock = Clock()
    ours = estimate_sobol(
        values,
        design.num_factors,
        second_order_design=True,
        second_order_columns=scalars,
        num_resamples=design.study.num_resamples,
        conf_level=design.study.conf_level,
        seed=analysis_seed(design.study.seed),
    )
    new = clock.lap()
    # SALib on a share of scalar and trajectory columns, scaled to all of them
    scalar_share = scalars[: max(1, salib_count // 2)]
    trajectory_share = trajectory_columns[: max(1, salib_count - len(scalar_share))]
    clock.lap()
    reference = salib_columns(design, values, scalar_share, set(scalar_share))
    per_scalar = clock.lap() / len(scalar_share)
    reference.update(salib_columns(design, values, trajectory_share, set()))
    per_trajectory = clock.lap() / len(trajectory_share)
    old = per_scalar * len(scalars) + per_trajectory * len(trajectory_columns)
    worst = 0.0
    pair_row = {c: i for i, c in enumerate(scalars)}
    for column, calls in reference.items():
        for name in ("S1", "S1_conf", "ST", "ST_conf"):
            worst = max(worst, float(np.max(np.abs(getattr(ours, name)[column] - calls[0][name]))))
        if len(calls) > 1:
            for name in ("S2", "S2_conf"):
                mine = getattr(ours, name)[pair_row[column]]
                upper = np.triu_indices(design.num_factors, 1)
                worst = max(worst, float(np.max(np.abs(mine[upper] - calls[1][name][upper]))))
    print(
        f"  SALib per column: {per_scalar:6.3f} s (scalar, with S2)"
        f"  {per_trajectory:6.3f} s (trajectory year)"
    )
    print(
        f"  ours per column:  {new / values.shape[1]:6.3f} s (all {values.shape[1]} columns"
        " in one pass)"
    )
    return old, new, worst


def _span(column) -> tuple[int, int]:
    return column.start, column.start + column.width


def in_process(args) -> None:
    """Old and new pipelines stage by stage, in this process."""
    from gvc_upgrading.sensitivity.interactions import interaction_map, lever_contrast
    from gvc_upgrading.sensitivity.study_run import StudyResults, _scenario_synergy

    study = load_study(STUDY)
    clock = Clock()
    model = load_model()
    designs = {
        "parameters": prepare_sobol(study, model, n=args.n),
        "groups": prepare_sobol(study, model, n=args.n, groups=True, second_order=True),
    }
    setup = clock.lap()
    old = {"load + compile": setup}
    new = {"load + compile": setup}
    datasets = {}
    for label, design in designs.items():
        print(
            f"design {label}: D={design.num_factors}, N={design.study.n},"
            f" runs={design.rows(design.study.n):,}"
        )
        old_sample = salib_sample.sample(
            design.problem, design.study.n, calc_second_order=True, scramble=True, seed=study.seed
        )
        sample_old = clock.lap()
        samples = design.sample(design.study.n)
        sample_new = clock.lap()
        if not np.array_equal(samples, old_sample):
            raise SystemExit("the new design differs from SALib's")
        del old_sample
        values = design.evaluate(samples, progress=True)
        runs = clock.lap()
        print(f"  sampling   SALib {sample_old:7.2f} s   ours {sample_new:7.2f} s")
        print(f"  model runs       {runs:7.2f} s  ({samples.shape[0] / runs:,.0f} runs/s)")
        estimation_old, estimation_new, worst = compare_estimators(
            design, values, args.salib_columns
        )
        print(
            f"  estimation SALib {estimation_old:7.2f} s   ours {estimation_new:7.2f} s"
            f"   ratio {estimation_old / estimation_new:5.1f}x   max |difference| {worst:.1e}"
        )
        for totals, sample, estimation in (
            (old, sample_old, estimation_old),
            (new, sample_new, estimation_new),
        ):
            totals[f"{label}: sampling"] = sample
            totals[f"{label}: runs"] = runs
            totals[f"{label}: estimation"] = estimation
        datasets[label] = analyse_sobol(design, values)
    clock.lap()
    contrast = lever_contrast(study, model)
    synergy = _scenario_synergy(model)
    contrasts = clock.lap()
    old["contrasts"] = new["contrasts"] = contrasts
    results = StudyResults(
        study=designs["parameters"].study,
        indices=datasets["parameters"],
        grouped=datasets["groups"],
        interactions=interaction_map(datasets["groups"], contrast),
        scenario_synergy=synergy,
    )
    clock.lap()
    with tempfile.TemporaryDirectory() as folder:
        write_study(results, Path(folder) / "data")
        data = clock.lap()
        write_study(results, Path(folder) / "drawn", figures=True)
        figures = clock.lap() - data
    old["write"] = new["write"] = data
    old["figures"] = figures
    print(f"contrasts {contrasts:.2f} s, netCDF + tables {data:.2f} s, figures {figures:.2f} s")
    old_total, new_total = sum(old.values()), sum(new.values())
    print(f"study, old pipeline (SALib sampling and estimation, figures): {old_total:7.2f} s")
    print(f"study, new pipeline (figures only with --figures):            {new_total:7.2f} s")
    print(f"ratio old / new: {old_total / new_total:.2f}x (stages timed side by side above)")


_MEASURE = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def child_peak_rss(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return (wall seconds, peak resident memory in GiB) of that child alone.

    The command runs under a small Python parent of its own, whose
    ``RUSAGE_CHILDREN`` then covers this command only (this process's would
    also cover every earlier child).
    """
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    peak_kib = int(finished.stdout.strip().splitlines()[-1])
    return wall, peak_kib / 2**20


def cli(args) -> None:
    """The whole command end to end, in a child process."""
    with tempfile.TemporaryDirectory() as folder:
        command = [
            str(Path(sys.executable).parent / "gvc-upgrading"),
            "sensitivity",
            str(STUDY),
            "--out",
            str(Path(folder) / "out"),
            "--no-progress",
        ]
        if args.n:
            command += ["--n", str(args.n)]
        wall, peak = child_peak_rss(command)
    print(f"gvc-upgrading sensitivity default.toml: {wall:8.2f} s wall, peak {peak:.2f} GiB")


ENSEMBLE = """
import sys, numpy as np
from gvc_upgrading import load_model
from gvc_upgrading.sensitivity import load_study
runs, out, study = int(sys.argv[1]), sys.argv[2], load_study(sys.argv[3])
rng = np.random.default_rng(0)
samples = {p.name: rng.uniform(p.lower, p.upper, runs) for p in study.parameters}
result = load_model().compile().run(samples=samples, scenario="baseline", return_columns=[
    "Social upgrading index", "Economic upgrading index"], out=out, progress=True)
print(dict(result.sizes))
"""


def ensemble(args) -> None:
    """Stream an ensemble to netCDF in a child process and report its peak memory."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "ensemble.nc"
        command = [sys.executable, "-c", ENSEMBLE, str(args.ensemble_runs), str(out), str(STUDY)]
        wall, peak = child_peak_rss(command)
        size = out.stat().st_size / 2**30
    print(
        f"ensemble of {args.ensemble_runs:,} runs streamed to netCDF ({size:.2f} GiB):"
        f" {wall:8.1f} s, peak {peak:.2f} GiB"
    )


def engine_chunks(args) -> None:
    """The default study's runs at several engine chunk sizes, interleaved, CPU and wall time.

    One evaluation block of the parameter design (the study's ``chunk_size``
    rows, as the study evaluates them) runs through the study's model target
    once per engine chunk size in each round; the best and median of the
    rounds are printed, as ratios to the first size too.
    """
    from gvc_upgrading.sensitivity import targets

    study = load_study(STUDY)
    design = prepare_sobol(study, load_model(), n=args.n)
    rows = design.sample(design.study.n)[: design.study.chunk_size]
    sizes = [int(size) for size in args.engine_chunks.split(",")]
    cpu: dict[int, list[float]] = {size: [] for size in sizes}
    wall: dict[int, list[float]] = {size: [] for size in sizes}
    for round_ in range(args.rounds + 1):
        for size in sizes:
            targets.STUDY_ENGINE_CHUNK = size
            started, started_cpu = time.perf_counter(), time.process_time()
            design.target.evaluate(rows)
            if round_:  # the first round compiles and traces
                cpu[size].append(time.process_time() - started_cpu)
                wall[size].append(time.perf_counter() - started)
    first = sizes[0]
    print(f"{len(rows):,} runs of the default study per evaluation, {args.rounds} rounds")
    for size in sizes:
        best, median = min(cpu[size]), float(np.median(cpu[size]))
        print(
            f"  engine chunk {size:6d}: CPU best {best / len(rows) * 1e6:6.1f} us/run,"
            f" median {median / len(rows) * 1e6:6.1f} us/run"
            f" ({median / np.median(cpu[first]):.2f}x chunk {first});"
            f" wall median {np.median(wall[size]):.2f} s"
        )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="base sample size (study's: 4096)")
    parser.add_argument(
        "--salib-columns", type=int, default=6, help="columns SALib estimates (scaled to all)"
    )
    parser.add_argument("--skip-stages", action="store_true", help="skip the in-process stages")
    parser.add_argument("--cli", action="store_true", help="time the whole command too")
    parser.add_argument(
        "--ensemble-runs", type=int, default=0, help="also stream an ensemble of this many runs"
    )
    parser.add_argument(
        "--engine-chunks",
        default="",
        help="time the study's runs at these engine chunk sizes instead, e.g. 4096,8192,16384",
    )
    parser.add_argument("--rounds", type=int, default=6, help="rounds of --engine-chunks")
    args = parser.parse_args()
    if args.engine_chunks:
        engine_chunks(args)
        return
    if not args.skip_stages:
        in_process(args)
    if args.cli:
        cli(args)
    if args.ensemble_runs:
        ensemble(args)


if __name__ == "__main__":
    main()
