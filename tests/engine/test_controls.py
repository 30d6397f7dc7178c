"""Control variables computed from constants that differ between runs.

``INITIAL TIME``, ``FINAL TIME``, ``TIME STEP`` and ``SAVEPER`` may be
computed from constants (``FINAL TIME = start + horizon``); sampling those
constants changes each run's time grid, as in pysd. The engine groups the
runs by their control values, integrates each group on its own grid, and
returns the union of the saved times (NaN where a run's grid has no such
time). Each run equals pysd's run with the same constants.
"""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import SimulationError, SpecError

from .reference import MODELS, assert_matches_pysd, pysd_run

MODEL = MODELS / "controls.mdl"
SAMPLES = {
    "start": [0.0, -0.5, 0.5, 0.0],
    "horizon": [3.0, 2.5, 3.75, 3.0],
    "time step value": [0.25, 0.125, 0.5, 0.25],
    "r": [0.1, 0.2, 0.3, 0.4],
}


@pytest.fixture(scope="module")
def batch():
    return compile_model(MODEL)


def test_each_run_equals_pysd_on_its_own_grid(batch):
    result = batch.run(SAMPLES, return_columns="all", seed=None)
    assert result.sizes["run"] == 4
    for run in range(4):
        params = {name: values[run] for name, values in SAMPLES.items()}
        frame = pysd_run(MODEL, params)
        own = result.isel(run=[run]).dropna("time", how="all", subset=["Stock"])
        assert_matches_pysd(own, frame)
        assert float(result["FINAL TIME"][run]) == params["start"] + params["horizon"]
        assert float(result["TIME STEP"][run]) == params["time step value"]
    # runs 0 and 3 share a grid (one group), the others have their own
    assert np.isnan(result["Stock"].values[0]).sum() > 0  # the union is finer than its grid


def test_one_value_for_every_run_moves_the_grid(batch):
    result = batch.run({"horizon": 2.0, "time step value": 0.125}, return_columns="all")
    assert_matches_pysd(result, pysd_run(MODEL, {"horizon": 2.0, "time step value": 0.125}))
    assert result.attrs["final_time"] == 2.0 and result.attrs["time_step"] == 0.125


def test_random_draws_keep_their_run_when_grouped(tmp_path):
    from .reference import write_model

    path = write_model(
        tmp_path,
        "horizon = 3 ~ Year [2,4] ~ |\nu = RANDOM UNIFORM(0, 1, 0) ~ dmnl ~ |",
        final="horizon",
    )
    batch = compile_model(path)
    grouped = batch.run({"horizon": [3.0, 2.0, 3.0]}, seed=4)
    same = batch.run({"horizon": [3.0, 3.0, 3.0]}, seed=4)
    times = grouped["time"].values <= 2.0
    np.testing.assert_array_equal(grouped["u"].values[:, times], same["u"].values[:, times])


def test_errors_name_the_run_in_the_whole_ensemble(tmp_path):
    from .reference import write_model

    path = write_model(
        tmp_path,
        "horizon = 3 ~ Year [2,4] ~ |\nd = 1 ~ dmnl [0,2] ~ |\nx = 1 / d ~ dmnl ~ |",
        final="horizon",
    )
    with pytest.raises(SimulationError, match=r"'x' in run 2 "):
        compile_model(path).run({"horizon": [3.0, 2.0, 2.0], "d": [1.0, 1.0, 0.0]})


def test_varying_grids_cannot_stream_to_one_file(batch, tmp_path):
    with pytest.raises(SpecError, match="TIME STEP"):
        batch.run({"time step value": [0.25, 0.5]}, out=tmp_path / "runs.nc")


def test_runs_differing_only_by_final_time_share_one_pass(batch, tmp_path):
    """One grid to the largest FINAL TIME; shorter runs are NaN after their end (also streamed)."""
    import xarray as xr

    horizons = [3.0, 2.0, 2.6, 3.0]
    result = batch.run({"horizon": horizons}, return_columns="all")
    streamed = batch.run({"horizon": horizons}, return_columns="all", out=tmp_path / "r.nc")
    for run, horizon in enumerate(horizons):
        frame = pysd_run(MODEL, {"horizon": horizon})
        own = result.isel(run=[run]).dropna("time", how="all", subset=["Stock"])
        assert_matches_pysd(own, frame)
    np.testing.assert_array_equal(result["FINAL TIME"].values, horizons)
    with xr.open_dataset(tmp_path / "r.nc", engine="h5netcdf") as written:
        np.testing.assert_array_equal(written["Stock"].values, result["Stock"].values)
        np.testing.assert_array_equal(written["FINAL TIME"].values, horizons)
    streamed.close()
