"""Writing a calibration result to a folder: TOML, CSV, netCDF and figures.

Files (they appear together when complete, or not at all):

- ``parameters.toml``: estimates, intervals, identifiability verdicts and
  status (on a bound, moves no target, ...), priors, the parameter budget,
  plausibility constraints (and whether they bind), drivers used, and the
  scalar model parameters that reproduce the fit;
- ``fit_statistics.csv``: columns ``series, sample, n, rmse, mae, mape, r2,
  um, us, uc, lag1`` (``sample`` is ``in`` or ``holdout``, ``mape`` in percent)
  and the naive benchmarks ``mape_rw, mape_trend, mape_ratio, u2`` and the
  predictive band's ``coverage``;
- ``ensemble.nc``: :meth:`CalibrationResult.to_dataset` (estimates, bootstrap
  parameters and trajectories, observations, statistics, profiles);
- ``fit.png``: data against the fitted paths with the bootstrap 5-95% band.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..io import AtomicFiles, check_output_dir, write_csv, write_figure, write_netcdf, write_toml
from .result import CalibrationResult

__all__ = ["FILES", "fit_figure", "parameters_document", "write_result"]

#: Names of the files :func:`write_result` writes.
FILES: tuple[str, ...] = ("parameters.toml", "fit_statistics.csv", "ensemble.nc", "fit.png")


def _number(value: float) -> float | str:
    return float(value) if math.isfinite(float(value)) else "nan"


def parameters_document(result: CalibrationResult) -> dict:
    """The content of ``parameters.toml`` as nested mappings."""
    intervals = result.intervals
    document: dict = {
        "case": result.case,
        "method": result.method,
        "objective": float(result.objective),
        "level": float(result.level),
        "interval_method": result.interval_method,
        "seed": int(result.diagnostics["seed"]),
        "holdout_from": _number(result.diagnostics["holdout_from"]),
        "bootstrap": int(result.diagnostics["bootstrap"]),
        "estimates": {name: float(v) for name, v in result.estimates.items()},
        "intervals": {
            name: {
                "lower": _number(row.lower),
                "upper": _number(row.upper),
                "identifiability": row.identifiability,
                "status": row.status,
                "prior": str(result.diagnostics.get("priors", {}).get(name, "")),
            }
            for name, row in intervals.iterrows()
        },
    }
    diagnostics = result.diagnostics
    if diagnostics.get("budget"):
        document["budget"] = {k: int(v) for k, v in diagnostics["budget"].items()}
    if "joint_fit" in diagnostics:
        document["joint_fit"] = str(diagnostics["joint_fit"])
    document["drivers_used"] = [str(d) for d in diagnostics.get("drivers_used", ())]
    document["drivers_ignored"] = [str(d) for d in diagnostics.get("drivers_ignored", ())]
    document["constraints"] = {
        str(c["name"]): {"violation": float(c["violation"]), "binding": bool(c["binding"])}
        for c in diagnostics.get("constraints", ())
    }
    params: dict = {}
    for case, values in result.case_params.items():
        scalars = {k: float(v) for k, v in values.items() if isinstance(v, int | float)}
        series = sorted(k for k in values if k not in scalars)
        params[case] = {**scalars, "input_series": series} if series else scalars
    document["params"] = params
    return document


def fit_figure(result: CalibrationResult, *, columns: int = 2) -> Figure:
    """Data (filled: fitted, hollow: hold-out) against the fit and its bootstrap band."""
    obs = result.observations_table
    series = list(dict.fromkeys(obs["target"]))
    rows = math.ceil(len(series) / columns)
    figure = Figure(figsize=(5.0 * columns, 3.2 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    band_level = float(result.diagnostics.get("band_level", 0.9))
    for ax, name in zip(axes, series, strict=False):
        fitted, band = result.series_band(name)
        ax.plot(result.times, fitted, color="C0", label="fit")
        if band is not None:
            ax.fill_between(
                result.times,
                band[0],
                band[1],
                color="C0",
                alpha=0.25,
                lw=0,
                label="bootstrap 5-95%",
            )
        mine = obs[obs["target"] == name]
        fitted_rows = mine[mine["in_sample"]]
        held = mine[~mine["in_sample"]]
        ax.plot(fitted_rows["time"], fitted_rows["level"], "o", color="k", ms=4, label="data")
        if "band_lower" in mine and np.isfinite(mine["band_lower"].to_numpy(float)).any():
            ax.vlines(
                mine["time"],
                mine["band_lower"],
                mine["band_upper"],
                color="C1",
                lw=2,
                alpha=0.6,
                label=f"{100 * band_level:.0f}% predictive band",
            )
        if len(held):
            ax.plot(
                held["time"], held["level"], "o", mfc="none", color="k", ms=4, label="hold-out"
            )
            cut = float(result.diagnostics["holdout_from"])
            ax.axvline(
                cut if math.isfinite(cut) else float(held["time"].min()),
                color="grey",
                ls=":",
                lw=1,
                label="hold-out from",
            )
        ax.set_title(f"{name} ({result.series_info[name]['variable']})", fontsize=9)
        ax.set_xlim(result.times[0], max(result.times[-1], float(mine["time"].max())))
        finite = np.concatenate([fitted[np.isfinite(fitted)], mine["level"].to_numpy()])
        ax.set_ylim(0, 1.15 * np.nanmax(finite) if finite.size else 1)
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes[len(series) :]:
        ax.set_visible(False)
    figure.suptitle(f"Calibration of {result.case}", fontsize=11)
    return figure


def write_result(result: CalibrationResult, out: str | os.PathLike[str]) -> list[Path]:
    """Write the result files (:data:`FILES`) into ``out`` (created if its parent exists).

    All files are staged and moved into place together, so an interruption
    leaves either every file or none.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    folder = check_output_dir(out)
    with AtomicFiles(folder) as staged:
        write_toml(parameters_document(result), staged.path(FILES[0]), atomic=False)
        write_csv(result.statistics, staged.path(FILES[1]), atomic=False)
        write_netcdf(result.to_dataset(), staged.path(FILES[2]), atomic=False)
        write_figure(fit_figure(result), staged.path(FILES[3]), atomic=False)
        return staged.targets
