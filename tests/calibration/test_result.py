"""CalibrationResult: immutable, complete, and writable to netCDF."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys

import numpy as np
import pytest
import xarray as xr

from gvc_upgrading.calibration import calibrate
from gvc_upgrading.errors import CalibrationError

from .conftest import AnalyticSimulator


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from .conftest import TRUTH, synthetic_rows, write_case

    rows = synthetic_rows(AnalyticSimulator(), TRUTH, np.random.default_rng(5))
    folder = write_case(tmp_path_factory.mktemp("case") / "synthetic", rows)
    return calibrate(
        folder,
        simulator=AnalyticSimulator(),
        n_starts=2,
        seed=0,
        bootstrap=30,
        bootstrap_kind="block",
        holdout_from=2020,
    )


def test_result_is_immutable(result):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.objective = 0.0
    with pytest.raises(ValueError, match="read-only"):
        result.estimate[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        result.bootstrap[0, 0] = 1.0
    with pytest.raises(TypeError):
        result.diagnostics["seed"] = 3
    with pytest.raises(TypeError):
        result.case_params["synthetic"]["Capacity"] = 3
    table = result.statistics
    table.loc[0, "rmse"] = -1.0
    assert result.statistics.loc[0, "rmse"] > 0


def test_result_contents(result):
    assert result.parameter_names == ("Growth rate", "Capacity", "Wage growth")
    assert result.interval.shape == (3, 2)
    assert (result.interval[:, 0] <= result.estimate).all()
    assert (result.estimate <= result.interval[:, 1]).all()
    assert result.ensemble.shape == (30, 2, len(result.times))
    assert set(result.statistics["sample"]) == {"in", "holdout"}
    assert result.diagnostics["n_in_sample"] == 2 * (2020 - 1996)
    assert result.diagnostics["bootstrap_kind"] == "block"
    params = result.params
    assert params["Capacity"] == pytest.approx(result.estimates["Capacity"])
    fitted, band = result.series_band("wage")
    np.testing.assert_array_equal(fitted, result.trajectories[1])
    assert band.shape == (2, len(result.times))
    assert (band[0] <= band[1]).all()


def test_to_dataset_round_trips_through_netcdf(result, tmp_path):
    dataset = result.to_dataset()
    path = tmp_path / "fit.nc"
    dataset.to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as loaded:
        np.testing.assert_array_equal(loaded["estimate"].to_numpy(), result.estimate)
        np.testing.assert_array_equal(loaded["bootstrap"].to_numpy(), result.bootstrap)
        assert list(loaded["stat_series"].to_numpy()) == list(result.statistics["series"])
        assert json.loads(loaded.attrs["diagnostics"])["seed"] == 0
        assert loaded.attrs["case"] == "synthetic"


def _small_case(tmp_path):
    from .conftest import TRUTH, synthetic_rows, write_case

    rows = synthetic_rows(AnalyticSimulator(), TRUTH, np.random.default_rng(5))
    return write_case(tmp_path / "c", rows)


def test_mcmc_without_emcee_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "emcee", None)  # import emcee now fails
    with pytest.raises(CalibrationError, match="pip install 'gvc-upgrading\\[mcmc\\]'"):
        calibrate(
            _small_case(tmp_path),
            simulator=AnalyticSimulator(),
            n_starts=1,
            mcmc=True,
            profile=False,
        )


@pytest.mark.skipif(importlib.util.find_spec("emcee") is None, reason="needs the mcmc extra")
def test_mcmc_posterior_is_reproducible_and_centred_on_the_fit(tmp_path):
    options = dict(
        simulator=AnalyticSimulator(), n_starts=1, mcmc=True, mcmc_steps=400, profile=False, seed=4
    )
    first = calibrate(_small_case(tmp_path), **options)
    second = calibrate(_small_case(tmp_path), **options)
    assert first.mcmc.shape[1] == 3 and first.mcmc.shape[0] > 1000
    np.testing.assert_array_equal(first.mcmc, second.mcmc)
    spread = first.mcmc.std(axis=0)
    assert (np.abs(np.median(first.mcmc, axis=0) - first.estimate) < 3 * spread).all()
