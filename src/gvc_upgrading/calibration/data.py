"""Reading and checking a case's observed data (``data.csv``, long format).

One observation a row: ``variable, year, value, unit, verified, source`` and an
optional ``weight``. Years may be decimal (2016.8 = October 2016). Every
problem is reported as a :class:`~gvc_upgrading.errors.DataError` naming the
file, the row and what is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "read_case_data", "validate_case_data"]

#: Columns every ``data.csv`` must have.
REQUIRED_COLUMNS: tuple[str, ...] = ("variable", "year", "value", "unit", "verified", "source")
#: Columns a ``data.csv`` may add.
OPTIONAL_COLUMNS: tuple[str, ...] = ("weight", "note")

_VERIFIED = {"yes": True, "no": False, "true": True, "false": False}


def read_case_data(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and check a ``data.csv`` file.

    Parameters
    ----------
    path : path-like
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable`` (str), ``year`` (float), ``value`` (float),
        ``unit``, ``verified`` (bool), ``source``, ``weight`` (float, 1 when
        absent), sorted by variable and year.

    Raises
    ------
    DataError
        If the file is missing or any check of :func:`validate_case_data` fails.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"case data file {str(path)!r} does not exist")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"case data file {str(path)!r} is not valid CSV: {exc}") from exc
    return validate_case_data(frame, origin=str(path))


def _numeric(frame: pd.DataFrame, column: str, origin: str) -> pd.Series:
    text = frame[column].astype(str).str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{origin}: column {column!r} holds a missing or non-numeric value "
            f"{frame[column].iloc[row]!r} on data row {row + 1} "
            f"(variable {frame['variable'].iloc[row]!r})"
        )
    return values.astype(float)


def validate_case_data(frame: pd.DataFrame, *, origin: str = "data") -> pd.DataFrame:
    """Check a long-format observation table and return a clean copy.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw table (strings are accepted and converted).
    origin : str
        Name used in error messages (usually the file path).

    Returns
    -------
    pandas.DataFrame
        See :func:`read_case_data`.

    Raises
    ------
    DataError
        On missing columns, empty variable names, missing or non-numeric
        years, values or weights (NaN included), negative weights, a
        ``verified`` flag other than yes/no, or duplicate (variable, year)
        pairs.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise DataError(
            f"{origin}: missing column(s) {missing}; a case data file needs "
            f"{list(REQUIRED_COLUMNS)} (+ optional 'weight')"
        )
    if len(frame) == 0:
        raise DataError(f"{origin}: holds no observations")
    frame = frame.reset_index(drop=True)
    variable = frame["variable"].astype(str).str.strip()
    if (variable == "").any():
        row = int(np.flatnonzero((variable == "").to_numpy())[0])
        raise DataError(f"{origin}: empty variable name on data row {row + 1}")
    out = pd.DataFrame({"variable": variable})
    out["year"] = _numeric(frame, "year", origin)
    out["value"] = _numeric(frame, "value", origin)
    out["unit"] = frame["unit"].astype(str)
    flags = frame["verified"].astype(str).str.strip().str.lower()
    unknown = ~flags.isin(list(_VERIFIED))
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DataError(
            f"{origin}: column 'verified' must be yes or no, got "
            f"{frame['verified'].iloc[row]!r} on data row {row + 1}"
        )
    out["verified"] = flags.map(_VERIFIED).astype(bool)
    out["source"] = frame["source"].astype(str)
    if "weight" in frame.columns:
        out["weight"] = _numeric(frame, "weight", origin)
        if (out["weight"] < 0).any():
            row = int(np.flatnonzero((out["weight"] < 0).to_numpy())[0])
            raise DataError(f"{origin}: negative weight on data row {row + 1}")
    else:
        out["weight"] = 1.0
    if "note" in frame.columns:
        out["note"] = frame["note"].astype(str)
    duplicated = out.duplicated(["variable", "year"], keep=False)
    if duplicated.any():
        first = out[duplicated].iloc[0]
        raise DataError(
            f"{origin}: duplicate observation for variable {first['variable']!r} in year "
            f"{first['year']:g}; keep one row per (variable, year)"
        )
    return out.sort_values(["variable", "year"], kind="stable").reset_index(drop=True)
