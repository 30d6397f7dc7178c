"""The immutable result of a calibration."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..provenance import provenance_attrs
from .statistics import STATISTIC_COLUMNS
from .uncertainty import Profile

__all__ = ["CalibrationResult"]


def _frozen(array: Any, dtype=float) -> np.ndarray:
    out = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def _freeze_mapping(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(
        {k: (_freeze_mapping(v) if isinstance(v, Mapping) else v) for k, v in mapping.items()}
    )


@dataclass(frozen=True)
class CalibrationResult:
    """Estimates, intervals, fit statistics and diagnostics of one calibration.

    Instances are immutable: arrays are read-only, mappings are read-only
    views, and the table properties return fresh copies.

    Attributes
    ----------
    case : str
        Case name (``"a+b"`` for a joint fit).
    method : str
        ``"multistart"`` or ``"differential_evolution"``.
    parameter_names : tuple of str
    estimate : numpy.ndarray
        Best-fit values, in ``parameter_names`` order.
    search_lower, search_upper : numpy.ndarray
        The search bounds.
    level : float
        Coverage of :attr:`interval`.
    interval : numpy.ndarray
        ``(p, 2)`` bootstrap percentile interval (profile-likelihood interval
        when no bootstrap was run; NaN when neither).
    interval_method : str
        ``"bootstrap"``, ``"profile"`` or ``"none"``.
    objective : float
        Half the sum of squared normalised in-sample residuals at the estimate.
    bootstrap : numpy.ndarray
        ``(B, p)`` refitted parameters (empty when none).
    mcmc : numpy.ndarray
        ``(n, p)`` posterior draws (empty when not run).
    profiles : tuple of Profile
    diagnostics : Mapping
        Optimizer report (method, success, message, nfev, runs, calls,
        costs of every start, seconds, seed, ...).
    case_params : Mapping
        Per case, the model parameters (free estimates, overrides, event
        constants and input series) that reproduce the fit with
        ``Model.run(params=...)``.
    observations : pandas.DataFrame
        One row per observation, with ``fitted`` (model level at the estimate).
    times : numpy.ndarray
        Time grid of the trajectories.
    trajectory_names : tuple of str
    trajectories : numpy.ndarray
        ``(variable, time)`` model trajectories at the estimate.
    ensemble : numpy.ndarray
        ``(replicate, variable, time)`` trajectories of the bootstrap refits.
    series_info : Mapping
        Per fitted series: ``variable`` (its trajectory name) and
        ``scale_parameter`` (free scale factor applied to it, or ``""``).
    """

    case: str
    method: str
    parameter_names: tuple[str, ...]
    estimate: np.ndarray
    search_lower: np.ndarray
    search_upper: np.ndarray
    level: float
    interval: np.ndarray
    interval_method: str
    objective: float
    bootstrap: np.ndarray
    mcmc: np.ndarray
    profiles: tuple[Profile, ...]
    diagnostics: Mapping[str, Any]
    case_params: Mapping[str, Mapping[str, Any]]
    observations_table: pd.DataFrame = field(repr=False)
    statistics_table: pd.DataFrame = field(repr=False)
    times: np.ndarray = field(repr=False)
    trajectory_names: tuple[str, ...] = ()
    trajectories: np.ndarray = field(default=None, repr=False)
    ensemble: np.ndarray = field(default=None, repr=False)
    series_info: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in (
            "estimate",
            "search_lower",
            "search_upper",
            "interval",
            "bootstrap",
            "mcmc",
            "times",
            "trajectories",
            "ensemble",
        ):
            value = getattr(self, name)
            object.__setattr__(self, name, _frozen(value if value is not None else []))
        object.__setattr__(self, "diagnostics", _freeze_mapping(dict(self.diagnostics)))
        object.__setattr__(
            self,
            "case_params",
            MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.case_params.items()}),
        )
        object.__setattr__(self, "series_info", _freeze_mapping(dict(self.series_info)))
        object.__setattr__(self, "observations_table", self.observations_table.copy())
        object.__setattr__(self, "statistics_table", self.statistics_table.copy())

    # ------------------------------------------------------------------ views
    @property
    def estimates(self) -> pd.Series:
        """Best-fit values indexed by parameter name (a copy)."""
        return pd.Series(self.estimate, index=pd.Index(self.parameter_names, name="parameter"))

    @property
    def intervals(self) -> pd.DataFrame:
        """Estimate, interval bounds and identifiability verdict per parameter (a copy)."""
        verdicts = {p.parameter: p.verdict for p in self.profiles}
        return pd.DataFrame(
            {
                "estimate": self.estimate,
                "lower": self.interval[:, 0] if self.interval.size else np.nan,
                "upper": self.interval[:, 1] if self.interval.size else np.nan,
                "search_lower": self.search_lower,
                "search_upper": self.search_upper,
                "identifiability": [verdicts.get(n, "") for n in self.parameter_names],
            },
            index=pd.Index(self.parameter_names, name="parameter"),
        )

    @property
    def statistics(self) -> pd.DataFrame:
        """Fit statistics per series and sample (columns of :data:`STATISTIC_COLUMNS`)."""
        return self.statistics_table.copy()

    @property
    def observations(self) -> pd.DataFrame:
        """The observations with the fitted model values (a copy)."""
        return self.observations_table.copy()

    def series_band(
        self, series: str, quantiles: tuple[float, float] = (0.05, 0.95)
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Fitted path of one series and its bootstrap band, on the series' scale.

        Returns
        -------
        fitted : numpy.ndarray
            Over :attr:`times`.
        band : numpy.ndarray or None
            ``(2, time)`` quantiles of the bootstrap ensemble (None without bootstrap).
        """
        info = self.series_info[series]
        j = self.trajectory_names.index(info["variable"])
        scale = np.ones(1 + len(self.bootstrap))
        if info["scale_parameter"]:
            k = self.parameter_names.index(info["scale_parameter"])
            scale = np.concatenate([[self.estimate[k]], self.bootstrap[:, k]])
        fitted = self.trajectories[j] * scale[0]
        if not self.ensemble.size:
            return fitted, None
        paths = self.ensemble[:, j, :] * scale[1:, None]
        return fitted, np.quantile(paths, list(quantiles), axis=0)

    @property
    def params(self) -> dict[str, Any]:
        """Parameters for ``Model.run(params=...)`` that reproduce the fit.

        Raises
        ------
        KeyError
            For a joint fit (use ``case_params[case]``).
        """
        if len(self.case_params) != 1:
            raise KeyError(
                f"a joint fit has parameters per case; use case_params[...] with one of "
                f"{list(self.case_params)}"
            )
        return dict(next(iter(self.case_params.values())))

    # ------------------------------------------------------------------ export
    def to_dataset(self) -> xr.Dataset:
        """Return everything as an ``xarray.Dataset`` (writable to netCDF).

        Data variables: ``estimate, interval, search_lower, search_upper``
        over ``parameter``; ``bootstrap`` over ``(replicate, parameter)``;
        ``trajectory`` over ``(variable, time)`` and ``ensemble`` over
        ``(replicate, variable, time)``; observation columns over ``obs``;
        statistics columns over ``stat``; profiles over ``(parameter, point)``.
        Mappings (diagnostics, parameters) are JSON strings in ``attrs``.
        """
        p = len(self.parameter_names)
        coords = {
            "parameter": list(self.parameter_names),
            "bound": ["lower", "upper"],
            "time": self.times,
            "variable": list(self.trajectory_names),
        }
        data: dict[str, Any] = {
            "estimate": ("parameter", self.estimate),
            "interval": (("parameter", "bound"), self.interval.reshape(p, 2)),
            "search_lower": ("parameter", self.search_lower),
            "search_upper": ("parameter", self.search_upper),
        }
        if self.bootstrap.size:
            data["bootstrap"] = (("replicate", "parameter"), self.bootstrap)
        if self.mcmc.size:
            data["mcmc"] = (("draw", "parameter"), self.mcmc)
        if self.trajectories.size:
            data["trajectory"] = (("variable", "time"), self.trajectories)
        if self.ensemble.size:
            data["ensemble"] = (("replicate", "variable", "time"), self.ensemble)
        obs = self.observations_table
        for column in obs.columns:
            values = obs[column].to_numpy()
            if values.dtype != bool and not np.issubdtype(values.dtype, np.number):
                values = values.astype(str)
            data[f"obs_{column}"] = ("obs", values)
        stats = self.statistics_table
        for column in STATISTIC_COLUMNS:
            values = stats[column].to_numpy()
            values = values.astype(str if column in ("series", "sample") else float)
            data[f"stat_{column}"] = ("stat", values)
        if self.profiles:
            width = max(len(pr.values) for pr in self.profiles)
            values = np.full((p, width), np.nan)
            deviance = np.full((p, width), np.nan)
            for j, profile in enumerate(self.profiles):
                values[j, : len(profile.values)] = profile.values
                deviance[j, : len(profile.deviance)] = profile.deviance
            data["profile_value"] = (("parameter", "point"), values)
            data["profile_deviance"] = (("parameter", "point"), deviance)
            data["profile_verdict"] = (
                "parameter",
                np.array([pr.verdict for pr in self.profiles], dtype=str),
            )
        attrs = {
            "case": self.case,
            "method": self.method,
            "level": float(self.level),
            "interval_method": self.interval_method,
            "objective": float(self.objective),
            "diagnostics": json.dumps(_jsonable(self.diagnostics)),
            "params": json.dumps(_jsonable(self.case_params)),
            "series_info": json.dumps(_jsonable(self.series_info)),
            "seed": int(self.diagnostics.get("seed", -1)),
            **provenance_attrs(
                model_sha256=str(self.diagnostics.get("model_sha256", "")),
                model_file=str(self.diagnostics.get("model_file", "")),
            ),
        }
        return xr.Dataset(data, coords=coords, attrs=attrs)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.Series):
        return {"time": value.index.to_numpy(float).tolist(), "value": value.to_numpy().tolist()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
