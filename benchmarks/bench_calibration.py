"""Benchmark: one calibration and 200 bootstrap refits of a shipped case.

Run ``python benchmarks/bench_calibration.py [CASE] [--refits N] [--scheduler S]``.
Prints the wall time of the point fit and of the bootstrap refits (all
replicates solved side by side, each iteration one batch-engine call), the
number of simulated runs, and runs per second. Target (issue 4): 200 refits of
one case in under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from gvc_upgrading.calibration import Objective, load_case
from gvc_upgrading.calibration.fit import fit_objective, get_simulator
from gvc_upgrading.calibration.uncertainty import bootstrap_refits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", nargs="?", default="cambodia_garment")
    parser.add_argument("--refits", type=int, default=200)
    parser.add_argument("--holdout-from", type=float, default=2017.0)
    parser.add_argument("--scheduler", default=None, help="batch-engine scheduler (e.g. threads)")
    args = parser.parse_args()
    case = load_case(args.case)
    print(f"case {case.name}: {len(case.free)} free parameters; cpus: {os.cpu_count()}")
    objective = Objective(
        case, get_simulator(case), holdout_from=args.holdout_from, scheduler=args.scheduler
    )
    start = time.perf_counter()
    report = fit_objective(objective, n_starts=8, rng=np.random.default_rng(0))
    fit_seconds = time.perf_counter() - start
    fit_runs = objective.n_runs
    print(
        f"point fit (8 starts + polish): {fit_seconds:.1f} s, {fit_runs} runs, "
        f"cost {report.cost:.3f}"
    )
    runs_before, calls_before = objective.n_runs, objective.n_calls
    start = time.perf_counter()
    units, _, converged = bootstrap_refits(
        objective, report.unit, n=args.refits, rng=np.random.default_rng(1)
    )
    seconds = time.perf_counter() - start
    runs = objective.n_runs - runs_before
    calls = objective.n_calls - calls_before
    print(
        f"{args.refits} bootstrap refits: {seconds:.1f} s ({'PASS' if seconds < 60 else 'FAIL'}"
        f" against 60 s), {runs} runs in {calls} batch calls, {runs / seconds:,.0f} runs/s, "
        f"{converged.mean():.0%} converged within the iteration limit"
    )
    spread = np.quantile(objective.to_theta(units), [0.05, 0.95], axis=0)
    for name, low, high in zip(objective.names, spread[0], spread[1], strict=True):
        print(f"  {name:45s} 90% [{low:.4g}, {high:.4g}]")


if __name__ == "__main__":
    main()
