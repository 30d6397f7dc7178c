"""Joint calibration of several cases with shared parameters, and leave-one-case-out checks.

In a joint fit the parameter vector holds each shared parameter once and every
other free parameter once per case (named ``"<case>: <parameter>"``); the
residuals of all cases are stacked. The same optimizers, bootstrap and profile
likelihood then apply unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CalibrationError, SpecError
from .case import Case, load_case
from .fit import calibrate_objective, get_simulator, resolve_settings
from .objective import Objective, Observations, ResidualsMixin
from .result import CalibrationResult
from .settings import FitSettings
from .simulator import Simulator
from .statistics import statistics_table

__all__ = ["JointObjective", "LeaveOneCaseOut", "calibrate_joint", "leave_one_case_out"]


class JointObjective(ResidualsMixin):
    """Stacked residuals of several case objectives sharing some parameters.

    Parameters
    ----------
    objectives : sequence of Objective
        One per case (distinct case names).
    shared : sequence of str
        Free parameters estimated once for all cases; every case must have
        them free. Their search range is the intersection of the cases' ranges.
    """

    def __init__(self, objectives: Sequence[Objective], shared: Sequence[str]) -> None:
        if len(objectives) < 2:
            raise CalibrationError("a joint fit needs at least two cases")
        labels = [o.case.name for o in objectives]
        if len(set(labels)) != len(labels):
            raise CalibrationError(f"case names must differ in a joint fit, got {labels}")
        self.objectives = tuple(objectives)
        self.shared = tuple(shared)
        self.holdout_from = objectives[0].holdout_from
        names: list[str] = []
        lower: list[float] = []
        upper: list[float] = []
        initial: list[float] = []
        priors: dict[str, Any] = {}
        for name in self.shared:
            lows, highs, starts = [], [], []
            for objective in objectives:
                if name not in objective.names:
                    raise SpecError(
                        f"shared parameter {name!r} is not free in case {objective.case.name!r}"
                    )
                j = objective.names.index(name)
                lows.append(objective.lower[j])
                highs.append(objective.upper[j])
                starts.append(objective.initial[j] if objective.initial is not None else np.nan)
                if name in objective.priors:
                    priors.setdefault(name, objective.priors[name])
            if max(lows) >= min(highs):
                raise SpecError(f"the cases' ranges of shared parameter {name!r} do not overlap")
            names.append(name)
            lower.append(max(lows))
            upper.append(min(highs))
            start = np.nanmean(starts) if np.isfinite(starts).any() else np.nan
            initial.append(float(np.clip(start, max(lows), min(highs))))
        self._index: list[np.ndarray] = []
        for objective in objectives:
            index = []
            for j, name in enumerate(objective.names):
                if name in self.shared:
                    index.append(self.shared.index(name))
                    continue
                label = f"{objective.case.name}: {name}"
                index.append(len(names))
                names.append(label)
                lower.append(objective.lower[j])
                upper.append(objective.upper[j])
                initial.append(objective.initial[j] if objective.initial is not None else np.nan)
                if name in objective.priors:
                    priors[label] = objective.priors[name]
            self._index.append(np.array(index, dtype=int))
        self.names = tuple(names)
        self.lower = np.array(lower)
        self.upper = np.array(upper)
        midpoint = 0.5 * (self.lower + self.upper)
        values = np.array(initial, float)
        self.initial = (
            np.where(np.isfinite(values), values, midpoint) if np.isfinite(values).any() else None
        )
        self.priors = priors
        parts = [o.observations for o in objectives]
        fields = {}
        for key in Observations.__dataclass_fields__:
            if key == "target":
                fields[key] = np.concatenate(
                    [
                        np.char.add(f"{o.case.name}: ", p.target)
                        for o, p in zip(objectives, parts, strict=True)
                    ]
                )
            else:
                fields[key] = np.concatenate([getattr(p, key) for p in parts])
        self.observations = Observations(**fields)
        self.y = np.concatenate([o.y for o in objectives])
        self.factor = np.concatenate([o.factor for o in objectives])
        self.fit = np.concatenate([o.fit for o in objectives])

    @property
    def n_runs(self) -> int:
        """Simulated runs so far, over all cases."""
        return sum(o.n_runs for o in self.objectives)

    @property
    def n_calls(self) -> int:
        """Simulator calls so far, over all cases."""
        return sum(o.n_calls for o in self.objectives)

    def _split(self, theta: np.ndarray) -> list[np.ndarray]:
        theta = np.atleast_2d(np.asarray(theta, float))
        return [theta[:, index] for index in self._index]

    def predict_levels(self, theta: np.ndarray) -> np.ndarray:
        """Level predictions of every case, stacked, ``(k, m)``."""
        return np.hstack(
            [o.predict_levels(t) for o, t in zip(self.objectives, self._split(theta), strict=True)]
        )

    def predict_full(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Transformed predictions and constraint penalties of every case, stacked."""
        parts = [
            o.predict_full(t) for o, t in zip(self.objectives, self._split(theta), strict=True)
        ]
        return np.hstack([a for a, _ in parts]), np.hstack([b for _, b in parts])

    def constraint_report(self, theta: np.ndarray) -> list[dict]:
        """Per case and constraint: largest relative violation at ``theta``; does it bind."""
        out: list[dict] = []
        for objective, part in zip(self.objectives, self._split(theta), strict=True):
            out += objective.constraint_report(part)
        return out

    @property
    def drivers_used(self) -> tuple[str, ...]:
        """``"<case>: <input>"`` for every driver the model takes."""
        return tuple(f"{o.case.name}: {d}" for o in self.objectives for d in o.drivers_used)

    @property
    def drivers_ignored(self) -> tuple[str, ...]:
        """``"<case>: <input>"`` for every driver the model lacks."""
        return tuple(f"{o.case.name}: {d}" for o in self.objectives for d in o.drivers_ignored)

    def predict(self, theta: np.ndarray) -> np.ndarray:
        """Transformed predictions of every case, stacked, ``(k, m)``."""
        return np.hstack(
            [o.predict(t) for o, t in zip(self.objectives, self._split(theta), strict=True)]
        )

    def trajectories(self, theta: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Targeted paths of every case (``"<case>: <variable>"``), NaN past a case's end."""
        results = [
            o.trajectories(t) for o, t in zip(self.objectives, self._split(theta), strict=True)
        ]
        times = max((r[0] for r in results), key=len)
        names: list[str] = []
        blocks = []
        for objective, (own_times, own_names, paths) in zip(self.objectives, results, strict=True):
            padded = np.full((paths.shape[0], paths.shape[1], len(times)), np.nan)
            padded[:, :, : len(own_times)] = paths
            blocks.append(padded)
            names += [f"{objective.case.name}: {n}" for n in own_names]
        return times, names, np.concatenate(blocks, axis=1)

    def series_info(self) -> dict[str, dict[str, str]]:
        """Per target (``"<case>: <target>"``): trajectory name and free scale parameter."""
        out = {}
        for objective in self.objectives:
            case = objective.case.name
            for name, info in objective.series_info().items():
                scale = info["scale_parameter"]
                out[f"{case}: {name}"] = {
                    "variable": f"{case}: {info['variable']}",
                    "scale_parameter": (
                        scale if not scale or scale in self.shared else f"{case}: {scale}"
                    ),
                }
        return out

    def case_params(self, theta: np.ndarray) -> dict[str, dict[str, object]]:
        """Per case, the ``Model.run`` parameters of joint vector ``theta``."""
        out: dict[str, dict[str, object]] = {}
        for objective, part in zip(self.objectives, self._split(theta), strict=True):
            out.update(objective.case_params(part[0]))
        return out


def _load(cases: Sequence[Case | str | os.PathLike[str]]) -> list[Case]:
    return [c if isinstance(c, Case) else load_case(c) for c in cases]


def _default_shared(cases: Sequence[Case]) -> tuple[str, ...]:
    common = set(cases[0].shared)
    for case in cases[1:]:
        common &= set(case.shared)
    return tuple(name for name in cases[0].shared if name in common)


def _objectives(
    cases: Sequence[Case],
    simulators: Mapping[str, Simulator] | None,
    holdout_from: float | None,
    scheduler: Any,
) -> list[Objective]:
    out = []
    for case in cases:
        simulator = (simulators or {}).get(case.name) or get_simulator(case)
        out.append(Objective(case, simulator, holdout_from=holdout_from, scheduler=scheduler))
    return out


def _joint_settings(
    cases: Sequence[Case], settings: FitSettings | None, options: dict[str, Any]
) -> FitSettings:
    if settings is None:
        tables = [dict(c.fit) for c in cases]
        holdouts = {t.get("holdout_from") for t in tables}
        if len(holdouts) > 1:
            raise CalibrationError(
                "the cases declare different holdout_from years in [fit] "
                f"({sorted(map(str, holdouts))}); give holdout_from explicitly"
            )
    return resolve_settings(dict(cases[0].fit), settings, options)


def calibrate_joint(
    cases: Sequence[Case | str | os.PathLike[str]],
    *,
    shared: Sequence[str] | None = None,
    settings: FitSettings | None = None,
    seed: int | None = None,
    holdout_from: float | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    simulators: Mapping[str, Simulator] | None = None,
    **options: Any,
) -> CalibrationResult:
    """Fit several cases at once with shared structural parameters.

    Parameters
    ----------
    cases : sequence of Case, str or path-like
        At least two cases.
    shared : sequence of str, optional
        Shared parameters (default: those every case lists in ``[joint] shared``).
    settings : FitSettings, optional
        Default: the first case's ``[fit]`` table (the cases must agree on
        ``holdout_from``).
    simulators : mapping of case name to Simulator, optional
        Override the simulator of some cases (default: the batch engine).
    seed, holdout_from, scheduler, progress, **options
        As :func:`~gvc_upgrading.calibration.calibrate`.

    Returns
    -------
    CalibrationResult
        ``case`` is the case names joined by ``"+"``; series and local
        parameters are prefixed with ``"<case>: "``; ``case_params`` holds one
        parameter set per case; :meth:`CalibrationResult.for_case` extracts one.

    Raises
    ------
    CalibrationError
        When the joint parameter vector exceeds the parameter budget (one
        free parameter per ``observations_per_parameter`` in-sample
        observations over all cases), before any simulation.
    """
    loaded = _load(cases)
    chosen = _joint_settings(loaded, settings, options)
    if seed is not None:
        chosen = chosen.updated(seed=seed)
    if holdout_from is not None:
        chosen = chosen.updated(holdout_from=holdout_from)
    names = tuple(shared) if shared is not None else _default_shared(loaded)
    objective = JointObjective(
        _objectives(loaded, simulators, chosen.holdout_from, scheduler), names
    )
    return calibrate_objective(
        objective, label="+".join(c.name for c in loaded), settings=chosen, progress=progress
    )


@dataclass(frozen=True)
class LeaveOneCaseOut:
    """Result of :func:`leave_one_case_out`.

    Attributes
    ----------
    shared_estimates : pandas.DataFrame
        Shared parameters estimated from all cases (row ``"none"``) and with
        each case left out (row = the left-out case).
    statistics : pandas.DataFrame
        Fit statistics of each left-out case when its shared parameters come
        from the other cases and only its own parameters are refitted
        (columns ``left_out`` plus the statistics columns).
    """

    shared_estimates: pd.DataFrame
    statistics: pd.DataFrame


def leave_one_case_out(
    cases: Sequence[Case | str | os.PathLike[str]],
    *,
    shared: Sequence[str] | None = None,
    n_starts: int = 4,
    seed: int = 0,
    holdout_from: float | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    simulators: Mapping[str, Simulator] | None = None,
) -> LeaveOneCaseOut:
    """Check how shared parameters transfer: fit without each case, then predict it.

    For every case: the shared parameters are estimated jointly from the other
    cases (a single-case fit when only one other remains), then the left-out
    case's own parameters are fitted with the shared ones held there, and its
    fit statistics are reported.
    """
    loaded = _load(cases)
    if len(loaded) < 2:
        raise CalibrationError("leave-one-case-out needs at least two cases")
    names = tuple(shared) if shared is not None else _default_shared(loaded)
    if not names:
        raise CalibrationError("the cases share no parameter; nothing to leave out")
    options = FitSettings(n_starts=n_starts, seed=seed, profile=False)

    def fit(subset: list[Case]) -> dict[str, float]:
        objectives = _objectives(subset, simulators, holdout_from, scheduler)
        objective = objectives[0] if len(subset) == 1 else JointObjective(objectives, names)
        result = calibrate_objective(
            objective,
            label="+".join(c.name for c in subset),
            settings=options,
            progress=progress,
            enforce_budget=False,
        )
        return {n: float(result.estimates[n]) for n in names}

    rows = {"none": fit(loaded)}
    tables = []
    for case in loaded:
        others = [c for c in loaded if c.name != case.name]
        held = fit(others)
        rows[case.name] = held
        (objective,) = _objectives([case], simulators, holdout_from, scheduler)
        local = Objective(
            case, objective.simulator, holdout_from=holdout_from, scheduler=scheduler, fixed=held
        )
        result = calibrate_objective(
            local, label=case.name, settings=options, progress=progress, enforce_budget=False
        )
        obs = local.observations
        fitted = local.predict_levels(result.estimate[None, :])[0]
        table = statistics_table(obs.target, obs.time, fitted, obs.level, obs.in_sample)
        table.insert(0, "left_out", case.name)
        tables.append(table)
    shared_estimates = pd.DataFrame.from_dict(rows, orient="index")
    shared_estimates.index.name = "left_out"
    return LeaveOneCaseOut(shared_estimates, pd.concat(tables, ignore_index=True))
