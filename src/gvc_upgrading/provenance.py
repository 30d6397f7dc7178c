"""Provenance attributes attached to every result Dataset.

A result must say where it came from: which model file (by sha256), which
versions of gvc-upgrading and pysd, which scenario and which parameter
overrides, and when it was made. netCDF attributes can only hold strings,
numbers and lists, so mappings are stored as JSON strings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd
import pysd

__all__ = ["overrides_json", "provenance_attrs", "utc_now"]


def utc_now() -> str:
    """Return the current time as an ISO 8601 UTC string (seconds precision)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _jsonable(value: object) -> object:
    if isinstance(value, pd.Series):
        return {f"{float(year):g}": float(v) for year, v in value.items()}
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else str(number)


def overrides_json(overrides: Mapping[str, object] | None) -> str:
    """Serialise parameter overrides as a JSON object string, keys sorted.

    Numbers become JSON numbers; a time series becomes ``{"year": value}``.

    Examples
    --------
    >>> overrides_json({"b": 1, "a": 0.5})
    '{"a": 0.5, "b": 1.0}'
    """
    return json.dumps(
        {name: _jsonable(value) for name, value in (overrides or {}).items()}, sort_keys=True
    )


def provenance_attrs(
    *,
    model_sha256: str,
    model_file: str,
    scenario: str = "",
    overrides: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """Return the provenance attributes of a result.

    Parameters
    ----------
    model_sha256 : str
        sha256 of the ``.mdl`` file's bytes.
    model_file : str
        Path of the ``.mdl`` file.
    scenario : str, optional
        Scenario name, or ``""`` for a run without one.
    overrides : mapping, optional
        Parameter overrides applied on top of the model (and scenario).

    Returns
    -------
    dict of str to str
        Keys ``model_sha256, model_file, gvc_upgrading_version, pysd_version,
        scenario, overrides, created``; every value a string, safe for netCDF.
    """
    from . import __version__

    return {
        "model_sha256": model_sha256,
        "model_file": str(model_file),
        "gvc_upgrading_version": __version__,
        "pysd_version": pysd.__version__,
        "scenario": scenario or "",
        "overrides": overrides_json(overrides),
        "created": utc_now(),
    }
