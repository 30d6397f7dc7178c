"""Calibration cases: a folder with ``case.toml`` (the specification) and ``data.csv``.

A case says which model to fit (the shipped one by default), over which time
span, which inputs drive it (parameter overrides, exogenous series taken from
the data, dated events), which data series it must reproduce (targets) and
which parameters are free. ``calibration/README.md`` documents the format; a
new case needs only a new folder.

Loading checks the specification on its own (types, bounds, references to data
variables); :func:`check_case` then checks it against a simulator's parameter
and variable names.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import (
    DataError,
    ParameterRangeError,
    SpecError,
    UnknownParameterError,
    UnknownVariableError,
)
from ..resources import shipped_path
from ..spec_checks import read_toml
from ..validation import ParameterTable
from .data import read_case_data
from .settings import parse_fit_table

__all__ = [
    "TRANSFORMS",
    "Case",
    "Constraint",
    "Driver",
    "ErrorModel",
    "Event",
    "FreeParameter",
    "Prior",
    "SeriesInput",
    "Target",
    "TargetComponent",
    "check_case",
    "load_case",
    "shipped_cases",
]

#: Transforms a target may apply to both model output and data before comparison.
TRANSFORMS: tuple[str, ...] = ("level", "log", "share")
_ERROR_MODELS = ("relative", "absolute")
_PRIORS = ("normal", "lognormal", "uniform")


@dataclass(frozen=True)
class Prior:
    """A prior density on a free parameter.

    The fit minimises the data's sum of squares plus the prior penalty
    (:meth:`residual` squared), so the point estimate is the posterior mode;
    MCMC uses :meth:`logpdf`.

    Attributes
    ----------
    dist : {"normal", "lognormal", "uniform"}
    a, b : float
        ``mean, sd`` for normal; ``mu, sigma`` of the log for lognormal;
        ``lower, upper`` for uniform.
    """

    dist: str
    a: float
    b: float

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Return the log density (up to a constant) at ``x``."""
        x = np.asarray(x, dtype=float)
        if self.dist == "normal":
            return -0.5 * ((x - self.a) / self.b) ** 2
        if self.dist == "lognormal":
            with np.errstate(divide="ignore", invalid="ignore"):
                logx = np.log(x)
                value = -0.5 * ((logx - self.a) / self.b) ** 2 - logx
            return np.where(x > 0, value, -np.inf)
        return np.where((x >= self.a) & (x <= self.b), 0.0, -np.inf)

    def residual(self, x: np.ndarray) -> np.ndarray:
        """Prior residual whose square is ``-2 log density`` up to a constant.

        ``(x - mean) / sd`` for normal, ``(log x - mu) / sigma`` for lognormal
        (the mode of the log, so the Jacobian term is left out), 0 for uniform
        (the search bounds already confine it).
        """
        x = np.asarray(x, dtype=float)
        if self.dist == "normal":
            return (x - self.a) / self.b
        if self.dist == "lognormal":
            with np.errstate(divide="ignore", invalid="ignore"):
                return (np.log(np.maximum(x, 1e-300)) - self.a) / self.b
        return np.zeros_like(x)


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the calibration estimates.

    Attributes
    ----------
    name : str
        Model parameter name, or for a nuisance parameter (``nuisance=True``)
        a name used only inside the case (e.g. a free scale factor).
    lower, upper : float
        Search bounds, ``lower < upper``.
    initial : float or None
        A starting value (added to the multi-start set).
    prior : Prior or None
    nuisance : bool
        True for parameters that are not sent to the model.
    """

    name: str
    lower: float
    upper: float
    initial: float | None = None
    prior: Prior | None = None
    nuisance: bool = False


@dataclass(frozen=True)
class ErrorModel:
    """How large an observation's error is assumed to be.

    ``relative``: standard deviation ``cv * |observation|`` on the level scale
    (``cv`` itself on the log scale); ``absolute``: standard deviation
    ``sigma`` in the target's model units (after transform).
    """

    kind: str = "relative"
    value: float = 0.1


@dataclass(frozen=True)
class TargetComponent:
    """One data series feeding a target, with its conversion to model units.

    A reading of ``year`` is compared with the model at model time ``t = year +
    year_offset`` (0.5 for a calendar-year flow or average, so that it is
    compared in mid-year) and converted there: ``model units = value * scale /
    divide_by(t)``, where ``divide_by(t)`` is the divisor series interpolated
    linearly at ``t`` as a linear driver of the same series would be (so a taka
    wage compared at ``t`` is converted at the exchange rate the model uses at
    ``t``). A ``t`` outside the divisor's readings is a ``DataError``: the
    divisor is not extrapolated. Only rows with ``first_year <= year <=
    last_year`` are used (e.g. to leave out readings before the span); the
    hold-out split uses ``year``.
    """

    variable: str
    scale: float = 1.0
    divide_by: str | None = None
    year_offset: float = 0.0
    first_year: float = -np.inf
    last_year: float = np.inf


@dataclass(frozen=True)
class Target:
    """A model variable the fit must reproduce, and the data that measure it."""

    name: str
    model_variable: str
    components: tuple[TargetComponent, ...]
    transform: str = "level"
    weight: float = 1.0
    error: ErrorModel = field(default_factory=ErrorModel)
    scale_parameter: str | None = None


@dataclass(frozen=True)
class SeriesInput:
    """An exogenous input series taken from the data (``step`` or ``linear`` in between).

    ``value * scale / divide_by(year)``: each reading is converted at its own
    year, where it enters the input series.
    """

    parameter: str
    variable: str
    scale: float = 1.0
    divide_by: str | None = None
    interpolation: str = "step"


@dataclass(frozen=True)
class Event:
    """A dated event (e.g. a factory disaster) and how it enters the model.

    Either model constants receive the event's year and size
    (``year_parameter``, ``size_parameter``), or an input series
    (``input``) receives a pulse of height ``size`` lasting ``duration`` years.
    """

    name: str
    year: float
    size: float = 1.0
    year_parameter: str | None = None
    size_parameter: str | None = None
    input: str | None = None
    duration: float = 1.0


@dataclass(frozen=True)
class Driver:
    """An exogenous driver series (prices, exchange rate, world demand) fed to a model input.

    Model value ``= value(t) / value(base_year)``: an index equal to 1 in the
    base year (default: the case's start), interpolated linearly between
    readings and held flat beyond them. A driver whose ``input`` the model
    does not define is skipped and reported (``diagnostics["drivers_ignored"]``),
    so that a case runs on models before and after the inputs were added.
    """

    input: str
    variable: str
    base_year: float | None = None
    interpolation: str = "linear"

    def series(self, data: pd.DataFrame, times: np.ndarray, start: float) -> pd.Series:
        """The driver as an index on ``times``."""
        rows = data[data["variable"] == self.variable]
        years = rows["year"].to_numpy(float)
        values = rows["value"].to_numpy(float)
        base = float(
            np.interp(self.base_year if self.base_year is not None else start, years, values)
        )
        if self.interpolation == "step":
            index = np.clip(np.searchsorted(years, times, side="right") - 1, 0, None)
            tabulated = values[index]
        else:
            tabulated = np.interp(times, years, values)
        return pd.Series(tabulated / base, index=pd.Index(times, name="time"))


@dataclass(frozen=True)
class Constraint:
    """A plausibility constraint on model trajectories, e.g. living wage >= minimum wage.

    ``left op factor * right`` must hold on the yearly grid from ``start`` to
    ``end`` (default: the case's span), where ``right`` is a model variable
    or, when ``value`` is given, a number. The fit adds a penalty residual
    ``PENALTY_WEIGHT * sqrt(sum(v**2))`` where ``v`` is the relative
    violation at each year; the result reports the largest violation at the
    estimate and whether the constraint binds.
    """

    name: str
    left: str
    op: str
    right: str | None = None
    value: float | None = None
    factor: float = 1.0
    start: float | None = None
    end: float | None = None

    @property
    def variables(self) -> tuple[str, ...]:
        """The model variables the constraint reads."""
        return (self.left,) if self.right is None else (self.left, self.right)


@dataclass(frozen=True)
class Case:
    """A calibration case: specification plus observed data.

    Use :func:`load_case` to build one from a folder.
    """

    name: str
    folder: Path | None
    model: Path | None
    start: float
    end: float
    data: pd.DataFrame
    targets: tuple[Target, ...]
    free: tuple[FreeParameter, ...]
    overrides: Mapping[str, float] = field(default_factory=dict)
    series: tuple[SeriesInput, ...] = ()
    events: tuple[Event, ...] = ()
    shared: tuple[str, ...] = ()
    unverified_weight: float = 0.0
    description: str = ""
    drivers: tuple[Driver, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    fit: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "fit", MappingProxyType(dict(self.fit)))

    @property
    def holdout_from(self) -> float | None:
        """The hold-out year the case declares in ``[fit]`` (None when it declares none)."""
        return self.fit.get("holdout_from")

    @property
    def free_names(self) -> tuple[str, ...]:
        """Names of the free parameters, in the order of the parameter vector."""
        return tuple(p.name for p in self.free)

    def fixed_parameters(self) -> dict[str, float]:
        """Model constants the case fixes: overrides plus event years and sizes."""
        fixed = dict(self.overrides)
        for event in self.events:
            if event.year_parameter:
                fixed[event.year_parameter] = event.year
            if event.size_parameter:
                fixed[event.size_parameter] = event.size
        return fixed

    def input_series(self, times: np.ndarray) -> dict[str, pd.Series]:
        """Input time series (exogenous data series and event pulses) on ``times``.

        Parameters
        ----------
        times : numpy.ndarray
            Increasing model times at which to tabulate each series.

        Returns
        -------
        dict of str to pandas.Series
            Indexed by time (name ``"time"``), one per driven model input.
        """
        times = np.asarray(times, dtype=float)
        out: dict[str, pd.Series] = {}
        for spec in self.series:
            rows = self.data[self.data["variable"] == spec.variable]
            years = rows["year"].to_numpy()
            values = rows["value"].to_numpy() * spec.scale
            if spec.divide_by:
                values = values / interpolate_data(self.data, spec.divide_by, years, self.name)
            if spec.interpolation == "step":
                index = np.clip(np.searchsorted(years, times, side="right") - 1, 0, None)
                tabulated = values[index]
            else:
                tabulated = np.interp(times, years, values)
            out[spec.parameter] = pd.Series(tabulated, index=pd.Index(times, name="time"))
        for event in self.events:
            if event.input:
                pulse = ((times >= event.year) & (times < event.year + event.duration)).astype(
                    float
                ) * event.size
                previous = out.get(event.input)
                if previous is not None:
                    pulse = pulse + previous.to_numpy()
                out[event.input] = pd.Series(pulse, index=pd.Index(times, name="time"))
        return out


def interpolate_data(
    data: pd.DataFrame,
    variable: str,
    times: np.ndarray,
    case: str,
    *,
    readings: Sequence[float] | np.ndarray | pd.Series | None = None,
) -> np.ndarray:
    """Interpolate a ``divide_by`` data variable linearly at ``times``, within its readings.

    The interpolation is the one a linear :class:`Driver` uses (``numpy.interp``
    between the readings' years), so a reading converted at time ``t`` uses the
    same divisor as a model input driven by that series at ``t``. Unlike a
    driver, it is never held flat beyond the readings: a time outside them is
    an error, not an extrapolation.

    Parameters
    ----------
    data : pandas.DataFrame
        The case's data (as from :func:`~gvc_upgrading.calibration.data.read_case_data`).
    variable : str
        The divisor's data variable.
    times : numpy.ndarray
        Times at which to interpolate: for a target, the comparison times
        ``year + year_offset`` of its readings; for an input series, the
        readings' years.
    case : str
        Case name, for the error message.
    readings : sequence of float, optional
        The data years of the readings converted at ``times`` (same length),
        named in the error message when they differ from ``times``.

    Returns
    -------
    numpy.ndarray
        The divisor at each time.

    Raises
    ------
    DataError
        If the variable has no rows or a time lies outside its readings.
    """
    rows = data[data["variable"] == variable].sort_values("year", kind="stable")
    if rows.empty:
        raise DataError(f"case {case!r}: divide_by series {variable!r} has no data")
    known = rows["year"].to_numpy(float)
    times = np.asarray(times, dtype=float)
    outside = (times < known.min() - 1e-9) | (times > known.max() + 1e-9)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        needed = f"{times[first]:g}"
        if readings is not None:
            year = float(np.asarray(readings, dtype=float)[first])
            if abs(year - times[first]) > 1e-9:
                needed = f"{needed} (the comparison time of the reading of {year:g})"
        raise DataError(
            f"case {case!r}: divide_by series {variable!r} covers {known.min():g}-"
            f"{known.max():g} but is needed at {needed}; a reading is converted where it is "
            f"compared with the model and is not extrapolated: add readings of {variable!r} "
            "that cover that time"
        )
    return np.interp(times, known, rows["value"].to_numpy(float))


# --------------------------------------------------------------------------- loading


def shipped_cases() -> tuple[str, ...]:
    """Names of the cases shipped in ``calibration/cases/``."""
    root = shipped_path("calibration", "cases")
    return tuple(sorted(p.name for p in root.iterdir() if (p / "case.toml").is_file()))


def _resolve_folder(case: str | os.PathLike[str]) -> Path:
    path = Path(case)
    if path.is_dir():
        return path
    if path.name == "case.toml" and path.is_file():
        return path.parent
    if isinstance(case, str) and os.sep not in case and "/" not in case:
        try:
            candidate = shipped_path("calibration", "cases", case)
        except FileNotFoundError:
            candidate = None
        if candidate is not None and candidate.is_dir():
            return candidate
    raise SpecError(
        f"case {str(case)!r} is neither a case folder nor a shipped case "
        f"(shipped: {', '.join(shipped_cases()) or 'none'})"
    )


def _number(table: Mapping[str, Any], key: str, where: str, default: Any = None) -> float:
    if key not in table:
        if default is None:
            raise SpecError(f"{where}: missing {key!r}")
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"{where}: {key!r} must be a finite number, got {value!r}")
    return float(value)


def _string(table: Mapping[str, Any], key: str, where: str, default: Any = ...) -> str:
    if key not in table:
        if default is ...:
            raise SpecError(f"{where}: missing {key!r}")
        return default
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _parse_prior(value: Any, where: str) -> Prior:
    if not isinstance(value, Mapping):
        raise SpecError(f"{where}: prior must be a table such as {{dist='normal', mean=, sd=}}")
    dist = _string(value, "dist", where)
    if dist not in _PRIORS:
        raise SpecError(f"{where}: prior dist {dist!r} is not one of {list(_PRIORS)}")
    keys = {"normal": ("mean", "sd"), "lognormal": ("mu", "sigma"), "uniform": ("lower", "upper")}
    a_key, b_key = keys[dist]
    _check_keys(value, {"dist", a_key, b_key}, where)
    a, b = _number(value, a_key, where), _number(value, b_key, where)
    if dist in ("normal", "lognormal") and b <= 0:
        raise SpecError(f"{where}: prior {b_key} must be positive, got {b}")
    if dist == "uniform" and b <= a:
        raise SpecError(f"{where}: prior upper must exceed lower")
    return Prior(dist, a, b)


def _parse_free(table: Any, where: str) -> tuple[FreeParameter, ...]:
    if not isinstance(table, Mapping):
        raise SpecError(f"{where}: [free] must be a table of parameter tables")
    free = []
    for name, spec in table.items():
        here = f"{where} [free.{name!r}]"
        if not isinstance(spec, Mapping):
            raise SpecError(f"{here}: must be a table with lower and upper")
        _check_keys(spec, {"lower", "upper", "initial", "prior", "nuisance"}, here)
        lower, upper = _number(spec, "lower", here), _number(spec, "upper", here)
        if not lower < upper:
            raise SpecError(
                f"{here}: inverted or empty bounds, lower={lower:g} >= upper={upper:g}"
            )
        initial = _number(spec, "initial", here) if "initial" in spec else None
        if initial is not None and not lower <= initial <= upper:
            raise SpecError(f"{here}: initial {initial:g} is outside [{lower:g}, {upper:g}]")
        prior = _parse_prior(spec["prior"], here) if "prior" in spec else None
        nuisance = spec.get("nuisance", False)
        if not isinstance(nuisance, bool):
            raise SpecError(f"{here}: nuisance must be true or false")
        free.append(FreeParameter(name, lower, upper, initial, prior, nuisance))
    return tuple(free)


def _parse_component(spec: Any, where: str) -> TargetComponent:
    if isinstance(spec, str):
        return TargetComponent(spec)
    if not isinstance(spec, Mapping):
        raise SpecError(f"{where}: a data entry must be a variable name or a table")
    _check_keys(
        spec, {"variable", "scale", "divide_by", "year_offset", "first_year", "last_year"}, where
    )
    scale = _number(spec, "scale", where, 1.0)
    if scale == 0:
        raise SpecError(f"{where}: scale must not be 0")
    first, last = (
        _number(spec, "first_year", where, -np.inf),
        _number(spec, "last_year", where, np.inf),
    )
    if first > last:
        raise SpecError(f"{where}: first_year {first:g} is after last_year {last:g}")
    return TargetComponent(
        _string(spec, "variable", where),
        scale,
        _string(spec, "divide_by", where, None),
        _number(spec, "year_offset", where, 0.0),
        first,
        last,
    )


def _parse_error(spec: Any, where: str) -> ErrorModel:
    if spec is None:
        return ErrorModel()
    if not isinstance(spec, Mapping):
        raise SpecError(f"{where}: error must be a table such as {{model='relative', cv=0.1}}")
    kind = _string(spec, "model", where)
    if kind not in _ERROR_MODELS:
        raise SpecError(f"{where}: error model {kind!r} is not one of {list(_ERROR_MODELS)}")
    key = "cv" if kind == "relative" else "sigma"
    _check_keys(spec, {"model", key}, where)
    value = _number(spec, key, where)
    if value <= 0:
        raise SpecError(f"{where}: error {key} must be positive, got {value:g}")
    return ErrorModel(kind, value)


def _parse_targets(items: Any, where: str) -> tuple[Target, ...]:
    if not isinstance(items, list) or not items:
        raise SpecError(f"{where}: no targets; add at least one [[targets]] table")
    targets = []
    for number, spec in enumerate(items, start=1):
        here = f"{where} target #{number}"
        if not isinstance(spec, Mapping):
            raise SpecError(f"{here}: must be a table")
        _check_keys(
            spec,
            {"name", "model", "data", "transform", "weight", "error", "scale_parameter"},
            here,
        )
        model_variable = _string(spec, "model", here)
        data = spec.get("data")
        if data is None:
            raise SpecError(f"{here}: missing 'data' (data variable name(s))")
        entries = data if isinstance(data, list) else [data]
        if not entries:
            raise SpecError(f"{here}: 'data' is empty")
        components = tuple(_parse_component(e, here) for e in entries)
        name = _string(spec, "name", here, components[0].variable)
        transform = _string(spec, "transform", here, "level")
        if transform not in TRANSFORMS:
            raise SpecError(f"{here}: transform {transform!r} is not one of {list(TRANSFORMS)}")
        weight = _number(spec, "weight", here, 1.0)
        if weight <= 0:
            raise SpecError(f"{here}: weight must be positive, got {weight:g}")
        targets.append(
            Target(
                name,
                model_variable,
                components,
                transform,
                weight,
                _parse_error(spec.get("error"), here),
                _string(spec, "scale_parameter", here, None),
            )
        )
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise SpecError(f"{where}: target names must be unique, got {names}")
    return tuple(targets)


def _array_of_tables(items: Any, where: str, label: str) -> Iterator[tuple[str, Mapping]]:
    """Yield ``(location, table)`` for each table of the TOML array ``label``."""
    if not isinstance(items, list):
        raise SpecError(f"{where}: {label} must be an array of tables")
    for number, spec in enumerate(items, start=1):
        here = f"{where} {label} #{number}"
        if not isinstance(spec, Mapping):
            raise SpecError(f"{here}: must be a table")
        yield here, spec


def _parse_drivers(items: Any, where: str) -> tuple[Driver, ...]:
    drivers = []
    for here, spec in _array_of_tables(items, where, "[[inputs.drivers]]"):
        _check_keys(spec, {"input", "data", "base_year", "interpolation"}, here)
        interpolation = _string(spec, "interpolation", here, "linear")
        if interpolation not in ("step", "linear"):
            raise SpecError(f"{here}: interpolation must be 'step' or 'linear'")
        base = _number(spec, "base_year", here) if "base_year" in spec else None
        drivers.append(
            Driver(_string(spec, "input", here), _string(spec, "data", here), base, interpolation)
        )
    inputs = [d.input for d in drivers]
    if len(set(inputs)) != len(inputs):
        raise SpecError(f"{where}: two drivers feed the same input ({inputs})")
    return tuple(drivers)


def _parse_constraints(items: Any, where: str) -> tuple[Constraint, ...]:
    if items is None:
        return ()
    out = []
    for here, spec in _array_of_tables(items, where, "[[constraints]]"):
        _check_keys(spec, {"name", "left", "op", "right", "value", "factor", "start", "end"}, here)
        op = _string(spec, "op", here)
        if op not in ("<=", ">="):
            raise SpecError(f"{here}: op must be '<=' or '>=', got {op!r}")
        right = _string(spec, "right", here, None)
        value = _number(spec, "value", here) if "value" in spec else None
        if (right is None) == (value is None):
            raise SpecError(f"{here}: give exactly one of 'right' (a variable) or 'value'")
        factor = _number(spec, "factor", here, 1.0)
        if factor <= 0:
            raise SpecError(f"{here}: factor must be positive")
        start = _number(spec, "start", here) if "start" in spec else None
        end = _number(spec, "end", here) if "end" in spec else None
        if start is not None and end is not None and start >= end:
            raise SpecError(f"{here}: start must be before end")
        left = _string(spec, "left", here)
        name = _string(spec, "name", here, f"{left} {op} {right or value}")
        out.append(Constraint(name, left, op, right, value, factor, start, end))
    return tuple(out)


def _parse_inputs(table: Any, where: str):
    if table is None:
        return {}, (), (), ()
    if not isinstance(table, Mapping):
        raise SpecError(f"{where}: [inputs] must be a table")
    _check_keys(table, {"parameters", "series", "events", "drivers"}, f"{where} [inputs]")
    drivers = _parse_drivers(table.get("drivers", []), where)
    overrides = {}
    for name, value in dict(table.get("parameters", {})).items():
        overrides[name] = _number({name: value}, name, f"{where} [inputs.parameters]")
    series = []
    for here, spec in _array_of_tables(table.get("series", []), where, "[[inputs.series]]"):
        _check_keys(spec, {"parameter", "data", "scale", "divide_by", "interpolation"}, here)
        interpolation = _string(spec, "interpolation", here, "step")
        if interpolation not in ("step", "linear"):
            raise SpecError(f"{here}: interpolation must be 'step' or 'linear'")
        series.append(
            SeriesInput(
                _string(spec, "parameter", here),
                _string(spec, "data", here),
                _number(spec, "scale", here, 1.0),
                _string(spec, "divide_by", here, None),
                interpolation,
            )
        )
    events = []
    for here, spec in _array_of_tables(table.get("events", []), where, "[[inputs.events]]"):
        _check_keys(
            spec,
            {"name", "year", "size", "year_parameter", "size_parameter", "input", "duration"},
            here,
        )
        event = Event(
            _string(spec, "name", here),
            _number(spec, "year", here),
            _number(spec, "size", here, 1.0),
            _string(spec, "year_parameter", here, None),
            _string(spec, "size_parameter", here, None),
            _string(spec, "input", here, None),
            _number(spec, "duration", here, 1.0),
        )
        if not (event.year_parameter or event.size_parameter or event.input):
            raise SpecError(
                f"{here}: event {event.name!r} enters the model nowhere; give "
                "year_parameter/size_parameter or input"
            )
        if event.duration <= 0:
            raise SpecError(f"{here}: duration must be positive")
        events.append(event)
    return overrides, tuple(series), tuple(events), drivers


def load_case(case: str | os.PathLike[str]) -> Case:
    """Load a calibration case.

    Parameters
    ----------
    case : str or path-like
        A shipped case name (``"cambodia_garment"``), a case folder, or the
        path of its ``case.toml``.

    Returns
    -------
    Case

    Raises
    ------
    SpecError
        If the folder or ``case.toml`` is missing or malformed (unknown keys,
        inverted bounds, no targets, references to data variables that
        ``data.csv`` lacks, ...).
    DataError
        If ``data.csv`` is malformed or observations fall outside the time span.
    """
    folder = _resolve_folder(case)
    spec_path = folder / "case.toml"
    if not spec_path.is_file():
        raise SpecError(f"case folder {str(folder)!r} has no case.toml")
    spec = read_toml(spec_path, SpecError, "case file")  # the shared strict reader
    where = str(spec_path)
    _check_keys(
        spec,
        {
            "name",
            "description",
            "model",
            "time",
            "options",
            "inputs",
            "targets",
            "free",
            "joint",
            "fit",
            "constraints",
        },
        where,
    )
    data = read_case_data(folder / "data.csv")
    return build_case(spec, data, folder=folder, where=where)


def build_case(
    spec: Mapping[str, Any], data: pd.DataFrame, *, folder: Path | None = None, where="case"
) -> Case:
    """Build a :class:`Case` from a parsed ``case.toml`` mapping and a checked data table.

    See :func:`load_case`; this is the part that does not touch the file system
    (except to resolve a relative model path against ``folder``).
    """
    name = _string(spec, "name", where, folder.name if folder else "case")
    model_entry = spec.get("model", "default")
    if not isinstance(model_entry, str):
        raise SpecError(f"{where}: model must be 'default' or a path")
    model = None
    if model_entry != "default":
        model = Path(model_entry)
        if not model.is_absolute() and folder is not None:
            model = folder / model
        if not model.is_file():
            raise SpecError(f"{where}: model file {str(model)!r} does not exist")
    time = spec.get("time")
    if not isinstance(time, Mapping):
        raise SpecError(f"{where}: missing [time] table with start and end")
    _check_keys(time, {"start", "end"}, f"{where} [time]")
    start, end = _number(time, "start", f"{where} [time]"), _number(time, "end", f"{where} [time]")
    if not start < end:
        raise SpecError(f"{where} [time]: start {start:g} must be before end {end:g}")
    options = spec.get("options", {})
    _check_keys(options, {"unverified_weight"}, f"{where} [options]")
    unverified_weight = _number(options, "unverified_weight", f"{where} [options]", 0.0)
    if not 0 <= unverified_weight <= 1:
        raise SpecError(f"{where} [options]: unverified_weight must lie in [0, 1]")
    overrides, series, events, drivers = _parse_inputs(spec.get("inputs"), where)
    fit = parse_fit_table(spec.get("fit"), where)
    constraints = _parse_constraints(spec.get("constraints"), where)
    targets = _parse_targets(spec.get("targets"), where)
    free = _parse_free(spec.get("free", {}), where)
    if not free:
        raise SpecError(f'{where}: no free parameters; add at least one [free."name"] table')
    joint = spec.get("joint", {})
    _check_keys(joint, {"shared"}, f"{where} [joint]")
    shared = tuple(joint.get("shared", ()))
    case = Case(
        name=name,
        folder=folder,
        model=model,
        start=start,
        end=end,
        data=data,
        targets=targets,
        free=free,
        overrides=overrides,
        series=series,
        events=events,
        shared=shared,
        unverified_weight=unverified_weight,
        description=str(spec.get("description", "")),
        drivers=drivers,
        constraints=constraints,
        fit=fit,
    )
    _check_references(case, where)
    return case


def _check_references(case: Case, where: str) -> None:
    known = set(case.data["variable"])
    free = {p.name: p for p in case.free}
    for target in case.targets:
        for component in target.components:
            for variable in (component.variable, component.divide_by):
                if variable is not None and variable not in known:
                    raise SpecError(
                        f"{where}: target {target.name!r} uses data variable {variable!r}, "
                        "which data.csv does not hold"
                    )
            rows = case.data[
                (case.data["variable"] == component.variable)
                & (case.data["year"] >= component.first_year)
                & (case.data["year"] <= component.last_year)
            ]
            time = rows["year"] + component.year_offset
            outside = (time < case.start - 1e-9) | (time > case.end + 1e-9)
            if outside.any():
                year = float(rows["year"][outside].iloc[0])
                raise DataError(
                    f"{where}: observation of {component.variable!r} in {year:g} (model time "
                    f"{year + component.year_offset:g}) lies outside the time span "
                    f"{case.start:g}-{case.end:g}; narrow the years with first_year/last_year "
                    "or widen [time]"
                )
        if target.scale_parameter is not None:
            parameter = free.get(target.scale_parameter)
            if parameter is None or not parameter.nuisance:
                raise SpecError(
                    f"{where}: target {target.name!r} scale_parameter "
                    f"{target.scale_parameter!r} must be a free parameter with nuisance = true"
                )
    for spec in case.series:
        for variable in (spec.variable, spec.divide_by):
            if variable is not None and variable not in known:
                raise SpecError(
                    f"{where}: input series for {spec.parameter!r} uses data variable "
                    f"{variable!r}, which data.csv does not hold"
                )
    for driver in case.drivers:
        if driver.variable not in known:
            raise SpecError(
                f"{where}: driver for {driver.input!r} uses data variable "
                f"{driver.variable!r}, which data.csv does not hold"
            )
        rows = case.data[case.data["variable"] == driver.variable]
        values = rows["value"].to_numpy(float)
        if (values <= 0).any():
            raise DataError(f"{where}: driver {driver.variable!r} must be positive (an index)")
        base = driver.base_year if driver.base_year is not None else case.start
        if not rows["year"].min() - 1e-9 <= base <= rows["year"].max() + 1e-9:
            raise DataError(
                f"{where}: driver {driver.variable!r} has no reading around its base year "
                f"{base:g} (data {rows['year'].min():g}-{rows['year'].max():g})"
            )
    fixed = case.fixed_parameters()
    clash = sorted(set(fixed) & set(free))
    if clash:
        raise SpecError(f"{where}: parameter(s) {clash} are both fixed (input/event) and free")
    for name in case.shared:
        if name not in free:
            raise SpecError(f"{where} [joint]: shared parameter {name!r} is not a free parameter")
    for event in case.events:
        if not case.start <= event.year <= case.end:
            raise DataError(
                f"{where}: event {event.name!r} in {event.year:g} lies outside the time span "
                f"{case.start:g}-{case.end:g}"
            )


def check_case(case: Case, parameters: pd.DataFrame, variables: set[str] | frozenset[str]):
    """Check a case against a model's parameter table and variable names.

    Parameters
    ----------
    case : Case
    parameters : pandas.DataFrame
        Indexed by parameter name with ``lower`` and ``upper`` columns (may be NaN).
    variables : set of str
        Names of the model's variables.

    Raises
    ------
    UnknownVariableError
        If a target names a variable the model does not define.
    UnknownParameterError
        If a free parameter, override, event or input names a parameter the
        model does not define.
    SpecError
        If a free parameter's bounds leave the model's declared range.
    """
    for target in case.targets:
        if target.model_variable not in variables:
            raise UnknownVariableError(
                f"case {case.name!r}: target {target.name!r} names model variable "
                f"{target.model_variable!r}, which the model does not define"
            )
    for constraint in case.constraints:
        for variable in constraint.variables:
            if variable not in variables:
                raise UnknownVariableError(
                    f"case {case.name!r}: constraint {constraint.name!r} names model variable "
                    f"{variable!r}, which the model does not define"
                )
    table = ParameterTable(parameters, check=False)  # names and ranges: one check, one wording
    used: list[tuple[str | None, str]] = [
        (p.name, "free parameter") for p in case.free if not p.nuisance
    ]
    used += [(n, "override") for n in case.overrides]
    used += [(s.parameter, "input series") for s in case.series]
    for event in case.events:
        used += [
            (n, f"event {event.name!r}") for n in (event.year_parameter, event.size_parameter)
        ]
        used += [(event.input, f"event {event.name!r}")]
    try:
        for name, role in used:
            if name is not None:
                where = role
                table.check_names([name], variables=variables)
        for p in case.free:
            if not p.nuisance:
                where = "free parameter"
                table.check_interval(p.name, p.lower, p.upper)
        for name, value in case.overrides.items():
            where = "override"
            table.check_values(name, value)
    except UnknownParameterError as exc:
        raise UnknownParameterError(f"case {case.name!r}: {where}: {exc}") from exc
    except ParameterRangeError as exc:
        raise SpecError(f"case {case.name!r}: {where}: {exc}") from exc
