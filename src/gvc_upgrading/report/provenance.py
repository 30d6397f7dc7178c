"""The report's provenance block: what produced it, from which inputs, when.

:func:`report_provenance` gathers the model's sha256, the versions of
gvc-upgrading, pysd and SALib, the seeds, the case data's sources and the
date, plus which results were loaded from storage and which were computed in
this run. Every value is a string or a number, so the mapping can be
written as netCDF attributes as it is (lists and mappings as JSON strings).
"""

from __future__ import annotations

import csv
import json
import platform
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pysd

from ..provenance import utc_now

__all__ = ["PROVENANCE_KEYS", "case_data_sources", "model_check", "report_provenance"]

#: Attributes every data file of a report carries.
PROVENANCE_KEYS: tuple[str, ...] = (
    "report_case",
    "report_mode",
    "report_created",
    "model_file",
    "model_sha256",
    "gvc_upgrading_version",
    "pysd_version",
    "salib_version",
    "python_version",
    "seeds",
    "data_sources",
    "results_origin",
)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:  # pragma: no cover - not installed
        return "not installed"


def case_data_sources(data_csv: str | Path) -> list[str]:
    """Return the distinct entries of the ``source`` column of a case's ``data.csv``, in order."""
    path = Path(data_csv)
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "source" not in reader.fieldnames:
            return []
        sources = [(row.get("source") or "").strip() for row in reader]
    return [source for source in dict.fromkeys(sources) if source]


def report_provenance(
    *,
    case: str,
    mode: str,
    model: Any,
    seeds: Mapping[str, int | None],
    data_sources: list[str],
    origins: Mapping[str, str],
) -> dict[str, str | float]:
    """Return the provenance attributes of a report.

    Parameters
    ----------
    case : str
        The calibrated case.
    mode : str
        ``"quick"`` or ``"full"``.
    model : Model
        The model the scenarios ran on.
    seeds : mapping
        Seed per random component (``calibration``, ``sobol``); None when unknown.
    data_sources : list of str
        The case data's sources.
    origins : mapping
        Per result (``calibration``, ``sobol``, ``scenarios``), a sentence
        saying whether it was loaded from storage or computed in this run.

    Returns
    -------
    dict
        Keys :data:`PROVENANCE_KEYS`.
    """
    from .. import __version__

    return {
        "report_case": case,
        "report_mode": mode,
        "report_created": utc_now(),
        "model_file": str(model.path),
        "model_sha256": str(model.sha256),
        "gvc_upgrading_version": __version__,
        "pysd_version": pysd.__version__,
        "salib_version": _version("SALib"),
        "python_version": platform.python_version(),
        "seeds": json.dumps(dict(seeds), sort_keys=True),
        "data_sources": json.dumps(list(data_sources)),
        "results_origin": json.dumps(dict(origins)),
    }


def model_check(stored_sha: object, model_sha: str) -> str:
    """Return a clause saying whether a stored result was made with the report's model file.

    Examples
    --------
    >>> model_check("ab" * 32, "ab" * 32)
    "; made with the report's model file"
    """
    if not stored_sha:
        return "; it does not record the sha256 of the model file it was made with"
    if str(stored_sha) != model_sha:
        return (
            f"; warning: it was made with another version of the model file (sha256 "
            f"{str(stored_sha)[:12]}..., the report's model is {model_sha[:12]}...)"
        )
    return "; made with the report's model file"
