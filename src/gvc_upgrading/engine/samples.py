"""Turn user samples (and a scenario) into checked per-run input values.

Accepted forms of ``samples``
-----------------------------
* a mapping from a name to

  - a number: the same value in every run;
  - a 1-D array-like of numbers (list, tuple, ``numpy`` array): one value
    per run (constants only);
  - a :class:`pandas.Series` indexed by time: the same time series in every
    run. A constant then follows the series (linear interpolation, end
    values held, as ``pysd`` does); a lookup takes the series as its table
    (index = input values); a data variable takes it as its data;
  - a :class:`pandas.DataFrame` indexed by time (or lookup input), one column
    per run: a different series (or table) in each run;

* a sequence of mappings, one per run, each from names to numbers or
  Series (e.g. one scenario's overrides per run). Names missing from a run
  take the scenario's or the model's value.

Names are the model's own (Vensim) names of constants, lookups and data
variables. The number of runs is the common length of the per-run values.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import SupportsFloat, TypeGuard

import numpy as np
import pandas as pd

from ..errors import ParameterRangeError, SpecError
from ..validation import ParameterTable, check_range

__all__ = ["ResolvedInputs", "resolve_samples"]


@dataclass
class ResolvedInputs:
    """Per-name run inputs after checking.

    Attributes
    ----------
    n_runs : int
    values : dict
        Constant name -> float or 1-D array over runs.
    series : dict
        Name -> (x values, y values) where y is 1-D (shared) or 2-D (run, x).
    sampled : list of str
        Names whose value differs between runs or was given by the caller
        as one value per run (recorded as coordinates).
    """

    n_runs: int
    values: dict[str, float | np.ndarray] = field(default_factory=dict)
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    sampled: list[str] = field(default_factory=list)


def _is_number(value: object) -> TypeGuard[SupportsFloat]:
    return isinstance(value, numbers.Real | np.number) and not isinstance(value, bool | np.bool_)


def _series_arrays(name: str, frame) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.asarray(pd.Index(frame.index).astype(float), dtype=float)
        y = np.asarray(frame.to_numpy(), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterRangeError(f"{name!r}: the series must hold numbers ({exc})") from exc
    if len(x) == 0:
        raise ParameterRangeError(f"{name!r}: the series is empty")
    if not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ParameterRangeError(f"{name!r}: the series index must be finite and increasing")
    if not np.all(np.isfinite(y)):
        raise ParameterRangeError(f"{name!r}: the series holds a non-finite value")
    if y.ndim == 2:
        y = np.ascontiguousarray(y.T)  # (run, x)
    return x, y


def _merge_run_series(
    name: str, per_run: list[object], default: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-run numbers/Series -> one table on the union of the series' times.

    A run without a value takes ``default`` (the model's value of a constant).
    """
    indexes = [
        np.asarray(pd.Index(v.index).astype(float)) for v in per_run if isinstance(v, pd.Series)
    ]
    x = np.unique(np.concatenate(indexes))
    rows = []
    for value in per_run:
        if isinstance(value, pd.Series):
            xs, ys = _series_arrays(name, value)
            rows.append(np.interp(x, xs, ys))
        elif value is None:
            if default is None:
                raise SpecError(f"{name!r} is missing from some runs and has no default")
            rows.append(np.full(len(x), default))
        elif _is_number(value):
            rows.append(np.full(len(x), float(value)))
        else:
            raise SpecError(f"{name!r}: each run's value must be a number or a pandas Series")
    return x, np.vstack(rows)


def _from_records(records: Sequence[Mapping], base: Mapping) -> dict[str, object]:
    names: list[str] = []
    for record in records:
        if not isinstance(record, Mapping):
            raise SpecError("a sequence of samples must hold one mapping per run")
        names.extend(k for k in record if k not in names)
    merged: dict[str, object] = {}
    for name in names:
        per_run = [record.get(name, base.get(name)) for record in records]
        if any(isinstance(v, pd.Series) for v in per_run):
            merged[name] = ("records-series", per_run)
        else:
            merged[name] = ("records-values", per_run)
    return merged


def resolve_samples(
    samples,
    n: int | None,
    *,
    base: Mapping[str, object],
    constants: Mapping[str, float],
    tables: Sequence[str],
    bounds: pd.DataFrame,
    variables: Sequence[str],
    check_bounds: bool,
) -> ResolvedInputs:
    """Check ``samples`` (over ``base`` values, e.g. a scenario) and resolve them.

    Parameters
    ----------
    samples : mapping, sequence of mappings or None
        See the module docstring.
    n : int or None
        Number of runs (required to agree with the samples' length if both given).
    base : mapping
        Values applying to every run unless sampled (a scenario's parameters
        and series).
    constants : mapping
        The model's constants and their defaults.
    tables : sequence of str
        Names of lookups and data variables (which take series).
    bounds : pandas.DataFrame
        Parameter table with ``lower`` and ``upper`` columns.
    variables : sequence of str
        Every variable name (for the "not a parameter" hint).
    check_bounds : bool
        Whether to refuse values outside ``[lower, upper]``.

    Raises
    ------
    UnknownParameterError, ParameterRangeError, SpecError
    """
    if n is not None and (not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1):
        raise SpecError(f"n must be a whole number of at least 1, got {n!r}")
    known = [*constants, *tables]
    entries: dict[str, object] = {}
    if samples is None:
        samples = {}
    if isinstance(samples, Mapping):
        entries = dict(samples)
    elif isinstance(samples, Sequence) and not isinstance(samples, str):
        if len(samples) == 0:
            raise SpecError("samples is an empty sequence; give at least one run")
        entries = _from_records(samples, base)
    else:
        raise SpecError(
            "samples must be a mapping of names to values or a sequence of mappings (one per "
            f"run), got {type(samples).__name__}"
        )
    table = ParameterTable(bounds, check=False)  # names and ranges: one check, one wording
    table.check_names([*base, *entries], variables=variables, also=known)

    lengths: dict[str, int] = {}
    for name, value in entries.items():
        if isinstance(value, tuple) and value and value[0] in ("records-series", "records-values"):
            lengths[name] = len(value[1])
        elif isinstance(value, pd.DataFrame):
            lengths[name] = value.shape[1]
        elif not isinstance(value, pd.Series) and not _is_number(value):
            array = np.asarray(value)
            if array.ndim != 1:
                raise SpecError(
                    f"samples of {name!r} must be a number, a 1-D array over runs, a pandas "
                    f"Series over time or a DataFrame (time × run); got an array of shape "
                    f"{array.shape}"
                )
            lengths[name] = len(array)
    distinct = set(lengths.values())
    if len(distinct) > 1:
        detail = ", ".join(f"{k!r}: {v}" for k, v in lengths.items())
        raise SpecError(f"samples have unequal lengths ({detail})")
    n_runs = distinct.pop() if distinct else (n if n is not None else 1)
    if n is not None and n != n_runs:
        raise SpecError(f"n={n} disagrees with the samples' length {n_runs}")
    if n_runs < 1:
        raise SpecError("samples hold no runs")

    resolved = ResolvedInputs(n_runs=n_runs)
    for name, value in [*((k, v) for k, v in base.items() if k not in entries), *entries.items()]:
        given_per_run = name in lengths
        if isinstance(value, tuple) and value and value[0] == "records-series":
            resolved.series[name] = _merge_run_series(name, value[1], constants.get(name))
        elif isinstance(value, tuple) and value and value[0] == "records-values":
            per_run = value[1]
            if any(v is None for v in per_run):
                default = constants.get(name)
                if default is None:
                    raise SpecError(f"{name!r} is missing from some runs and has no default")
                per_run = [default if v is None else v for v in per_run]
            resolved.values[name] = _numbers(name, per_run)
        elif isinstance(value, pd.Series | pd.DataFrame):
            resolved.series[name] = _series_arrays(name, value)
        elif _is_number(value):
            resolved.values[name] = float(value)
        else:
            resolved.values[name] = _numbers(name, value)
        if name in resolved.values and name not in constants:
            raise SpecError(
                f"{name!r} is a lookup or data variable: give it a pandas Series (or a "
                "DataFrame with one column per run), not numbers"
            )
        if given_per_run and name in resolved.values:
            resolved.sampled.append(name)
        if name in constants:
            value = resolved.values.get(name)
            values = value if value is not None else resolved.series[name][1]
            if name in table:
                table.check_values(name, values, check_bounds=check_bounds)
            else:  # a constant without a row (no range): finite values only
                check_range(name, values, math.nan, math.nan)
    return resolved


def _numbers(name: str, values) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterRangeError(f"samples of {name!r} must be numbers ({exc})") from exc
    return array  # finite and in range: checked with the parameter table
