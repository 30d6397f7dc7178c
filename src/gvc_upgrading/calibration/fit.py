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
from .bands import identifiability_status, predictive_band
from .case import Case, load_case
from .objective import Objective
from .optimize import OptimizerReport, fit_differential_evolution, fit_multistart
from .result import CalibrationResult
from .settings import METHODS, FitSettings
from .simulator import BatchSimulator, Simulator, simulator_for
from .statistics import statistics_table
from .uncertainty import bootstrap_refits, percentile_intervals, profile_likelihood, run_mcmc

__all__ = [
    "METHODS",
    "calibrate",
    "calibrate_objective",
    "check_budget",
    "fit_objective",
    "get_simulator",
    "resolve_settings",
]

_SIMULATORS: dict[str, Simulator] = {}


def get_simulator(case: Case) -> Simulator:
    """Return the (cached) batch simulator of a case's model."""
    key = str(case.model) if case.model is not None else "<shipped>"
    if key not in _SIMULATORS:
        _SIMULATORS[key] = simulator_for(case.model)
    return _SIMULATORS[key]


def _model_attribute(objective: Any, name: str) -> str:
    """``sha256`` or ``path`` of the model the objective simulates ("" when it has none).

    A joint objective reports its cases' model when they share one, else the
    distinct values joined by ``";"``.
    """
    parts = getattr(objective, "objectives", None)
    if parts is not None:
        values = dict.fromkeys(_model_attribute(part, name) for part in parts)
        return ";".join(v for v in values if v)
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


def resolve_settings(
    case_fit: dict[str, Any] | None, settings: FitSettings | None, options: dict[str, Any]
) -> FitSettings:
    """The settings of a fit: ``settings`` (or the case's ``[fit]`` table), then ``options``."""
    base = settings if settings is not None else FitSettings(**(case_fit or {}))
    return base.updated(**options)


def check_budget(objective: Any, settings: FitSettings, label: str) -> dict[str, Any]:
    """Refuse a fit that frees more than one parameter per ``observations_per_parameter``.

    Returns
    -------
    dict
        ``n_parameters``, ``n_in_sample``, ``max_parameters``.

    Raises
    ------
    CalibrationError
        Naming the counts and the ways out (fix parameters, give them
        priors and fix them, or share them across cases in a joint fit).
    """
    n_in = int(np.asarray(objective.fit).sum())
    p = int(objective.n_params)
    allowed = int(n_in // settings.observations_per_parameter)
    if p > allowed:
        raise CalibrationError(
            f"{label}: {p} free parameters for {n_in} in-sample observations exceeds the "
            f"parameter budget of {allowed} (one per {settings.observations_per_parameter:g} "
            "observations); fix some parameters in case.toml, or fit several cases jointly "
            "with structural parameters shared (calibrate_joint / calibrate --joint)"
        )
    return {"n_parameters": p, "n_in_sample": n_in, "max_parameters": allowed}


def calibrate(
    case: Case | str | os.PathLike[str],
    model: Any = None,
    *,
    settings: FitSettings | None = None,
    seed: int | None = None,
    holdout_from: float | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    simulator: Simulator | None = None,
    **options: Any,
) -> CalibrationResult:
    """Calibrate a model to a case's data (posterior mode under the case's priors).

    Parameters
    ----------
    case : Case, str or path-like
        A loaded case, a shipped case name or a case folder.
    model : path-like or gvc_upgrading.model.Model, optional
        The model to fit (default: the case's ``model`` entry, the shipped model).
    settings : FitSettings, optional
        How to fit (default: the case's ``[fit]`` table over the defaults).
    seed : int, optional
        Seed of every random choice (default: ``settings.seed``).
    holdout_from : float, optional
        Observations from this year on are held out: never seen by the fit,
        scored once afterwards (default: ``settings.holdout_from``).
    scheduler : optional
        Dask scheduler for the batch engine (see ``BatchModel.run``).
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    simulator : Simulator, optional
        Use this simulator instead of compiling a model.
    **options
        Individual :class:`FitSettings` fields (``bootstrap=200``, ``n_starts=4``, ...).

    Returns
    -------
    CalibrationResult

    Raises
    ------
    SpecError, DataError, UnknownParameterError, UnknownVariableError
        On a malformed or inconsistent case.
    CalibrationError
        On bad settings, or more free parameters than the budget allows
        (:func:`check_budget`), before any simulation.
    """
    loaded = case if isinstance(case, Case) else load_case(case)
    chosen = resolve_settings(dict(loaded.fit), settings, options)
    if seed is not None:
        chosen = chosen.updated(seed=seed)
    if holdout_from is not None:
        chosen = chosen.updated(holdout_from=holdout_from)
    if simulator is not None:
        sim = simulator
    elif model is not None:
        sim = BatchSimulator(model)
    else:
        sim = get_simulator(loaded)
    objective = Objective(loaded, sim, holdout_from=chosen.holdout_from, scheduler=scheduler)
    return calibrate_objective(objective, label=loaded.name, settings=chosen, progress=progress)


def calibrate_objective(
    objective: Any,
    *,
    label: str,
    settings: FitSettings,
    progress: bool | None = None,
    enforce_budget: bool = True,
) -> CalibrationResult:
    """The part of :func:`calibrate` after the objective is built (shared with joint fits)."""
    budget = check_budget(objective, settings, label) if enforce_budget else {}
    started = time.perf_counter()
    seed = settings.seed
    fit_rng, boot_rng, mcmc_rng, band_rng = np.random.default_rng(seed).spawn(4)
    method, bootstrap = settings.method, settings.bootstrap
    total = settings.n_starts + (
        1 if method == "multistart" and _initial_unit(objective) is not None else 0
    )
    with _progress_bar(progress, total + bootstrap, f"calibrate {label}") as update:
        report = fit_objective(
            objective, method=method, n_starts=settings.n_starts, rng=fit_rng, progress=update
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
                kind=settings.bootstrap_kind,
                block_length=settings.block_length,
                progress=update,
            )
            boot = objective.to_theta(units)
    profiles = (
        profile_likelihood(objective, unit_hat, n_points=settings.profile_points)
        if settings.profile
        else ()
    )
    draws = (
        run_mcmc(
            objective,
            unit_hat,
            n_steps=settings.mcmc_steps,
            burn=settings.mcmc_steps // 4,
            rng=mcmc_rng,
        )
        if settings.mcmc
        else np.empty((0, objective.n_params))
    )
    if bootstrap:
        interval, interval_method = percentile_intervals(boot, settings.level), "bootstrap"
    elif profiles:
        interval = np.array([pr.interval for pr in profiles])
        interval_method = "profile"
    else:
        interval = np.full((objective.n_params, 2), np.nan)
        interval_method = "none"
    obs = objective.observations
    fitted = objective.predict_levels(theta_hat[None, :])[0]
    lower, upper = predictive_band(
        objective, fitted, boot, level=settings.band_level, rng=band_rng
    )
    table = obs.to_frame()
    table["fitted"] = fitted
    table["band_lower"] = lower
    table["band_upper"] = upper
    # Scoring happens here, once, after every fitting step: the only place that
    # reads hold-out values (obs.level) against the model.
    stats = statistics_table(
        obs.target,
        obs.time,
        fitted,
        obs.level,
        obs.in_sample,
        order=list(dict.fromkeys(obs.target)),
        band=(lower, upper),
    )
    thetas = np.vstack([theta_hat[None, :], boot])
    times, names, paths = objective.trajectories(thetas)
    cost = float(objective.cost(theta_hat[None, :])[0])
    prior_part = objective.prior_residuals(theta_hat[None, :])[0]
    constraints = (
        objective.constraint_report(theta_hat) if hasattr(objective, "constraint_report") else []
    )
    status = identifiability_status(objective, unit_hat, profiles)
    diagnostics = {
        "method": report.method,
        "success": bool(report.success),
        "message": report.message,
        "optimizer_cost": float(report.cost),
        "prior_penalty": float(0.5 * prior_part @ prior_part),
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
        "holdout_locked": True,
        "bootstrap": int(bootstrap),
        "bootstrap_kind": settings.bootstrap_kind,
        "bootstrap_converged": float(converged.mean()) if bootstrap else float("nan"),
        "band_level": float(settings.band_level),
        "budget": budget,
        "priors": {
            name: f"{prior.dist}({prior.a:g}, {prior.b:g})"
            for name, prior in (getattr(objective, "priors", {}) or {}).items()
        },
        "constraints": constraints,
        "drivers_used": list(getattr(objective, "drivers_used", ())),
        "drivers_ignored": list(getattr(objective, "drivers_ignored", ())),
        "settings": {k: v for k, v in vars(settings).items() if v is not None},
        **{k: v for k, v in report.extra.items()},
    }
    return CalibrationResult(
        case=label,
        method=method,
        parameter_names=tuple(objective.names),
        estimate=theta_hat,
        search_lower=objective.lower,
        search_upper=objective.upper,
        level=settings.level,
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
        status=status,
    )
