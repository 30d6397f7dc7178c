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
    status : tuple of str
        Per parameter, what the estimate means (see
        :func:`~gvc_upgrading.calibration.bands.identifiability_status`):
        ``identifiable``, ``practically non-identifiable``, ``moves no
        target``, ``on bound, pushed there by the data``, ``on bound, not
        determined by the data`` or ``not profiled``.
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
    trajectories: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    ensemble: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 0)), repr=False)
    series_info: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)
    status: tuple[str, ...] = ()

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
        object.__setattr__(self, "status", tuple(self.status))

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
                "status": list(self.status) or [""] * len(self.parameter_names),
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
            data["profile_threshold"] = (
                "parameter",
                np.array([pr.threshold for pr in self.profiles], dtype=float),
            )
            data["profile_interval"] = (
                ("parameter", "bound"),
                np.array([pr.interval for pr in self.profiles], dtype=float).reshape(p, 2),
            )
        if self.status:
            data["status"] = ("parameter", np.array(self.status, dtype=str))
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

    # ------------------------------------------------------------------ import
    @classmethod
    def from_dataset(cls, dataset: xr.Dataset) -> CalibrationResult:
        """Rebuild a result from :meth:`to_dataset` (e.g. a stored ``ensemble.nc``).

        Columns a dataset written by an older version lacks (benchmarks,
        bands, status) come back as NaN or empty.
        """
        ds = dataset
        names = tuple(str(n) for n in ds["parameter"].to_numpy())
        p = len(names)

        def get(name: str, default: Any) -> np.ndarray:
            return ds[name].to_numpy() if name in ds else default

        obs = pd.DataFrame(
            {str(v)[4:]: ds[v].to_numpy() for v in ds.data_vars if str(v).startswith("obs_")}
        )
        for column in ("target", "variable"):
            if column in obs:
                obs[column] = obs[column].astype(str)
        for column in ("in_sample", "verified"):
            if column in obs:
                obs[column] = obs[column].astype(bool)
        stats = pd.DataFrame(
            {
                column: (
                    ds[f"stat_{column}"].to_numpy()
                    if f"stat_{column}" in ds
                    else np.full(ds.sizes.get("stat", 0), np.nan)
                )
                for column in STATISTIC_COLUMNS
            }
        )
        for column in ("series", "sample"):
            stats[column] = stats[column].astype(str)
        stats["n"] = stats["n"].astype(int)
        profiles: tuple[Profile, ...] = ()
        if "profile_value" in ds:
            threshold = get("profile_threshold", np.full(p, np.nan))
            bounds = get("profile_interval", np.full((p, 2), np.nan))
            items = []
            for j, name in enumerate(names):
                values = ds["profile_value"].to_numpy()[j]
                keep = np.isfinite(values)
                items.append(
                    Profile(
                        name,
                        values[keep],
                        ds["profile_deviance"].to_numpy()[j][keep],
                        float(threshold[j]),
                        (float(bounds[j, 0]), float(bounds[j, 1])),
                        str(ds["profile_verdict"].to_numpy()[j]),
                    )
                )
            profiles = tuple(items)
        variables = tuple(str(v) for v in ds["variable"].to_numpy()) if "variable" in ds else ()
        times = ds["time"].to_numpy().astype(float) if "time" in ds else np.empty(0)
        params = {
            case: {k: _from_json(v) for k, v in values.items()}
            for case, values in json.loads(ds.attrs.get("params", "{}")).items()
        }
        return cls(
            case=str(ds.attrs["case"]),
            method=str(ds.attrs["method"]),
            parameter_names=names,
            estimate=ds["estimate"].to_numpy(),
            search_lower=ds["search_lower"].to_numpy(),
            search_upper=ds["search_upper"].to_numpy(),
            level=float(ds.attrs["level"]),
            interval=ds["interval"].to_numpy(),
            interval_method=str(ds.attrs["interval_method"]),
            objective=float(ds.attrs["objective"]),
            bootstrap=get("bootstrap", np.empty((0, p))),
            mcmc=get("mcmc", np.empty((0, p))),
            profiles=profiles,
            diagnostics=_nan_back(json.loads(ds.attrs.get("diagnostics", "{}"))),
            case_params=params,
            observations_table=obs,
            statistics_table=stats,
            times=times,
            trajectory_names=variables,
            trajectories=get("trajectory", np.empty((len(variables), len(times)))),
            ensemble=get("ensemble", np.empty((0, len(variables), len(times)))),
            series_info=json.loads(ds.attrs.get("series_info", "{}")),
            status=tuple(str(x) for x in get("status", ())),
        )

    # ------------------------------------------------------------------ joint fits
    @property
    def cases(self) -> tuple[str, ...]:
        """The cases this result covers (one for a single-case fit)."""
        return tuple(self.case_params) or (self.case,)

    def for_case(self, name: str) -> CalibrationResult:
        """The part of a joint fit that concerns one case, as a single-case result.

        Shared parameters keep their names; the case's own parameters lose
        their ``"<case>: "`` prefix; observations, statistics, trajectories,
        profiles and constraint reports are those of the case. A single-case
        result returns itself for its own name.

        Raises
        ------
        KeyError
            If ``name`` is not one of :attr:`cases`.
        """
        if name not in self.cases:
            raise KeyError(f"case {name!r} is not in this fit; it covers {list(self.cases)}")
        if len(self.cases) == 1:
            return self
        prefix = f"{name}: "
        others = tuple(f"{c}: " for c in self.cases if c != name)
        keep = [
            j
            for j, n in enumerate(self.parameter_names)
            if n.startswith(prefix) or not n.startswith(others)
        ]
        rename = [self.parameter_names[j].removeprefix(prefix) for j in keep]
        obs = self.observations_table
        obs = obs[obs["target"].str.startswith(prefix)].copy()
        obs["target"] = obs["target"].str.removeprefix(prefix)
        stats = self.statistics_table
        stats = stats[stats["series"].str.startswith(prefix)].copy()
        stats["series"] = stats["series"].str.removeprefix(prefix)
        rows = [j for j, v in enumerate(self.trajectory_names) if v.startswith(prefix)]
        paths = self.trajectories[rows]
        finite = np.flatnonzero(np.isfinite(paths).any(axis=0)) if paths.size else np.empty(0, int)
        last = int(finite[-1]) + 1 if len(finite) else len(self.times)
        ensemble = self.ensemble[:, rows, :last] if self.ensemble.size else self.ensemble
        profiles = tuple(
            Profile(
                pr.parameter.removeprefix(prefix),
                pr.values,
                pr.deviance,
                pr.threshold,
                pr.interval,
                pr.verdict,
            )
            for pr in self.profiles
            if pr.parameter in {self.parameter_names[j] for j in keep}
        )
        info = {
            key.removeprefix(prefix): {
                "variable": value["variable"].removeprefix(prefix),
                "scale_parameter": value["scale_parameter"].removeprefix(prefix),
            }
            for key, value in self.series_info.items()
            if key.startswith(prefix)
        }
        diagnostics = dict(self.diagnostics)
        diagnostics["joint_fit"] = self.case
        diagnostics["constraints"] = [
            c for c in diagnostics.get("constraints", ()) if c.get("case") == name
        ]
        for key in ("drivers_used", "drivers_ignored"):
            diagnostics[key] = [
                str(d).removeprefix(prefix)
                for d in diagnostics.get(key, ())
                if str(d).startswith(prefix)
            ]
        diagnostics["n_observations"] = len(obs)
        diagnostics["n_in_sample"] = int(obs["in_sample"].sum()) if len(obs) else 0
        return CalibrationResult(
            case=name,
            method=self.method,
            parameter_names=tuple(rename),
            estimate=self.estimate[keep],
            search_lower=self.search_lower[keep],
            search_upper=self.search_upper[keep],
            level=self.level,
            interval=self.interval[keep] if self.interval.size else self.interval,
            interval_method=self.interval_method,
            objective=self.objective,
            bootstrap=self.bootstrap[:, keep] if self.bootstrap.size else np.empty((0, len(keep))),
            mcmc=self.mcmc[:, keep] if self.mcmc.size else np.empty((0, len(keep))),
            profiles=profiles,
            diagnostics=diagnostics,
            case_params={name: dict(self.case_params[name])},
            observations_table=obs.reset_index(drop=True),
            statistics_table=stats.reset_index(drop=True),
            times=self.times[:last],
            trajectory_names=tuple(self.trajectory_names[j].removeprefix(prefix) for j in rows),
            trajectories=paths[:, :last],
            ensemble=ensemble,
            series_info=info,
            status=tuple(self.status[j] for j in keep) if self.status else (),
        )

    def figure(self, *, columns: int = 2):
        """The fit figure: data, fit, bootstrap band and predictive band per series."""
        from .outputs import fit_figure

        return fit_figure(self, columns=columns)


def _from_json(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {"time", "value"}:
        return pd.Series(
            np.asarray(value["value"], float),
            index=pd.Index(np.asarray(value["time"], float), name="time"),
        )
    return value


def _nan_back(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _nan_back(v) for k, v in value.items()}
    if value is None:
        return float("nan")
    return value


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
