"""The calibration objective: normalised residuals for many parameter sets at once.

:func:`build_observations` turns a case's targets into one flat vector of
observations (converted to model units, dated in model time, weighted, split
into in-sample and hold-out). :class:`Objective` maps a matrix of parameter
sets ``(k, p)`` to model predictions at the observed times ``(k, m)`` with one
batch call of the simulator, and from there to normalised residuals

    r = sqrt(weight) * (T(model) - T(data)) / sd

where ``T`` is the target's transform and ``sd`` its error model. Model output
saved on a time grid is interpolated linearly to decimal observation years.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import CalibrationError, DataError, SimulationError, SpecError
from .case import Case, check_case, interpolate_data
from .simulator import Simulator

__all__ = [
    "CONSTRAINT_WEIGHT",
    "PENALTY",
    "Objective",
    "Observations",
    "ResidualsMixin",
    "build_observations",
]

#: Residual given to a prediction that is not finite (a failed run).
PENALTY = 1e6
#: Weight of a plausibility constraint's penalty residual: a relative violation of
#: 10% in one year costs as much as one observation missed by one standard deviation
#: (modelling choice: soft enough for the optimizer's gradient, strong enough that a
#: fit does not trade a visible violation for a small gain in the data).
CONSTRAINT_WEIGHT = 10.0


@dataclass(frozen=True)
class Observations:
    """A case's observations as flat arrays (one entry per observation).

    ``level`` is in model units on the level scale (before the target's
    transform); ``time`` is model time (``year + year_offset``).
    """

    target: np.ndarray
    variable: np.ndarray
    year: np.ndarray
    time: np.ndarray
    level: np.ndarray
    weight: np.ndarray
    in_sample: np.ndarray
    verified: np.ndarray

    def __len__(self) -> int:
        return len(self.level)

    def to_frame(self) -> pd.DataFrame:
        """Return the observations as a table."""
        return pd.DataFrame({k: getattr(self, k) for k in self.__dataclass_fields__})


def build_observations(case: Case, *, holdout_from: float | None = None) -> Observations:
    """Collect a case's target observations.

    Parameters
    ----------
    case : Case
    holdout_from : float, optional
        Observations whose data year is at or after this year are held out of
        the fit (kept for hold-out statistics).

    Returns
    -------
    Observations
        Ordered by target (in case order), then time.

    Raises
    ------
    DataError
        If an observation falls outside the case's time span, a target has no
        usable observation, a log target meets a non-positive value, a share
        target a value outside [0, 1], or the fit would have no in-sample
        observation.
    """
    columns: dict[str, list] = {k: [] for k in Observations.__dataclass_fields__}
    data = case.data
    for target in case.targets:
        rows = []
        for component in target.components:
            part = data[
                (data["variable"] == component.variable)
                & (data["year"] >= component.first_year)
                & (data["year"] <= component.last_year)
            ].copy()
            time = part["year"].to_numpy(float) + component.year_offset
            level = part["value"].to_numpy() * component.scale
            if component.divide_by:
                # converted at the time the reading is compared with the model, where
                # the model's own conversion (e.g. the exchange-rate driver) applies
                level = level / interpolate_data(
                    data, component.divide_by, time, case.name, readings=part["year"]
                )
            part["level"] = level
            part["time"] = time
            rows.append(part)
        frame = pd.concat(rows).sort_values("time", kind="stable")
        weight = frame["weight"].to_numpy() * np.where(
            frame["verified"].to_numpy(), 1.0, case.unverified_weight
        )
        frame = frame[weight > 0].assign(weight=weight[weight > 0])
        if frame.empty:
            raise DataError(
                f"case {case.name!r}: target {target.name!r} has no usable observation "
                "(all rows unverified or zero weight)"
            )
        outside = (frame["time"] < case.start - 1e-9) | (frame["time"] > case.end + 1e-9)
        if outside.any():
            bad = frame[outside].iloc[0]
            raise DataError(
                f"case {case.name!r}: observation of {bad['variable']!r} in {bad['year']:g} "
                f"(model time {bad['time']:g}) lies outside the time span "
                f"{case.start:g}-{case.end:g}"
            )
        level = frame["level"].to_numpy(dtype=float)
        if target.transform == "log" and (level <= 0).any():
            raise DataError(
                f"case {case.name!r}: target {target.name!r} uses a log transform but has "
                "non-positive observations"
            )
        if target.transform == "share" and ((level < 0) | (level > 1)).any():
            raise DataError(
                f"case {case.name!r}: target {target.name!r} is a share but scaled observations "
                "leave [0, 1]; check its scale (e.g. 0.01 for percent)"
            )
        if target.error.kind == "relative" and target.transform != "log" and (level == 0).any():
            raise DataError(
                f"case {case.name!r}: target {target.name!r} has a relative error model and a "
                "zero observation; use an absolute error model"
            )
        columns["target"] += [target.name] * len(frame)
        columns["variable"] += list(frame["variable"])
        columns["year"] += list(frame["year"])
        columns["time"] += list(frame["time"])
        columns["level"] += list(level)
        columns["weight"] += list(frame["weight"] * target.weight)
        columns["verified"] += list(frame["verified"])
        held = (
            np.zeros(len(frame), bool)
            if holdout_from is None
            else frame["year"].to_numpy() >= holdout_from
        )
        columns["in_sample"] += list(~held)
    arrays = {k: np.asarray(v) for k, v in columns.items()}
    arrays["target"] = arrays["target"].astype(str)
    arrays["variable"] = arrays["variable"].astype(str)
    for key in ("year", "time", "level", "weight"):
        arrays[key] = arrays[key].astype(float)
    arrays["in_sample"] = arrays["in_sample"].astype(bool)
    arrays["verified"] = arrays["verified"].astype(bool)
    if not arrays["in_sample"].any():
        raise DataError(
            f"case {case.name!r}: holding out from {holdout_from:g} leaves no observation to fit"
        )
    for value in arrays.values():
        value.setflags(write=False)
    return Observations(**arrays)


class ResidualsMixin:
    """Normalised residuals and cost from ``predict``, ``y``, ``factor`` and ``fit``.

    Also the mapping between parameter values and the unit cube of the
    search bounds ``lower``, ``upper``.
    """

    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    y: np.ndarray
    factor: np.ndarray
    fit: np.ndarray

    def predict(self, theta: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def n_params(self) -> int:
        """Number of free parameters in the vector."""
        return len(self.names)

    def to_theta(self, unit: np.ndarray) -> np.ndarray:
        """Map unit-cube coordinates to parameter values."""
        return self.lower + np.asarray(unit, float) * (self.upper - self.lower)

    def to_unit(self, theta: np.ndarray) -> np.ndarray:
        """Map parameter values to unit-cube coordinates."""
        return (np.asarray(theta, float) - self.lower) / (self.upper - self.lower)

    def residuals_from(
        self, predicted: np.ndarray, y: np.ndarray | None = None, mask: np.ndarray | None = None
    ) -> np.ndarray:
        """Normalised residuals from transformed predictions ``(k, m)``.

        ``y`` (``(m,)`` or ``(k, m)``) replaces the observations (bootstrap);
        ``mask`` selects observations (default: in-sample). Non-finite
        residuals become :data:`PENALTY`.
        """
        mask = self.fit if mask is None else mask
        y = self.y if y is None else y
        r = (predicted - y) * self.factor
        r = np.where(np.isfinite(r), r, PENALTY)
        return r[..., mask]

    def predict_full(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Transformed predictions ``(k, m)`` and constraint penalties ``(k, c)``."""
        predicted = self.predict(theta)
        return predicted, np.zeros((predicted.shape[0], 0))

    def prior_residuals(self, theta: np.ndarray) -> np.ndarray:
        """Prior residuals ``(k, q)`` of the parameters that carry an informative prior."""
        theta = np.atleast_2d(np.asarray(theta, float))
        priors = getattr(self, "priors", {}) or {}
        columns = [
            priors[name].residual(theta[:, j])
            for j, name in enumerate(self.names)
            if priors.get(name) is not None and priors[name].dist != "uniform"
        ]
        if not columns:
            return np.zeros((theta.shape[0], 0))
        return np.stack(columns, axis=1)

    def data_residuals(self, theta: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
        """In-sample data residuals and constraint penalties (no prior), ``(k, m + c)``."""
        predicted, penalty = self.predict_full(theta)
        return np.hstack([self.residuals_from(predicted, y), penalty])

    def residuals(
        self,
        theta: np.ndarray,
        y: np.ndarray | None = None,
        prior_shift: np.ndarray | None = None,
    ) -> np.ndarray:
        """Residuals the fit minimises for parameter sets ``theta`` ``(k, p)``.

        In-sample data residuals, then the prior residuals (the posterior
        mode is the least-squares solution), then constraint penalties.
        ``y`` replaces the in-sample observations and ``prior_shift``
        (``(q,)`` or ``(k, q)``, in prior standard deviations) moves the
        centre of each informative prior (bootstrap refits).
        """
        theta = np.atleast_2d(np.asarray(theta, float))
        predicted, penalty = self.predict_full(theta)
        prior = self.prior_residuals(theta)
        if prior_shift is not None:
            prior = prior - prior_shift
        return np.hstack([self.residuals_from(predicted, y), prior, penalty])

    def cost(self, theta: np.ndarray) -> np.ndarray:
        """Half the sum of squared residuals (data + prior + constraints), per parameter set."""
        r = self.residuals(theta)
        return 0.5 * np.sum(r * r, axis=-1)


class Objective(ResidualsMixin):
    """Normalised residuals of a case for batches of parameter sets.

    Parameters
    ----------
    case : Case
    simulator : Simulator
    holdout_from : float, optional
        See :func:`build_observations`.
    scheduler : optional
        Passed to the simulator (dask scheduler for the batch engine).
    fixed : mapping of str to float, optional
        Free parameters to hold at a value (they leave the parameter vector).

    Attributes
    ----------
    names : tuple of str
        The free parameters, in vector order.
    lower, upper : numpy.ndarray
    observations : Observations
    n_runs, n_calls : int
        Simulated runs and simulator calls so far.
    """

    def __init__(
        self,
        case: Case,
        simulator: Simulator,
        *,
        holdout_from: float | None = None,
        scheduler: Any = None,
        fixed: Mapping[str, float] | None = None,
    ) -> None:
        check_case(case, simulator.parameters, simulator.variable_names)
        if case.start < simulator.initial_time - 1e-9 or case.end > simulator.final_time + 1e-9:
            raise SpecError(
                f"case {case.name!r}: time span {case.start:g}-{case.end:g} leaves the model's "
                f"span {simulator.initial_time:g}-{simulator.final_time:g}"
            )
        self.case = case
        self.simulator = simulator
        self.scheduler = scheduler
        self.holdout_from = holdout_from
        self.held_fixed = dict(fixed or {})
        unknown = sorted(set(self.held_fixed) - set(case.free_names))
        if unknown:
            raise CalibrationError(
                f"case {case.name!r}: cannot hold {unknown} fixed; they are not free parameters"
            )
        free = [p for p in case.free if p.name not in self.held_fixed]
        self.names = tuple(p.name for p in free)
        self.lower = np.array([p.lower for p in free])
        self.upper = np.array([p.upper for p in free])
        self.priors = {p.name: p.prior for p in free if p.prior is not None}
        self.initial = (
            np.array(
                [p.initial if p.initial is not None else 0.5 * (p.lower + p.upper) for p in free]
            )
            if any(p.initial is not None for p in free)
            else None
        )
        self.observations = build_observations(case, holdout_from=holdout_from)
        self.fixed = case.fixed_parameters()
        grid = np.arange(simulator.initial_time, simulator.final_time + 1e-9, 1.0 / 32)
        self.inputs = case.input_series(grid)
        known = set(simulator.parameters.index)
        self.drivers_used = tuple(d.input for d in case.drivers if d.input in known)
        self.drivers_ignored = tuple(d.input for d in case.drivers if d.input not in known)
        for driver in case.drivers:
            if driver.input in known:
                self.inputs[driver.input] = driver.series(case.data, grid, case.start)
        self.final_time = float(min(np.ceil(case.end), simulator.final_time))
        self.columns = tuple(dict.fromkeys(t.model_variable for t in case.targets))
        self.constraint_columns = tuple(
            dict.fromkeys(v for c in case.constraints for v in c.variables)
        )
        self._targets = {t.name: t for t in case.targets}
        obs = self.observations
        self._transform = np.array([self._targets[t].transform == "log" for t in obs.target])
        # The hold-out is locked: its values never enter the arrays the fit, the
        # bootstrap or the profiles read (NaN here), only the scoring after the fit.
        held = ~obs.in_sample
        self.y = np.where(held, np.nan, self.transform(obs.level[None, :])[0])
        self.sd = np.array([np.nan if held[i] else self._sd(i) for i in range(len(obs))])
        self.factor = np.sqrt(obs.weight) / self.sd
        self.fit = obs.in_sample.copy()
        self.n_runs = 0
        self.n_calls = 0

    # ---------------------------------------------------------------- helpers
    def _sd(self, i: int) -> float:
        target = self._targets[self.observations.target[i]]
        if target.error.kind == "absolute":
            return target.error.value
        if target.transform == "log":
            return target.error.value
        return target.error.value * abs(self.observations.level[i])

    def transform(self, level: np.ndarray) -> np.ndarray:
        """Apply each observation's target transform to levels ``(k, m)``."""
        level = np.asarray(level, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            logged = np.log(np.where(level > 0, level, np.nan))
        return np.where(self._transform, logged, level)

    def samples(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """The simulator's ``samples`` for parameter sets ``theta`` ``(k, p)``."""
        theta = np.atleast_2d(np.asarray(theta, float))
        k = theta.shape[0]
        free = {p.name: p for p in self.case.free}
        out = {name: np.full(k, value) for name, value in self.fixed.items()}
        out.update({n: np.full(k, v) for n, v in self.held_fixed.items() if not free[n].nuisance})
        for j, name in enumerate(self.names):
            if not free[name].nuisance:
                out[name] = theta[:, j].copy()
        return out

    def simulate(self, theta: np.ndarray, columns=None) -> xr.Dataset:
        """Run the model for parameter sets ``theta`` ``(k, p)``."""
        theta = np.atleast_2d(np.asarray(theta, float))
        self.n_calls += 1
        self.n_runs += theta.shape[0]
        wanted = list(columns or dict.fromkeys(self.columns + self.constraint_columns))
        return self.simulator.run(
            self.samples(theta),
            return_columns=wanted,
            inputs=self.inputs,
            scheduler=self.scheduler,
            final_time=self.final_time,
        )

    def _interpolate(self, dataset: xr.Dataset, k: int) -> np.ndarray:
        obs = self.observations
        times = dataset["time"].to_numpy().astype(float)
        index = np.clip(np.searchsorted(times, obs.time, side="right") - 1, 0, len(times) - 2)
        frac = (obs.time - times[index]) / (times[index + 1] - times[index])
        out = np.empty((k, len(obs)))
        for name in self.columns:
            values = dataset[name].transpose("run", "time").to_numpy().reshape(k, len(times))
            for target in self.case.targets:
                if target.model_variable != name:
                    continue
                mask = obs.target == target.name
                i = index[mask]
                out[:, mask] = values[:, i] * (1 - frac[mask]) + values[:, i + 1] * frac[mask]
        return out

    def _penalties(self, dataset: xr.Dataset, k: int) -> np.ndarray:
        """Constraint penalty residuals ``(k, c)`` from a simulation."""
        constraints = self.case.constraints
        out = np.zeros((k, len(constraints)))
        if not constraints:
            return out
        times = dataset["time"].to_numpy().astype(float)
        for j, c in enumerate(constraints):
            start = self.case.start if c.start is None else c.start
            end = self.case.end if c.end is None else c.end
            pick = (times >= start - 1e-9) & (times <= end + 1e-9)
            left = dataset[c.left].transpose("run", "time").to_numpy().reshape(k, -1)[:, pick]
            if c.right is None:
                right = np.full_like(left, c.value)
            else:
                right = dataset[c.right].transpose("run", "time").to_numpy().reshape(k, -1)
                right = right[:, pick]
            right = c.factor * right
            gap = right - left if c.op == ">=" else left - right
            with np.errstate(divide="ignore", invalid="ignore"):
                violation = np.maximum(gap, 0.0) / np.maximum(np.abs(right), 1e-12)
            value = CONSTRAINT_WEIGHT * np.sqrt(np.sum(violation * violation, axis=1))
            out[:, j] = np.where(np.isfinite(value), value, PENALTY)
        return out

    def constraint_report(self, theta: np.ndarray) -> list[dict[str, Any]]:
        """Per constraint at ``theta`` (one set): largest relative violation; does it bind."""
        theta = np.atleast_2d(np.asarray(theta, float))[:1]
        _, penalty = self.levels_and_penalties(theta)
        report = []
        for j, c in enumerate(self.case.constraints):
            size = float(penalty[0, j]) / CONSTRAINT_WEIGHT
            report.append(
                {
                    "case": self.case.name,
                    "name": c.name,
                    "violation": size,
                    "binding": bool(size > 1e-4),
                }
            )
        return report

    def levels_and_penalties(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Level predictions ``(k, m)`` and constraint penalties ``(k, c)`` from one batch.

        Runs that fail (non-finite values) give NaN rows and zero penalties
        (their data residuals already carry :data:`PENALTY`).
        """
        theta = np.atleast_2d(np.asarray(theta, float))
        k = theta.shape[0]
        try:
            dataset = self.simulate(theta)
            levels = self._interpolate(dataset, k)
            penalties = self._penalties(dataset, k)
        except SimulationError:
            if k == 1:
                return (
                    np.full((1, len(self.observations)), np.nan),
                    np.zeros((1, len(self.case.constraints))),
                )
            half = k // 2
            a, b = self.levels_and_penalties(theta[:half]), self.levels_and_penalties(theta[half:])
            return np.vstack([a[0], b[0]]), np.vstack([a[1], b[1]])
        return self._scaled(theta, levels), penalties

    def predict_levels(self, theta: np.ndarray) -> np.ndarray:
        """Model predictions on the level scale at every observation, ``(k, m)``.

        Runs that fail (non-finite values) give NaN rows.
        """
        return self.levels_and_penalties(theta)[0]

    def predict_full(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Transformed predictions ``(k, m)`` and constraint penalties ``(k, c)``."""
        levels, penalties = self.levels_and_penalties(theta)
        return self.transform(levels), penalties

    def _scaled(self, theta: np.ndarray, levels: np.ndarray) -> np.ndarray:
        obs = self.observations
        for j, name in enumerate(self.names):
            for target in self.case.targets:
                if target.scale_parameter == name:
                    levels[:, obs.target == target.name] *= theta[:, j : j + 1]
        for name, value in self.held_fixed.items():
            for target in self.case.targets:
                if target.scale_parameter == name:
                    levels[:, obs.target == target.name] *= value
        return levels

    def predict(self, theta: np.ndarray) -> np.ndarray:
        """Transformed predictions at every observation, ``(k, m)``."""
        return self.transform(self.predict_levels(theta))

    def trajectories(self, theta: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Simulated paths of the targeted variables.

        Returns
        -------
        times : numpy.ndarray
        names : list of str
        paths : numpy.ndarray
            ``(k, variable, time)``.
        """
        theta = np.atleast_2d(np.asarray(theta, float))
        dataset = self.simulate(theta, columns=self.columns)
        names = list(self.columns)
        paths = np.stack([dataset[n].transpose("run", "time").to_numpy() for n in names], axis=1)
        return dataset["time"].to_numpy().astype(float), names, paths

    def series_info(self) -> dict[str, dict[str, str]]:
        """Per target: its trajectory name and free scale parameter (``""`` if none)."""
        return {
            t.name: {"variable": t.model_variable, "scale_parameter": t.scale_parameter or ""}
            for t in self.case.targets
        }

    def case_params(self, theta: np.ndarray) -> dict[str, dict[str, object]]:
        """``{case name: Model.run params}`` reproducing parameter vector ``theta``."""
        free = {p.name: p for p in self.case.free}
        params: dict[str, object] = dict(self.fixed)
        for name, value in self.held_fixed.items():
            if not free[name].nuisance:
                params[name] = float(value)
        for name, value in zip(self.names, np.asarray(theta, float), strict=True):
            if not free[name].nuisance:
                params[name] = float(value)
        params.update(self.inputs)
        return {self.case.name: params}
