"""Scenario runs of a calibrated case: the estimate and every bootstrap replicate.

A scenario's levers are laid over the case's calibrated parameters from a
*policy start year* on: before it every run follows the case's history (its
calibrated parameters and input series), from it the scenario's values hold.
Differences from baseline are therefore zero up to the start year and the
report reads them at the start year plus 5 and plus 10 years. All runs (every
scenario for the estimate and for every bootstrap parameter set) go through
the batch engine in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import SpecError
from ..levers import (
    columnwise,
    lever_series,
    model_time_grid,
    scenario_run_params,
    scenario_runs,
)
from ..scenarios import Scenario
from .stored import ParameterValue, StoredFit

__all__ = [
    "ESTIMATE",
    "REPORT_OUTCOMES",
    "band_quantiles",
    "columnwise",
    "lever_series",
    "lever_steps",
    "model_time_grid",
    "policy_start_year",
    "run_case_scenarios",
    "run_members",
    "scenario_run_params",
]

#: The outcomes the report shows (fan charts and tables).
REPORT_OUTCOMES: tuple[str, ...] = (
    "Economic upgrading index",
    "Social upgrading index",
    "Wage component",
    "Standards component",
    "Rights component",
    "Average wage",
    "True compliance visible",
    "True compliance less visible",
    "Export orders",
)

#: Label of the ensemble member run at the calibrated estimate.
ESTIMATE = "estimate"

#: Quantiles of the fan charts: the 90% and 50% bands and the median.
BAND_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


def policy_start_year(fit: StoredFit, model: Any, *, horizon: float = 10.0) -> float:
    """Return the year scenario levers start: the last observed year, leaving ``horizon`` years.

    The last (whole) year with an observation in the fit, but no later than
    FINAL TIME minus ``horizon`` so that the +``horizon`` evaluation year is
    simulated.
    """
    latest = model.final_time - horizon
    if latest <= model.initial_time:
        raise SpecError(
            f"the model runs {model.initial_time:g}-{model.final_time:g}: too short for a "
            f"{horizon:g}-year horizon after a policy start"
        )
    if "obs_time" in fit.dataset and fit.dataset["obs_time"].size:
        observed = math.floor(float(np.nanmax(fit.dataset["obs_time"].values)))
    else:
        observed = latest
    return float(min(max(observed, model.initial_time + 1), latest))


def lever_steps(before: float, after: np.ndarray, start: float, times: np.ndarray) -> pd.DataFrame:
    """Return per-run input tables that step from ``before`` to ``after[i]`` at ``start``.

    The compact form of :func:`lever_series` for many runs: each column is
    tabulated only at the first integration time, the step before ``start``,
    ``start`` and the last time; linear interpolation then gives every
    integration time exactly the value before or after the step.

    Raises
    ------
    SpecError
        If ``start`` is not an integration time after the first step.

    Examples
    --------
    >>> import numpy as np
    >>> table = lever_steps(0.2, np.array([0.5, 0.9]), 2.0, np.arange(5.0))
    >>> table.index.tolist(), table[1].tolist()
    ([0.0, 1.0, 2.0, 4.0], [0.2, 0.2, 0.9, 0.9])
    """
    index = int(np.searchsorted(times, start - 1e-9))
    if index < 2 or index >= len(times) or abs(times[index] - start) > 1e-9:
        raise SpecError(
            f"the policy start {start:g} must be an integration time after the second one "
            f"({times[1]:g}) and no later than {times[-1]:g}"
        )
    knots = pd.Index([times[0], times[index - 1], times[index], times[-1]], name="time")
    after = np.asarray(after, dtype=float)
    flat = np.full_like(after, float(before))
    return pd.DataFrame(np.vstack([flat, flat, after, after]), index=knots)


def run_case_scenarios(
    model: Any,
    fit: StoredFit,
    scenarios: Sequence[Scenario],
    *,
    start: float,
    outcomes: Sequence[str] = REPORT_OUTCOMES,
    batch: Any = None,
    overrides: Mapping[str, float] | None = None,
    replicates: int | None = None,
) -> xr.Dataset:
    """Run every scenario at the estimate and at every bootstrap parameter set.

    Parameters
    ----------
    model : Model
        The loaded model.
    fit : StoredFit
        The case's fit (estimate and bootstrap replicates).
    scenarios : sequence of Scenario
        Scenarios to run (validated against the model by the caller).
    start : float
        Policy start year (see :func:`policy_start_year`); a scenario with its
        own ``start`` uses that instead.
    outcomes : sequence of str
        Variables to keep.
    batch : BatchModel, optional
        The compiled model (compiled here when not given).
    overrides : mapping of str to float, optional
        Parameter values (``--set``) laid over every member's parameters for
        the whole run, before the scenarios' levers.
    replicates : int, optional
        Run only the first ``replicates`` bootstrap parameter sets (all when
        None).

    Returns
    -------
    xarray.Dataset
        One variable per outcome over ``(scenario, member, time)``; member
        ``"estimate"`` is the run at the calibrated estimate, members
        ``"replicate_<i>"`` the bootstrap refits. ``attrs``: ``case``,
        ``policy_start``, ``n_replicates`` and the batch engine's provenance.
    """
    members = [fit.base_params, *fit.replicate_params()[:replicates]]
    dataset = run_members(
        model, members, scenarios, start=start, outcomes=outcomes, batch=batch, overrides=overrides
    )
    dataset.attrs.update(
        {
            "case": fit.case,
            "description": (
                f"scenario levers applied on top of the calibrated parameters of {fit.case} "
                f"from {start:g}; member 'estimate' at the calibrated estimate, "
                "'replicate_<i>' at bootstrap refit i"
            ),
        }
    )
    return dataset


def run_members(
    model: Any,
    members: Sequence[Mapping[str, ParameterValue]],
    scenarios: Sequence[Scenario],
    *,
    start: float,
    outcomes: Sequence[str] = REPORT_OUTCOMES,
    batch: Any = None,
    overrides: Mapping[str, float] | None = None,
) -> xr.Dataset:
    """Run every scenario for every member parameter set, levers from ``start``.

    The first member is labelled ``"estimate"``, the others
    ``"replicate_<i>"``. An empty mapping is a member at the model's defaults.
    See :func:`run_case_scenarios`.
    """
    compiled = batch if batch is not None else model.compile()
    times = model_time_grid(model)
    defaults = model.parameters["default"].to_dict()
    extra = dict(overrides or {})
    members = [{**member, **extra} for member in members]
    labels = [ESTIMATE] + [f"replicate_{i}" for i in range(1, len(members))]
    # one list of runs per member, each run with its scenario's levers from its start year
    per_member = [scenario_runs(model, scenarios, start, member) for member in members]
    runs = [per_member[m][s] for s in range(len(scenarios)) for m in range(len(members))]
    columns = columnwise(runs, times)
    if not columns:  # every run at the defaults: name one parameter so the batch has a size
        first = str(model.parameters.index[0])
        columns = {first: np.full(len(runs), float(defaults[first]))}
    result = compiled.run(
        columns, return_columns=list(outcomes), check_bounds=False, progress=False
    )
    shape = (len(scenarios), len(members), result.sizes["time"])
    data = {
        name: (
            ("scenario", "member", "time"),
            np.asarray(result[name].transpose("run", "time").values).reshape(shape),
            {
                **result[name].attrs,
                "units": str(model.variables.at[name, "unit"]),
                "description": str(model.variables.at[name, "description"]),
            },
        )
        for name in outcomes
    }
    dataset = xr.Dataset(
        data,
        coords={
            "scenario": [scenario.name for scenario in scenarios],
            "member": labels,
            "time": result["time"].values,
        },
    )
    keep = ("model_sha256", "model_file", "gvc_upgrading_version", "pysd_version", "engine")
    dataset.attrs.update({k: result.attrs[k] for k in keep if k in result.attrs})
    dataset.attrs.update(
        {
            "case": "",
            "policy_start": float(start),
            "n_replicates": len(members) - 1,
            "set": ", ".join(f"{k}={v:g}" for k, v in extra.items()),
        }
    )
    return dataset


def band_quantiles(ensemble: xr.Dataset) -> xr.Dataset:
    """Return the 5, 25, 50, 75 and 95% quantiles over the bootstrap replicates.

    Empty (no variables) when the fit has no bootstrap replicates.
    """
    replicates = ensemble.sel(member=ensemble["member"] != ESTIMATE)
    if replicates.sizes["member"] == 0:
        return xr.Dataset(attrs=dict(ensemble.attrs))
    # without missing values the vectorised quantile gives the same numbers as the
    # NaN-skipping one, which works slice by slice (ten times slower)
    missing = any(bool(replicates[name].isnull().any()) for name in replicates.data_vars)
    bands = replicates.quantile(list(BAND_QUANTILES), dim="member", skipna=missing)
    bands.attrs = dict(ensemble.attrs)
    bands.attrs["description"] = (
        "quantiles over the bootstrap replicates: 0.05-0.95 is the 90% band, "
        "0.25-0.75 the 50% band"
    )
    return bands
