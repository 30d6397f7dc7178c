"""Checks of parameter names, values and ranges against a model's parameter table.

Scenarios, engine samples, calibration cases, sensitivity studies and
explorations all speak in the model's own parameter names. Every one of them
checks them through :class:`ParameterTable` (or :func:`validate_params`, which
uses it): an unknown name, a value that is not a finite number, a value
outside the parameter's declared ``[lower, upper]`` range, or a sampling range
reaching outside it is refused here, with one wording wherever it is found
(the caller puts the file or study in front).

A value is either a number (a constant for the whole run) or a
:class:`pandas.Series` indexed by year (a time-series input, interpolated by
the simulator).
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import TypeAlias

import numpy as np
import pandas as pd

from .errors import ModelFileError, ParameterRangeError, UnknownParameterError

__all__ = [
    "ParameterTable",
    "ParameterValue",
    "check_known",
    "check_mapping",
    "check_parameter_table",
    "check_range",
    "check_value",
    "close_matches",
    "unknown_parameter",
    "validate_params",
]

#: A parameter override: a number, or a series of numbers indexed by year.
ParameterValue: TypeAlias = float | pd.Series


def close_matches(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` of ``candidates`` that look like ``name`` (case-insensitive)."""
    candidates = list(candidates)
    by_folded = {candidate.casefold(): candidate for candidate in candidates}
    folded = difflib.get_close_matches(name.casefold(), list(by_folded), n=n, cutoff=0.6)
    return [by_folded[match] for match in folded]


def _unknown_message(name: str, known: Iterable[str], kind: str, hint: str = "") -> str:
    message = f"unknown {kind} {name!r}"
    suggestions = close_matches(name, known)
    if suggestions:
        message += "; did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
    if hint:
        message += f" ({hint})"
    return message


def unknown_parameter(
    name: object, known: Iterable[str], *, variables: Iterable[str] = ()
) -> UnknownParameterError:
    """The error for a name that is not a parameter: close matches, and a hint for a variable.

    Examples
    --------
    >>> print(unknown_parameter("Grwth", ["Growth"], variables=["Growth", "Stock"]))
    unknown parameter 'Grwth'; did you mean 'Growth'?
    >>> print(unknown_parameter("Stock", ["Growth"], variables=["Growth", "Stock"]))
    unknown parameter 'Stock' (it is a model variable, not a constant that can be set)
    """
    if not isinstance(name, str):
        return UnknownParameterError(f"parameter names must be strings, got {name!r}")
    hint = "it is a model variable, not a constant that can be set" if name in variables else ""
    return UnknownParameterError(_unknown_message(name, known, "parameter", hint))


def check_known(
    names: Iterable[str],
    parameters: pd.DataFrame,
    *,
    variables: Iterable[str] = (),
) -> None:
    """Raise if any of ``names`` is not a parameter of the model.

    Parameters
    ----------
    names : iterable of str
        Parameter names to check.
    parameters : pandas.DataFrame
        The model's parameter table (indexed by Vensim name).
    variables : iterable of str, optional
        Every variable of the model; a name found here but not among the
        parameters gets a message saying it is not a constant.

    Raises
    ------
    UnknownParameterError
        Naming the first unknown parameter and the closest known names.
    """
    known = set(parameters.index)
    variables = set(variables)
    for name in names:
        if isinstance(name, str) and name in known:
            continue
        raise unknown_parameter(name, known, variables=variables)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real | np.number) and not isinstance(value, bool | np.bool_)


def _bound(value: float, missing: str) -> str:
    return missing if math.isnan(value) else f"{value:g}"


def check_range(
    name: str, values: object, lower: float, upper: float, *, check_bounds: bool = True
) -> None:
    """Refuse a value (or array of values) that is not finite or lies outside ``[lower, upper]``.

    A NaN bound is open. For an array, the message names the item (its
    index in the flattened array).

    Raises
    ------
    ParameterRangeError
        Naming the parameter, the value and the range.

    Examples
    --------
    >>> check_range("Buyer support", [0.2, 1.5], 0.0, 1.0)
    Traceback (most recent call last):
    ...
    gvc_upgrading.errors.ParameterRangeError: parameter 'Buyer support': value 1.5 (item 1) is outside its range [0, 1] (pass check_bounds=False to allow it)
    """  # noqa: E501
    array = np.asarray(values, dtype=float).ravel()

    def item(i: int) -> str:
        return f" (item {i})" if array.size > 1 else ""

    bad = ~np.isfinite(array)
    if bad.any():
        i = int(np.argmax(bad))
        raise ParameterRangeError(
            f"parameter {name!r}: value {float(array[i])!r}{item(i)} is not a finite number"
        )
    if not check_bounds:
        return
    outside = np.zeros(array.shape, bool)
    if not math.isnan(lower):
        outside |= array < lower
    if not math.isnan(upper):
        outside |= array > upper
    if outside.any():
        i = int(np.argmax(outside))
        raise ParameterRangeError(
            f"parameter {name!r}: value {array[i]:g}{item(i)} is outside its range"
            f" [{_bound(lower, '-inf')}, {_bound(upper, 'inf')}]"
            " (pass check_bounds=False to allow it)"
        )


def _check_series(
    name: str, series: pd.Series, lower: float, upper: float, check_bounds: bool
) -> pd.Series:
    if series.empty:
        raise ParameterRangeError(f"parameter {name!r}: the time series is empty")
    try:
        years = pd.Index(series.index).astype(float)
        values = np.asarray(series.to_numpy(), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterRangeError(
            f"parameter {name!r}: the time series must hold numbers indexed by year ({exc})"
        ) from exc
    if not np.all(np.isfinite(years)):
        raise ParameterRangeError(f"parameter {name!r}: the time series has a non-finite year")
    if years.has_duplicates:
        raise ParameterRangeError(f"parameter {name!r}: the time series repeats a year")
    if not years.is_monotonic_increasing:
        raise ParameterRangeError(
            f"parameter {name!r}: the years of the time series must increase"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        year = years[int(np.argmax(bad))]
        raise ParameterRangeError(
            f"parameter {name!r}: the time series value in {year:g} is not a finite number"
            f" ({values[bad][0]!r})"
        )
    for year, value in zip(years, values, strict=True):
        try:
            check_range(name, float(value), lower, upper, check_bounds=check_bounds)
        except ParameterRangeError as exc:
            raise ParameterRangeError(f"{exc} (time series value in {year:g})") from None
    return pd.Series(values, index=pd.Index(years, name="time"), name=name)


def check_mapping(params: object) -> None:
    """Raise :class:`UnknownParameterError` unless ``params`` is a mapping of name to value."""
    if not isinstance(params, Mapping):
        raise UnknownParameterError(
            f"parameters must be a mapping of name to value, got {type(params).__name__}"
        )


def check_value(
    name: str,
    value: object,
    parameters: pd.DataFrame,
    *,
    check_bounds: bool = True,
) -> ParameterValue:
    """Check one override of a known parameter and return it in canonical form.

    Parameters
    ----------
    name : str
        A name in ``parameters.index``.
    value : number or pandas.Series
        A constant, or a series of values indexed by year.
    parameters : pandas.DataFrame
        The model's parameter table.
    check_bounds : bool, default True
        Refuse values outside ``[lower, upper]``; a missing bound is open.

    Returns
    -------
    float or pandas.Series
        A Python float, or a float series indexed by (float) year.

    Raises
    ------
    ParameterRangeError
        If the value is not a number or series of numbers, not finite, or out
        of range.
    """
    lower = float(parameters.at[name, "lower"])
    upper = float(parameters.at[name, "upper"])
    if isinstance(value, pd.Series):
        return _check_series(name, value, lower, upper, check_bounds)
    if not _is_number(value):
        raise ParameterRangeError(
            f"parameter {name!r}: expected a number or a pandas Series indexed by year,"
            f" got {type(value).__name__} {value!r}"
        )
    try:
        number = float(value)  # type: ignore[arg-type]  # a real number, checked above
    except OverflowError:
        raise ParameterRangeError(
            f"parameter {name!r}: value {value!r} is too large for a floating-point number"
        ) from None
    check_range(name, number, lower, upper, check_bounds=check_bounds)
    return number


def validate_params(
    params: Mapping[str, object] | None,
    parameters: pd.DataFrame,
    *,
    check_bounds: bool = True,
    variables: Iterable[str] = (),
) -> dict[str, ParameterValue]:
    """Check parameter overrides against the parameter table.

    Parameters
    ----------
    params : mapping of str to number or pandas.Series, or None
        Overrides by Vensim parameter name.
    parameters : pandas.DataFrame
        The model's parameter table (``Model.parameters``).
    check_bounds : bool, default True
        Refuse values outside the declared ``[lower, upper]`` range. Extreme
        condition tests pass ``False``; non-finite values are always refused.
    variables : iterable of str, optional
        Every model variable, for a better message when a name is a variable
        but not a parameter.

    Returns
    -------
    dict
        The overrides with numbers as floats and series as float series
        indexed by year.

    Raises
    ------
    UnknownParameterError
        If a name is not a parameter of the model (with close matches).
    ParameterRangeError
        If a value is not finite, not numeric, or out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {"lower": [0.0], "upper": [1.0]}, index=pd.Index(["Buyer support"], name="name")
    ... )
    >>> validate_params({"Buyer support": 0.5}, table)
    {'Buyer support': 0.5}
    >>> validate_params({"Buyer suport": 0.5}, table)
    Traceback (most recent call last):
    ...
    gvc_upgrading.errors.UnknownParameterError: unknown parameter 'Buyer suport'; did you mean 'Buyer support'?
    """  # noqa: E501
    if params is None:
        return {}
    check_mapping(params)
    check_known(params, parameters, variables=variables)
    return {
        name: check_value(name, value, parameters, check_bounds=check_bounds)
        for name, value in params.items()
    }


def check_parameter_table(parameters: pd.DataFrame, source: str = "the model") -> None:
    """Refuse a parameter table whose ranges are empty or whose defaults lie outside them.

    Raises
    ------
    ModelFileError
        Naming the model, the parameter, its range and its default.

    Examples
    --------
    >>> table = pd.DataFrame(
    ...     {"default": [0.5], "lower": [1.0], "upper": [0.0]},
    ...     index=pd.Index(["Buyer support"], name="name"),
    ... )
    >>> check_parameter_table(table, "m.mdl")
    Traceback (most recent call last):
    ...
    gvc_upgrading.errors.ModelFileError: m.mdl: parameter 'Buyer support' has the empty range [1, 0] (lower above upper)
    """  # noqa: E501
    for name, row in parameters.iterrows():
        lower, upper, default = float(row["lower"]), float(row["upper"]), float(row["default"])
        if not math.isfinite(default):
            raise ModelFileError(
                f"{source}: parameter {name!r} has the non-finite value {default}"
            )
        if not math.isnan(lower) and not math.isnan(upper) and lower > upper:
            raise ModelFileError(
                f"{source}: parameter {name!r} has the empty range [{lower:g}, {upper:g}]"
                " (lower above upper)"
            )
        below = not math.isnan(lower) and default < lower
        above = not math.isnan(upper) and default > upper
        if below or above:
            raise ModelFileError(
                f"{source}: the value {default:g} of parameter {name!r} is outside its range"
                f" [{lower:g}, {upper:g}]"
            )


class ParameterTable:
    """A model's parameters (name, default, range, unit, group) with ``check`` and ``suggest``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by name with columns ``default, lower, upper`` (and ``unit``,
        ``group`` when known), as :func:`gvc_upgrading.parameters.parameter_table`.
    source : str
        The model, for messages.

    Examples
    --------
    >>> table = ParameterTable(pd.DataFrame(
    ...     {"default": [0.3], "lower": [0.0], "upper": [1.0]},
    ...     index=pd.Index(["Buyer support"], name="name"),
    ... ))
    >>> table.check({"Buyer support": 0.5})
    {'Buyer support': 0.5}
    >>> table.suggest("buyer suport")
    ['Buyer support']
    """

    def __init__(self, frame: pd.DataFrame, source: str = "the model", *, check: bool = True):
        if check:  # a Model's own table was checked when it was loaded
            check_parameter_table(frame, source)
        self.frame = frame
        self.source = source

    def __contains__(self, name: object) -> bool:
        return name in self.frame.index

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def names(self) -> list[str]:
        """The parameter names, in model order."""
        return [str(name) for name in self.frame.index]

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` parameter names that look like ``name``."""
        return close_matches(name, self.names, n=n)

    def check(
        self, params: Mapping[str, object] | None, *, check_bounds: bool = True
    ) -> dict[str, ParameterValue]:
        """Validate overrides (see :func:`validate_params`)."""
        return validate_params(params, self.frame, check_bounds=check_bounds)

    def check_names(
        self, names: Iterable[object], *, variables: Iterable[str] = (), also: Iterable[str] = ()
    ) -> None:
        """Refuse the first of ``names`` that is not a parameter (nor in ``also``).

        Raises
        ------
        UnknownParameterError
            ``unknown parameter 'X'; did you mean 'Y'?`` (see :func:`unknown_parameter`).
        """
        extra = set(also)
        variables = set(variables)
        for name in names:
            if not (isinstance(name, str) and (name in self.frame.index or name in extra)):
                raise unknown_parameter(name, [*self.names, *extra], variables=variables)

    def bounds(self, name: str) -> tuple[float, float]:
        """The declared ``(lower, upper)`` of a parameter (NaN: open)."""
        return float(self.frame.at[name, "lower"]), float(self.frame.at[name, "upper"])

    def check_values(self, name: str, values: object, *, check_bounds: bool = True) -> None:
        """Refuse values of parameter ``name`` that are not finite or out of range.

        See :func:`check_range`; ``values`` is a number or an array of any shape.
        """
        check_range(name, values, *self.bounds(name), check_bounds=check_bounds)

    def check_interval(self, name: str, lower: float, upper: float) -> None:
        """Refuse a sampling or search range ``[lower, upper]`` reaching outside the declared one.

        Raises
        ------
        ParameterRangeError
            ``parameter 'X': the range [a, b] reaches outside its range [l, u] in the model``.

        Examples
        --------
        >>> table = ParameterTable(pd.DataFrame(
        ...     {"default": [0.3], "lower": [0.0], "upper": [1.0]},
        ...     index=pd.Index(["Buyer support"], name="name"),
        ... ))
        >>> table.check_interval("Buyer support", 0.1, 2.0)
        Traceback (most recent call last):
        ...
        gvc_upgrading.errors.ParameterRangeError: parameter 'Buyer support': the range [0.1, 2] reaches outside its range [0, 1] in the model
        """  # noqa: E501
        low, high = self.bounds(name)
        if (not math.isnan(low) and lower < low) or (not math.isnan(high) and upper > high):
            raise ParameterRangeError(
                f"parameter {name!r}: the range [{lower:g}, {upper:g}] reaches outside its range"
                f" [{_bound(low, '-inf')}, {_bound(high, 'inf')}] in the model"
            )
