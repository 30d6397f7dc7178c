"""``calibrate``: fit a case, quantify uncertainty, score the fit."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..errors import CalibrationError
from .case import Case, load_case
from .objective import Objective
from .optimize import OptimizerReport, fit_differential_evolution, fit_multistart
from .result import CalibrationResult
from .simulator import Simulator, simulator_for
from .statistics import statistics_table
from .uncertainty import bootstrap_refits, percentile_intervals, profile_likelihood, run_mcmc

__all__ = ["METHODS", "calibrate", "fit_objective", "get_simulator"]

#: Optimization methods of :func:`calibrate`.
METHODS: tuple[str, ...] = ("multistart", "differential_evolution")

_SIMULATORS: dict[str, Simulator] = {}


def get_simulator(case: Case) -> Simulator:
    """Return the (cached) batch simulator of a case's model."""
    key = str(case.model) if case.model is not None else "<shipped>"
    if key not in _SIMULATORS:
        _SIMULATORS[key] = simulator_for(case.model)
    return _SIMULATORS[key]


def _model_attribute(objective: Any, name: str) -> str:
    """``sha256`` or ``path`` of the model the objective simulates ("" when it has none)."""
    model = getattr(getattr(objective, "simulator", None), "model", None)
    return str(getattr(model, name, ""))


@contextmanager
def _progress_bar(progress: bool | None, total: int, description: str):
    enabled = sys.stderr.isatty() if progress is None else bool(progress)
    if not enabled or total <= 0:
        yield lambda n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=description, disable=not enabled, leave=False) as bar:
        yield bar.update


def _initial_unit(objective: Any) -> np.ndarray | None:
    initial = getattr(objective, "initial", None)
    if initial is None:
        return None
    return objective.to_unit(initial)


def fit_objective(
    objective: Any,
    *,
    method: str = "multistart",
    n_starts: int = 8,
    rng: np.random.Generator,
    max_nfev: int | None = 200,
    popsize: int = 15,
    maxiter: int = 200,
    progress: Callable[[int], None] | None = None,
) -> OptimizerReport:
    """Minimise an objective's in-sample sum of squares (see :func:`calibrate`)."""

    def residuals(points: np.ndarray) -> np.ndarray:
        return objective.residuals(objective.to_theta(points))

    if method == "multistart":
        return fit_multistart(
            residuals,
            objective.n_params,
            n_starts=n_starts,
            rng=rng,
            initial=_initial_unit(objective),
            max_nfev=max_nfev,
            progress=progress,
        )
    if method == "differential_evolution":
        report = fit_differential_evolution(
            residuals,
            objective.n_params,
            rng=rng,
            popsize=popsize,
            maxiter=maxiter,
            max_nfev=max_nfev,
        )
        if progress:
            progress(n_starts)
        return report
    raise CalibrationError(f"unknown method {method!r}; choose one of {list(METHODS)}")


def calibrate(
    case: Case | str | os.PathLike[str],
    *,
    method: str = "multistart",
    n_starts: int = 8,
    seed: int = 0,
    holdout_from: float | None = None,
    bootstrap: int = 0,
    bootstrap_kind: str = "residual",
    block_length: int | None = None,
    level: float = 0.9,
    profile: bool = True,
    profile_points: int = 13,
    mcmc: bool = False,
    mcmc_steps: int = 2000,
    scheduler: Any = None,
    progress: bool | None = None,
    simulator: Simulator | None = None,
) -> CalibrationResult:
    """Calibrate a model to a case's data.

    Parameters
    ----------
    case : Case, str or path-like
        A loaded case, a shipped case name or a case folder.
    method : {"multistart", "differential_evolution"}
        Multi-start bounded least squares from Latin-hypercube starts, or
        differential evolution (whole population as one batch) polished by
        least squares.
    n_starts : int
        Latin-hypercube starts (multistart).
    seed : int
        Seed of every random choice (starts, bootstrap resampling, MCMC).
    holdout_from : float, optional
        Fit only observations before this year; later ones are scored as hold-out.
    bootstrap : int
        Number of bootstrap refits (0 = none).
    bootstrap_kind : {"residual", "block"}
    block_length : int, optional
        Block length of the block bootstrap.
    level : float
        Coverage of the reported intervals.
    profile : bool
        Compute the profile likelihood of every free parameter.
    profile_points : int
        Grid points per profile.
    mcmc : bool
        Also sample the posterior with emcee (optional dependency).
    mcmc_steps : int
    scheduler : optional
        Dask scheduler for the batch engine (see ``BatchModel.run``).
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    simulator : Simulator, optional
        Use this simulator instead of compiling the case's model.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    SpecError, DataError, UnknownParameterError, UnknownVariableError
        On a malformed or inconsistent case.
    CalibrationError
        On an unknown method or bad options.
    """
    if not 0 < level < 1:
        raise CalibrationError(f"level must lie strictly between 0 and 1, got {level}")
    if bootstrap < 0 or n_starts < 1:
        raise CalibrationError("bootstrap must be >= 0 and n_starts >= 1")
    if method not in METHODS:
        raise CalibrationError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    loaded = case if isinstance(case, Case) else load_case(case)
    sim = simulator if simulator is not None else get_simulator(loaded)
    objective = Objective(loaded, sim, holdout_from=holdout_from, scheduler=scheduler)
    return calibrate_objective(
        objective,
        label=loaded.name,
        method=method,
        n_starts=n_starts,
        seed=seed,
        bootstrap=bootstrap,
        bootstrap_kind=bootstrap_kind,
        block_length=block_length,
        level=level,
        profile=profile,
        profile_points=profile_points,
        mcmc=mcmc,
        mcmc_steps=mcmc_steps,
        progress=progress,
    )


def calibrate_objective(
    objective: Any,
    *,
    label: str,
    method: str,
    n_starts: int,
    seed: int,
    bootstrap: int,
    bootstrap_kind: str,
    block_length: int | None,
    level: float,
    profile: bool,
    profile_points: int,
    mcmc: bool,
    mcmc_steps: int,
    progress: bool | None,
) -> CalibrationResult:
    """The part of :func:`calibrate` after the objective is built (shared with joint fits)."""
    started = time.perf_counter()
    fit_rng, boot_rng, mcmc_rng = np.random.default_rng(seed).spawn(3)
    total = n_starts + (
        1 if method == "multistart" and _initial_unit(objective) is not None else 0
    )
    with _progress_bar(progress, total + bootstrap, f"calibrate {label}") as update:
        report = fit_objective(
            objective, method=method, n_starts=n_starts, rng=fit_rng, progress=update
        )
        unit_hat = report.unit
        theta_hat = objective.to_theta(unit_hat)
        boot = np.empty((0, objective.n_params))
        converged = np.empty(0, bool)
        if bootstrap:
            units, _, converged = bootstrap_refits(
                objective,
                unit_hat,
                n=bootstrap,
                rng=boot_rng,
                kind=bootstrap_kind,
                block_length=block_length,
                progress=update,
            )
            boot = objective.to_theta(units)
    profiles = profile_likelihood(objective, unit_hat, n_points=profile_points) if profile else ()
    draws = (
        run_mcmc(objective, unit_hat, n_steps=mcmc_steps, burn=mcmc_steps // 4, rng=mcmc_rng)
        if mcmc
        else np.empty((0, objective.n_params))
    )
    if bootstrap:
        interval, interval_method = percentile_intervals(boot, level), "bootstrap"
    elif profiles:
        interval = np.array([pr.interval for pr in profiles])
        interval_method = "profile"
    else:
        interval = np.full((objective.n_params, 2), np.nan)
        interval_method = "none"
    obs = objective.observations
    fitted = objective.predict_levels(theta_hat[None, :])[0]
    table = obs.to_frame()
    table["fitted"] = fitted
    stats = statistics_table(
        obs.target,
        obs.time,
        fitted,
        obs.level,
        obs.in_sample,
        order=list(dict.fromkeys(obs.target)),
    )
    thetas = np.vstack([theta_hat[None, :], boot])
    times, names, paths = objective.trajectories(thetas)
    cost = float(objective.cost(theta_hat[None, :])[0])
    diagnostics = {
        "method": report.method,
        "success": bool(report.success),
        "message": report.message,
        "optimizer_cost": float(report.cost),
        "start_costs": [float(f.cost) for f in report.starts],
        "start_messages": [f.message for f in report.starts],
        "n_runs": int(objective.n_runs),
        "n_calls": int(objective.n_calls),
        "seconds": float(time.perf_counter() - started),
        "seed": int(seed),
        "model_sha256": _model_attribute(objective, "sha256"),
        "model_file": _model_attribute(objective, "path"),
        "n_observations": len(obs),
        "n_in_sample": int(obs.in_sample.sum()),
        "holdout_from": float("nan")
        if objective.holdout_from is None
        else float(objective.holdout_from),
        "bootstrap": int(bootstrap),
        "bootstrap_kind": bootstrap_kind,
        "bootstrap_converged": float(converged.mean()) if bootstrap else float("nan"),
        **{k: v for k, v in report.extra.items()},
    }
    return CalibrationResult(
        case=label,
        method=method,
        parameter_names=tuple(objective.names),
        estimate=theta_hat,
        search_lower=objective.lower,
        search_upper=objective.upper,
        level=level,
        interval=interval,
        interval_method=interval_method,
        objective=cost,
        bootstrap=boot,
        mcmc=draws,
        profiles=profiles,
        diagnostics=diagnostics,
        case_params=objective.case_params(theta_hat),
        observations_table=table,
        statistics_table=stats,
        times=times,
        trajectory_names=tuple(names),
        trajectories=paths[0],
        ensemble=paths[1:] if bootstrap else np.empty((0, len(names), len(times))),
        series_info=objective.series_info(),
    )
