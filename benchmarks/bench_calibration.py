"""Benchmark: the joint fit of the shipped cases with bootstrap refits (issue 10).

Run ``python benchmarks/bench_calibration.py [--refits N] [--scheduler S]``.
Prints, in one run and side by side, the wall time of the joint point fit, of
the bootstrap refits (all replicates solved together, each iteration one
batch-engine call per case), of the profiles, and of the whole joint
calibration (settings from the cases' ``[fit]`` tables), with the number of
simulated runs and runs per second. Target (issue 10): the joint fit of all
shipped cases with 200 bootstrap refits within 3 minutes on this machine; the
ratio to that budget is printed, with the process CPU time (on a shared machine the
wall time mostly measures the other jobs).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from gvc_upgrading.calibration import load_case, shipped_cases
from gvc_upgrading.calibration.fit import fit_objective
from gvc_upgrading.calibration.joint import JointObjective, _default_shared, _objectives
from gvc_upgrading.calibration.settings import FitSettings
from gvc_upgrading.calibration.uncertainty import bootstrap_refits, profile_likelihood

BUDGET_SECONDS = 180.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--refits", type=int, default=200)
    parser.add_argument("--scheduler", default=None, help="batch-engine scheduler (e.g. threads)")
    args = parser.parse_args()
    cases = [load_case(name) for name in shipped_cases()]
    settings = FitSettings(**dict(cases[0].fit))
    objective = JointObjective(
        _objectives(cases, None, settings.holdout_from, args.scheduler), _default_shared(cases)
    )
    print(
        f"joint fit of {', '.join(c.name for c in cases)}: {objective.n_params} parameters, "
        f"{int(objective.fit.sum())} in-sample observations; cpus: {os.cpu_count()}"
    )
    timings: dict[str, float] = {}
    cpu_start = time.process_time()
    start = time.perf_counter()
    report = fit_objective(objective, n_starts=settings.n_starts, rng=np.random.default_rng(0))
    timings["point fit"] = time.perf_counter() - start
    runs = objective.n_runs
    seconds = timings["point fit"]
    print(f"point fit ({settings.n_starts} starts + polish): {seconds:.1f} s, {runs} runs")
    before = objective.n_runs
    start = time.perf_counter()
    _, _, converged = bootstrap_refits(
        objective, report.unit, n=args.refits, rng=np.random.default_rng(1)
    )
    timings["bootstrap"] = time.perf_counter() - start
    boot_runs = objective.n_runs - before
    print(
        f"{args.refits} bootstrap refits: {timings['bootstrap']:.1f} s, {boot_runs} runs, "
        f"{boot_runs / timings['bootstrap']:,.0f} runs/s, {converged.mean():.0%} converged"
    )
    before = objective.n_runs
    start = time.perf_counter()
    profile_likelihood(objective, report.unit, n_points=settings.profile_points)
    timings["profiles"] = time.perf_counter() - start
    print(f"profiles: {timings['profiles']:.1f} s, {objective.n_runs - before} runs")
    cpu = time.process_time() - cpu_start
    total = sum(timings.values())
    print("side by side (share of the joint calibration):")
    for name, seconds in timings.items():
        print(f"  {name:12s} {seconds:7.1f} s  {seconds / total:6.1%}")
    print(
        f"total {total:.1f} s = {total / BUDGET_SECONDS:.2f} x the 3-minute budget "
        f"({'within' if total <= BUDGET_SECONDS else 'OVER'}); process CPU time {cpu:.1f} s "
        f"= {cpu / BUDGET_SECONDS:.2f} x the budget; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
