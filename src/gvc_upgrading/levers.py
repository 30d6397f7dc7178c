"""When a scenario's levers switch on: the one definition every scenario run uses.

A scenario's values hold from its *start year* on; before it a run follows
its base parameters (the model's defaults, or a calibrated case's estimate
and input series). The levers are given to the engines as input series
tabulated on the integration times, so every step sees exactly the value
before or after the start. :func:`scenario_run_params` is used by the
report's comparison (:mod:`gvc_upgrading.report.ensemble`), by ``run
--case/--start`` and by :func:`gvc_upgrading.scenarios.run_scenarios` (and
so :func:`gvc_upgrading.compare`), whichever engine runs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import ModelFileError, SpecError
from .limits import check_time_settings
from .scenario_spec import Scenario
from .validation import ParameterValue

__all__ = [
    "check_starts",
    "columnwise",
    "lever_series",
    "model_time_grid",
    "scenario_run_params",
    "scenario_runs",
]


def model_time_grid(model: Any) -> np.ndarray:
    """Return the integration times of ``model`` (INITIAL TIME to FINAL TIME by TIME STEP).

    Raises
    ------
    ModelFileError
        When the model's controls cannot be evaluated (e.g. ``FINAL TIME = inf``).
    ResourceLimitError
        When they are not finite, not positive, out of order or too many steps
        (:func:`gvc_upgrading.limits.check_time_settings`).
    """
    name = getattr(getattr(model, "path", None), "name", "the model")
    try:
        initial = float(model.initial_time)
        final = float(model.final_time)
        step = float(model.time_step)
    except Exception as exc:  # pysd evaluates the controls as generated Python
        raise ModelFileError(
            f"{name}: cannot evaluate INITIAL TIME, FINAL TIME and TIME STEP"
            f" ({type(exc).__name__}: {exc})"
        ) from exc
    check_time_settings(initial, final, step, source=name)
    steps = round((final - initial) / step)
    return initial + step * np.arange(steps + 1)


def _value_on(value: ParameterValue, times: np.ndarray) -> np.ndarray:
    if isinstance(value, pd.Series):
        return np.interp(times, value.index.to_numpy(float), value.to_numpy(float))
    return np.full(times.shape, float(value))


def lever_series(
    before: ParameterValue, after: ParameterValue, start: float, times: np.ndarray
) -> pd.Series:
    """Return an input series that follows ``before`` until ``start`` and ``after`` from it.

    Parameters
    ----------
    before, after : float or pandas.Series
        The value (or series over years) before and from the start year.
    start : float
        The first year at which ``after`` holds.
    times : numpy.ndarray
        The model's integration times (the series is tabulated on them, so
        every integration step sees exactly the intended value).

    Examples
    --------
    >>> import numpy as np
    >>> lever_series(0.2, 0.8, 2.0, np.arange(5.0)).tolist()
    [0.2, 0.2, 0.8, 0.8, 0.8]
    """
    values = np.where(times < start - 1e-9, _value_on(before, times), _value_on(after, times))
    return pd.Series(values, index=pd.Index(times, name="time"))


def scenario_run_params(
    base: Mapping[str, ParameterValue],
    scenario: Scenario,
    start: float,
    times: np.ndarray,
    defaults: Mapping[str, float],
    levers: Sequence[str] = (),
) -> dict[str, ParameterValue]:
    """Return the parameters of one run: ``base`` with the scenario's levers from ``start``.

    A lever the case does not set starts from the model's default value.
    Every name of ``levers`` (e.g. the levers of all scenarios run together)
    is given a value, so that every run of a batch names the same inputs.
    """
    params = dict(base)
    overrides = scenario.overrides()
    for name in dict.fromkeys([*overrides, *levers]):
        before = base[name] if name in base else float(defaults[name])
        after = overrides.get(name, before)
        params[name] = lever_series(before, after, start, times) if name in overrides else before
    return params


def columnwise(runs: Sequence[Mapping[str, ParameterValue]], times: np.ndarray) -> dict[str, Any]:
    """Turn one parameter mapping per run into the batch engine's column form.

    A name set to a number in every run becomes one array over runs; a name
    given a series in some run becomes a table over ``times`` (the
    integration times, so every step sees the same values) with one column
    per run. Every run must name the same parameters.

    Raises
    ------
    SpecError
        If the runs do not all name the same parameters.
    """
    names = list(runs[0]) if runs else []
    columns: dict[str, Any] = {}
    for index, run in enumerate(runs):
        if set(run) != set(names):
            raise SpecError(f"run {index} sets {sorted(set(run) ^ set(names))} unlike run 0")
    for name in names:
        values = [run[name] for run in runs]
        if any(isinstance(value, pd.Series) for value in values):
            table = np.column_stack([_value_on(value, times) for value in values])
            columns[name] = pd.DataFrame(table, index=pd.Index(times, name="time"))
        else:
            columns[name] = np.array(values, dtype=float)
    return columns


def check_starts(model: Any, scenarios: Sequence[Scenario], start: float | None = None) -> None:
    """Refuse a start year (``start``, or a scenario's own) outside the simulated years.

    Raises
    ------
    ScenarioError
        Naming the scenario and the model's years.
    """
    from .errors import ScenarioError

    years = [("start", start)] if start is not None else []
    years += [(f"{s.name}: start", s.start) for s in scenarios if s.start is not None]
    for label, year in years:
        if not model.initial_time <= float(year) <= model.final_time:
            raise ScenarioError(
                f"{label} {float(year):g} lies outside the simulated years "
                f"{model.initial_time:g}-{model.final_time:g}"
            )


def scenario_runs(
    model: Any,
    scenarios: Sequence[Scenario],
    start: float,
    base: Mapping[str, ParameterValue] | None = None,
) -> list[dict[str, ParameterValue]]:
    """Return the parameters of one run per scenario: ``base`` with its levers from its start.

    A scenario without its own ``start`` switches on at ``start``. Every run
    names the levers of all ``scenarios``, so that they can run as one batch.
    """
    times = model_time_grid(model)
    defaults = model.parameters["default"].to_dict()
    levers = list(dict.fromkeys(name for s in scenarios for name in s.overrides()))
    return [
        scenario_run_params(
            base or {},
            scenario,
            scenario.start if scenario.start is not None else start,
            times,
            defaults,
            levers,
        )
        for scenario in scenarios
    ]
