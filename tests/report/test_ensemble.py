"""Scenario runs of a calibrated case: levers from the policy start, agreement with pysd."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading.errors import CalibrationError, DataError, SpecError
from gvc_upgrading.report.ensemble import (
    ESTIMATE,
    band_quantiles,
    lever_series,
    lever_steps,
    model_time_grid,
    policy_start_year,
    run_case_scenarios,
    scenario_run_params,
)
from gvc_upgrading.report.stored import StoredFit, choose_case, find_stored_fit, load_stored_fit
from gvc_upgrading.scenarios import load_scenario

from .conftest import CASE, synthetic_fit


@pytest.fixture(scope="module")
def fit(model) -> StoredFit:
    return StoredFit(case=CASE, dataset=synthetic_fit(model), origin="loaded")


def test_lever_series_switches_exactly_at_the_start():
    times = np.arange(2000.0, 2004.0, 0.5)
    before = pd.Series([0.0, 1.0], index=[2000.0, 2004.0])
    series = lever_series(before, 7.0, 2002.0, times)
    np.testing.assert_allclose(series.loc[:2001.5], (times[times < 2002] - 2000) / 4)
    assert (series.loc[2002.0:] == 7.0).all()


def test_compact_lever_steps_equal_the_full_series_at_every_step(model):
    times = model_time_grid(model)
    after = np.array([0.1, 0.7, 3.0])
    table = lever_steps(0.4, after, 2021.0, times)
    assert len(table) == 4
    for run, value in enumerate(after):
        interpolated = np.interp(times, table.index.to_numpy(), table[run].to_numpy())
        np.testing.assert_array_equal(interpolated, lever_series(0.4, value, 2021.0, times))
    with pytest.raises(SpecError, match="policy start"):
        lever_steps(0.4, after, 2021.3, times)


def test_run_parameters_keep_the_case_and_add_levers(model, fit):
    scenario = load_scenario("csr", model)
    times = model_time_grid(model)
    defaults = model.parameters["default"].to_dict()
    params = scenario_run_params(
        fit.base_params, scenario, 2020.0, times, defaults, levers=["Enforcement budget"]
    )
    assert params["World demand growth"] == fit.base_params["World demand growth"]
    assert params["Enforcement budget"] == defaults["Enforcement budget"]  # named, not set
    for name, value in scenario.parameters.items():
        series = params[name]
        assert (series[series.index >= 2020.0] == value).all()
        assert (series[series.index < 2020.0] == defaults[name]).all()


def test_policy_start_leaves_the_horizon_inside_the_run(model, fit):
    assert policy_start_year(fit, model, horizon=10) == 2020.0  # last observation 2020.5
    assert policy_start_year(fit, model, horizon=30) == model.final_time - 30


def test_batch_runs_agree_with_pysd(model, fit):
    scenarios = [load_scenario(name, model) for name in ("baseline", "csr")]
    runs = run_case_scenarios(model, fit, scenarios, start=2020.0)
    assert runs.sizes == {"scenario": 2, "member": 1 + fit.n_replicates, "time": 41}
    times = model_time_grid(model)
    defaults = model.parameters["default"].to_dict()
    levers = list(scenarios[1].overrides())
    for scenario in scenarios:
        params = scenario_run_params(fit.base_params, scenario, 2020.0, times, defaults, levers)
        reference = model.run(params, check_bounds=False)
        for outcome in ("Social upgrading index", "True compliance less visible", "Average wage"):
            np.testing.assert_allclose(
                runs[outcome].sel(scenario=scenario.name, member=ESTIMATE).values,
                reference[outcome].values,
                rtol=1e-9,
                atol=1e-12,
            )


def test_replicates_use_the_refitted_parameters(model, fit):
    scenarios = [load_scenario("baseline", model)]
    runs = run_case_scenarios(model, fit, scenarios, start=2020.0)
    replicate = fit.replicate_params()[2]
    boot = fit.dataset["bootstrap"].isel(replicate=2)
    assert replicate["World demand growth"] == float(boot.sel(parameter="World demand growth"))
    assert "critical issue compliance scale" not in replicate  # nuisance, not a model parameter
    reference = model.run(replicate, check_bounds=False)
    np.testing.assert_allclose(
        runs["Export orders"].sel(scenario="baseline", member="replicate_3").values,
        reference["Export orders"].values,
        rtol=1e-9,
    )
    bands = band_quantiles(runs)
    members = runs["Export orders"].sel(member=runs["member"] != ESTIMATE)
    np.testing.assert_allclose(
        bands["Export orders"].sel(quantile=0.5).values, members.median("member").values
    )


def test_stored_fit_lookup(tmp_path, model):
    assert find_stored_fit(CASE, tmp_path) is None
    assert choose_case(tmp_path) == CASE
    folder = tmp_path / "other_case"
    folder.mkdir()
    synthetic_fit(model, case="other_case").to_netcdf(folder / "ensemble.nc", engine="h5netcdf")
    assert choose_case(tmp_path) == "other_case"
    loaded = load_stored_fit("other_case", tmp_path)
    assert loaded.origin == "loaded" and loaded.n_replicates == 6 and loaded.seed == 7
    series = loaded.base_params["Public disclosure"]
    assert series.index.tolist() == [1995.0, 2001.0, 2006.0, 2014.0]


def test_stored_fit_errors(tmp_path, model):
    with pytest.raises(CalibrationError, match="gvc-upgrading calibrate"):
        load_stored_fit(CASE, tmp_path)
    folder = tmp_path / CASE
    folder.mkdir()
    synthetic_fit(model, case="other_case").to_netcdf(folder / "ensemble.nc", engine="h5netcdf")
    with pytest.raises(DataError, match="is a fit of 'other_case', not of 'cambodia_garment'"):
        load_stored_fit(CASE, tmp_path)
    (folder / "ensemble.nc").rename(folder / "a.nc")
    (folder / "b.nc").write_bytes(b"")
    with pytest.raises(CalibrationError, match="several fits"):
        load_stored_fit(CASE, tmp_path)
    (folder / "a.nc").unlink()
    with pytest.raises(DataError, match="cannot read the stored fit"):
        load_stored_fit(CASE, tmp_path)
