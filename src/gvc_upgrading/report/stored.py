"""Stored results the report reads: calibration fits and Sobol' studies.

A stored fit is the netCDF form of a
:class:`~gvc_upgrading.calibration.CalibrationResult` (``to_dataset()``), as
``gvc-upgrading calibrate`` writes it to ``calibration/fits/<case>/ensemble.nc``
(``fit.nc``, the only ``.nc`` file of that folder, or
``calibration/fits/<case>.nc`` are accepted too). A stored Sobol' study is the
``sobol.nc`` that ``gvc-upgrading sensitivity`` writes, kept in
``sensitivity/results/<study>/`` (or ``sensitivity/results/``).
:class:`StoredFit` turns a fit into what the report runs: the case's
parameters at the estimate and one parameter set per bootstrap replicate.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import CalibrationError, DataError
from ..resources import DEFAULT_CASE, shipped_path

__all__ = [
    "DEFAULT_CASE",
    "FIT_FILES",
    "STATISTIC_PREFIX",
    "StoredFit",
    "choose_case",
    "find_stored_fit",
    "find_stored_sobol",
    "fits_directory",
    "load_stored_fit",
    "sensitivity_results_directory",
]

#: Prefix of the fit-statistics variables in a stored fit (``stat_rmse``, ...).
STATISTIC_PREFIX = "stat_"

#: File names of a stored fit in ``calibration/fits/<case>/``, in order of preference.
FIT_FILES: tuple[str, ...] = ("ensemble.nc", "fit.nc")

ParameterValue: TypeAlias = float | pd.Series


def fits_directory() -> Path:
    """Return the folder of stored fits (``calibration/fits``), even when it does not exist."""
    try:
        return shipped_path("calibration", "fits")
    except FileNotFoundError:
        return shipped_path("calibration") / "fits"


def sensitivity_results_directory() -> Path:
    """Return the folder of stored Sobol' studies (``sensitivity/results``), existing or not."""
    try:
        return shipped_path("sensitivity", "results")
    except FileNotFoundError:
        return shipped_path("sensitivity") / "results"


def find_stored_fit(case: str, fits_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the stored fit file of ``case``, or None when there is none.

    Looks for ``<fits_dir>/<case>/ensemble.nc`` (what ``gvc-upgrading
    calibrate`` writes), ``<fits_dir>/<case>/fit.nc``, then the only ``.nc``
    file in ``<fits_dir>/<case>/``, then ``<fits_dir>/<case>.nc``.

    Raises
    ------
    CalibrationError
        If the case folder holds several other ``.nc`` files.
    """
    root = Path(fits_dir) if fits_dir is not None else fits_directory()
    folder = root / case
    for name in FIT_FILES:
        if (folder / name).is_file():
            return folder / name
    if folder.is_dir():
        files = sorted(folder.glob("*.nc"))
        if len(files) == 1:
            return files[0]
        if len(files) > 1:
            raise CalibrationError(
                f"{folder} holds several fits ({', '.join(f.name for f in files)}); "
                f"name the one the report should use {FIT_FILES[0]}"
            )
    single = root / f"{case}.nc"
    return single if single.is_file() else None


def choose_case(fits_dir: str | os.PathLike[str] | None = None) -> str:
    """Return the default case: :data:`DEFAULT_CASE` if its fit is stored, else any stored one.

    Falls back to :data:`DEFAULT_CASE` when no fit is stored at all.
    """
    if find_stored_fit(DEFAULT_CASE, fits_dir) is not None:
        return DEFAULT_CASE
    root = Path(fits_dir) if fits_dir is not None else fits_directory()
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            name = entry.stem if entry.suffix == ".nc" else entry.name
            if find_stored_fit(name, root) is not None:
                return name
    return DEFAULT_CASE


def find_stored_sobol(
    study: str = "default", results_dir: str | os.PathLike[str] | None = None
) -> Path | None:
    """Return the stored ``sobol.nc`` of ``study``, or None when there is none.

    Looks in ``<results_dir>/<study>/sobol.nc``, then ``<results_dir>/sobol.nc``
    (accepted only when its ``study`` attribute is ``study``).
    """
    root = Path(results_dir) if results_dir is not None else sensitivity_results_directory()
    candidate = root / study / "sobol.nc"
    if candidate.is_file():
        return candidate
    flat = root / "sobol.nc"
    if flat.is_file():
        with xr.open_dataset(flat, engine="h5netcdf") as dataset:
            if str(dataset.attrs.get("study", study)) == study:
                return flat
    return None


def _series(value: Mapping[str, Any]) -> pd.Series:
    times = np.asarray(value["time"], dtype=float)
    values = np.asarray([np.nan if v is None else v for v in value["value"]], dtype=float)
    return pd.Series(values, index=pd.Index(times, name="time"))


def _parameter(name: str, value: Any, where: str) -> ParameterValue:
    if isinstance(value, Mapping) and {"time", "value"} <= set(value):
        return _series(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise DataError(f"{where}: parameter {name!r} has an unreadable value {value!r}")


@dataclass(frozen=True)
class StoredFit:
    """A calibration fit as the report uses it.

    Attributes
    ----------
    case : str
        The case name.
    dataset : xarray.Dataset
        The fit in the netCDF form of ``CalibrationResult.to_dataset()``.
    path : pathlib.Path or None
        The file it was read from (None when computed in this run).
    origin : str
        ``"loaded"`` (read from storage) or ``"recomputed"``.
    """

    case: str
    dataset: xr.Dataset
    path: Path | None = None
    origin: str = "loaded"

    @property
    def base_params(self) -> dict[str, ParameterValue]:
        """Model parameters at the estimate (free estimates, case overrides, input series)."""
        where = str(self.path or f"fit of {self.case}")
        try:
            per_case = json.loads(self.dataset.attrs["params"])
        except (KeyError, json.JSONDecodeError) as exc:
            raise DataError(f"{where}: no readable 'params' attribute ({exc})") from exc
        if self.case not in per_case:
            raise DataError(f"{where}: holds parameters of {sorted(per_case)}, not {self.case!r}")
        return {
            name: _parameter(name, value, where) for name, value in per_case[self.case].items()
        }

    @property
    def parameter_names(self) -> list[str]:
        """The fitted parameters (model parameters and nuisance ones)."""
        return [str(name) for name in self.dataset["parameter"].values]

    @property
    def n_replicates(self) -> int:
        """Number of bootstrap refits stored (0 when none)."""
        return int(self.dataset.sizes.get("replicate", 0)) if "bootstrap" in self.dataset else 0

    @property
    def seed(self) -> int | None:
        """The calibration's seed, when its diagnostics record one."""
        try:
            seed = json.loads(self.dataset.attrs.get("diagnostics", "{}")).get("seed")
        except json.JSONDecodeError:
            return None
        return None if seed is None else int(seed)

    def replicate_params(self) -> list[dict[str, ParameterValue]]:
        """One parameter set per bootstrap replicate: the estimate with the refitted values.

        Fitted parameters that are not model parameters (nuisance scales of
        the data) are left out.
        """
        base = self.base_params
        if not self.n_replicates:
            return []
        boot = np.asarray(self.dataset["bootstrap"].transpose("replicate", "parameter").values)
        names = self.parameter_names
        model_columns = [(j, name) for j, name in enumerate(names) if name in base]
        replicates = []
        for row in boot:
            params = dict(base)
            params.update({name: float(row[j]) for j, name in model_columns})
            replicates.append(params)
        return replicates

    def statistics(self) -> pd.DataFrame:
        """Fit statistics per series and sample, one row each (the ``stat_*`` variables)."""
        names = [str(n) for n in self.dataset.data_vars if str(n).startswith(STATISTIC_PREFIX)]
        if not names:
            raise DataError(f"{self.path or self.case}: the fit holds no fit statistics")
        frame = pd.DataFrame(
            {name[len(STATISTIC_PREFIX) :]: self.dataset[name].values for name in names}
        )
        for column in ("series", "sample"):
            if column in frame:
                frame[column] = frame[column].astype(str)
        return frame


def load_stored_fit(case: str, fits_dir: str | os.PathLike[str] | None = None) -> StoredFit:
    """Read the stored fit of ``case``.

    Raises
    ------
    CalibrationError
        If no fit of ``case`` is stored, naming where it was looked for and
        how to make one.
    DataError
        If the file cannot be read or is not a fit of ``case``.
    """
    path = find_stored_fit(case, fits_dir)
    if path is None:
        root = Path(fits_dir) if fits_dir is not None else fits_directory()
        raise CalibrationError(
            f"no stored fit of case {case!r} in {root} (looked for {root / case}/"
            f"{FIT_FILES[0]} and {root / case}.nc); run the report without --quick to "
            f"recompute it, or store one with: gvc-upgrading calibrate {case} --out {root}"
        )
    try:
        with xr.open_dataset(path, engine="h5netcdf") as opened:
            dataset = opened.load()
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the stored fit {path}: {exc}") from exc
    stored_case = str(dataset.attrs.get("case", case))
    if case not in stored_case.split("+"):
        raise DataError(f"{path} is a fit of {stored_case!r}, not of {case!r}")
    fit = StoredFit(case=case, dataset=dataset, path=path, origin="loaded")
    fit.base_params  # noqa: B018 - fail early on an unreadable parameter set
    return fit
