"""Fixtures of the report tests: a stored fit, the loaded model and one report built per session.

The report is built once (in a temporary folder) from stored results and
shared by the tests that inspect it. The stored fit is the shipped
``calibration/fits/cambodia_garment`` one when it exists; otherwise a small
fit in the same netCDF format (``CalibrationResult.to_dataset()``) is written
to a temporary fits folder, so the tests do not depend on a calibration run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from gvc_upgrading import load_model
from gvc_upgrading.report import build_report
from gvc_upgrading.report.stored import find_stored_fit

CASE = "cambodia_garment"


def synthetic_fit(model, *, case: str = CASE, replicates: int = 6, seed: int = 7) -> xr.Dataset:
    """A small fit of ``case`` in the stored format: two model parameters and a nuisance one."""
    names = ["World demand growth", "Initial export orders", "critical issue compliance scale"]
    estimate = np.array(
        [
            model.parameters.at[names[0], "default"],
            model.parameters.at[names[1], "default"],
            0.7,
        ]
    )
    rng = np.random.default_rng(seed)
    boot = estimate * (1 + 0.1 * rng.standard_normal((replicates, len(names))))
    params = {
        case: {
            names[0]: float(estimate[0]),
            names[1]: float(estimate[1]),
            "Public disclosure": {"time": [1995, 2001, 2006, 2014], "value": [0, 1, 0, 1]},
        }
    }
    obs_time = np.array([2000.5, 2010.5, 2020.5])
    stats = {
        "stat_series": ("stat", np.array(["exports"])),
        "stat_sample": ("stat", np.array(["in"])),
        "stat_n": ("stat", np.array([3.0])),
    }
    for column, value in zip(
        ("rmse", "mae", "mape", "r2", "um", "us", "uc", "lag1"),
        (0.1, 0.08, 5.0, 0.9, 0.1, 0.2, 0.7, 0.3),
        strict=True,
    ):
        stats[f"stat_{column}"] = ("stat", np.array([value]))
    return xr.Dataset(
        {
            "estimate": ("parameter", estimate),
            "interval": (
                ("parameter", "bound"),
                np.column_stack([0.9 * estimate, 1.1 * estimate]),
            ),
            "search_lower": ("parameter", estimate * 0.5),
            "search_upper": ("parameter", estimate * 1.5),
            "bootstrap": (("replicate", "parameter"), boot),
            "obs_target": ("obs", np.array(["exports"] * 3)),
            "obs_time": ("obs", obs_time),
            "obs_level": ("obs", np.array([1.0, 2.0, 3.0])),
            "obs_fitted": ("obs", np.array([1.1, 1.9, 3.2])),
            **stats,
        },
        coords={"parameter": names, "bound": ["lower", "upper"]},
        attrs={
            "case": case,
            "method": "multistart",
            "level": 0.9,
            "interval_method": "bootstrap",
            "objective": 1.0,
            "diagnostics": json.dumps({"seed": seed}),
            "params": json.dumps(params),
        },
    )


@pytest.fixture(scope="session")
def model():
    """The shipped model."""
    return load_model()


@pytest.fixture(scope="session")
def fits_dir(tmp_path_factory, model) -> Path | None:
    """Folder of stored fits: the shipped one when it holds the case, else a synthetic one."""
    if find_stored_fit(CASE) is not None:
        return None
    folder = tmp_path_factory.mktemp("fits")
    (folder / CASE).mkdir()
    synthetic_fit(model).to_netcdf(folder / CASE / "ensemble.nc", engine="h5netcdf")
    return folder


#: A user's scenario, added to the shipped ones in the session's report.
USER_SCENARIO = """name = "strong_public"
description = "The public path with a better-funded inspectorate from a later year."
extends = "public"
start = 2027

[parameters]
"Enforcement budget" = 0.9
"""


@pytest.fixture(scope="session")
def user_scenario(tmp_path_factory) -> Path:
    """A user scenario file (outside the shipped folder)."""
    path = tmp_path_factory.mktemp("mine") / "strong_public.toml"
    path.write_text(USER_SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def report(tmp_path_factory, fits_dir, user_scenario):
    """One quick report of the case with a user scenario, built in a temporary folder."""
    out = tmp_path_factory.mktemp("report-parent") / "report"
    return build_report(CASE, out, quick=True, fits_dir=fits_dir, scenario_files=[user_scenario])
