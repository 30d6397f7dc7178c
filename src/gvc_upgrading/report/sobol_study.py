"""The Sobol' indices the report shows: a stored study, or a small one computed now.

When ``sensitivity/results/<study>/sobol.nc`` is stored (written by
``gvc-upgrading sensitivity``), the report reads it. Otherwise it runs a
study around the calibrated case: governance levers of the default study,
sampled over their ranges and applied from the policy start year on top of
the case's calibrated parameters, with the final-year economic and social
upgrading and less-visible compliance as outputs. The quick version varies
eight levers (one or two per governance path) with a small N and no
second-order indices; the full version varies every lever of the default
study with a larger N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import DataError
from ..resources import shipped_path
from ..sensitivity.spec import load_study
from .ensemble import lever_steps, model_time_grid
from .provenance import model_check
from .stored import StoredFit

__all__ = [
    "QUICK_LEVERS",
    "SobolSource",
    "case_sobol_study",
    "load_stored_sobol",
]

#: Levers of the quick study: the six paths of Gereffi & Lee (2016) and displacement.
QUICK_LEVERS: tuple[str, ...] = (
    "Buyer code intensity",
    "Audit frequency",
    "Buyer capability building",
    "Multi stakeholder capability building",
    "Freedom of association",
    "Collective action effort",
    "Enforcement budget",
    "Crowding out",
)

#: Outputs of the case study (evaluated in the model's final year).
CASE_OUTPUTS: tuple[tuple[str, str], ...] = (
    ("Economic upgrading", "Economic upgrading index"),
    ("Social upgrading", "Social upgrading index"),
    ("Less-visible compliance", "True compliance less visible"),
)


@dataclass(frozen=True)
class SobolSource:
    """Sobol' indices and where they come from.

    Attributes
    ----------
    indices : xarray.Dataset
        The result of :func:`gvc_upgrading.sensitivity.sobol`.
    origin : str
        ``"loaded"`` or ``"recomputed"``.
    description : str
        One sentence for the report saying what was varied and around what.
    """

    indices: xr.Dataset
    origin: str
    description: str


def load_stored_sobol(path, model_sha256: str | None = None) -> SobolSource:
    """Read a stored ``sobol.nc``.

    Parameters
    ----------
    path : path-like
        The file.
    model_sha256 : str, optional
        sha256 of the model the report runs; when the study was made with
        another model file, the description says so.

    Raises
    ------
    DataError
        If the file cannot be read or holds no first-order and total indices.
    """
    try:
        with xr.open_dataset(path, engine="h5netcdf") as opened:
            indices = opened.load()
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the stored Sobol' study {path}: {exc}") from exc
    if "ST" not in indices or "S1" not in indices:
        raise DataError(f"{path} holds no Sobol' indices (variables S1 and ST)")
    study = indices.attrs.get("study", "?")
    scenario = indices.attrs.get("scenario", "") or "the model's defaults"
    description = (
        f"Stored study {study!r} ({path}), N = {indices.attrs.get('n', '?')}, "
        f"seed {indices.attrs.get('seed', '?')}, {indices.attrs.get('runs', '?')} runs: "
        f"parameters varied over their ranges around scenario {scenario} of the shipped "
        "model (not around the calibrated case)."
    )
    if model_sha256:
        check = model_check(indices.attrs.get("model_sha256"), model_sha256)
        description = description[:-1] + check + "."
        if "another version" in check:
            description += " Re-run the study to bring it up to date."
    return SobolSource(indices=indices, origin="loaded", description=description)


def _lever_bounds(names: Sequence[str] | None, excluded: set[str]) -> list[dict[str, Any]]:
    default = load_study(shipped_path("sensitivity", "studies", "default.toml"))
    chosen = [
        p
        for p in default.parameters
        if (names is None or p.name in names) and p.name not in excluded
    ]
    return [{"name": p.name, "lower": p.lower, "upper": p.upper} for p in chosen]


def case_sobol_study(
    model: Any,
    fit: StoredFit,
    *,
    start: float,
    quick: bool = True,
    seed: int = 20160101,
    batch: Any = None,
) -> SobolSource:
    """Run a Sobol' study of governance levers around the calibrated case.

    Parameters
    ----------
    model : Model
        The loaded model.
    fit : StoredFit
        The case's fit; its estimate is the base of every run.
    start : float
        Levers take their sampled value from this year on.
    quick : bool
        Eight levers, N = 512, first and total order only; otherwise every
        lever of the default study (except those the case drives with a
        series), N = 1024.
    seed : int
        Seed of the Sobol' sequence and its bootstrap.
    batch : BatchModel, optional
        The compiled model.
    """
    compiled = batch if batch is not None else model.compile()
    base = fit.base_params
    series_inputs = {name for name, value in base.items() if isinstance(value, pd.Series)}
    parameters = _lever_bounds(QUICK_LEVERS if quick else None, series_inputs)
    times = model_time_grid(model)
    final = float(model.final_time)
    n = 512 if quick else 1024
    spec = {
        "name": f"{fit.case}_levers_{'quick' if quick else 'full'}",
        "description": f"governance levers from {start:g} around the calibrated {fit.case}",
        "parameters": parameters,
        "outputs": [
            {"name": f"{label} {final:g}", "variable": variable, "reducer": "at", "year": final}
            for label, variable in CASE_OUTPUTS
        ],
        "n": n,
        "seed": int(seed),
        "second_order": False,
        "chunk_size": 4096,
    }
    names = [p["name"] for p in parameters]
    variables = [variable for _, variable in CASE_OUTPUTS]

    def evaluate(samples: np.ndarray) -> np.ndarray:
        runs: dict[str, Any] = dict(base)
        for j, name in enumerate(names):
            before = float(base.get(name, model.parameters.loc[name, "default"]))
            runs[name] = lever_steps(before, samples[:, j], start, times)
        result = compiled.run(runs, return_columns=variables, check_bounds=False, progress=False)
        return np.column_stack(
            [result[v].sel(time=final).transpose("run").values for v in variables]
        )

    from ..sensitivity.sobol import sobol  # SALib and scipy.stats: only when computing

    indices = sobol(spec, evaluate)
    indices.attrs.update(
        {"case": fit.case, "policy_start": float(start), "scenario": f"calibrated {fit.case}"}
    )
    size = "quick" if quick else "full"
    description = (
        f"Computed now ({size} study, N = {n}, seed {seed}, {indices.attrs.get('runs', '?')} "
        f"runs): {len(names)} governance levers of the default study sampled over their ranges "
        f"and applied from {start:g} on top of the calibrated {fit.case} parameters; outputs "
        f"in {final:g}."
    )
    return SobolSource(indices=indices, origin="recomputed", description=description)
