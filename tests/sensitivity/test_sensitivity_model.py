"""Sobol' studies of the shipped model through its batch engine (few parameters, small N)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gvc_upgrading import load_model
from gvc_upgrading.errors import SpecError
from gvc_upgrading.resources import shipped_path
from gvc_upgrading.sensitivity import load_study, sobol
from gvc_upgrading.sensitivity.sobol import prepare_sobol

SMALL = {
    "name": "small",
    "scenario": "csr",
    "parameters": [
        {"name": "Freedom of association"},
        {"name": "Enforcement budget", "lower": 0.0, "upper": 0.6},
        {"name": "Ethical premium"},
    ],
    "outputs": [
        {"name": "social 2035", "variable": "Social upgrading index", "year": 2035},
        {
            "name": "wage 2030-2035",
            "variable": "Temporary worker wage",
            "reducer": "mean",
            "start": 2030,
            "end": 2035,
        },
        {"name": "world demand 2035", "variable": "World demand index", "year": 2035},
        {"variable": "Social upgrading index", "reducer": "trajectory"},
    ],
}


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def small_result(model):
    return sobol(SMALL, model, n=32, seed=3)


def test_model_study_result_shape_and_provenance(small_result, model):
    result = small_result
    assert result["ST"].dims == ("output", "parameter")
    assert result["ST_time"].dims == ("trajectory", "parameter", "time")
    assert result["time"].values[0] == 1995 and result["time"].values[-1] == 2035
    assert result.attrs["runs"] == 32 * 8
    assert result.attrs["model_sha256"] == model.sha256
    assert result.attrs["scenario"] == "csr"
    groups = dict(zip(result["parameter"].values, result["parameter_group"].values, strict=True))
    assert groups == {
        "Freedom of association": "social_cluster",
        "Enforcement budget": "public_cluster",
        "Ethical premium": "private_gvc",
    }
    bounds = load_study(SMALL).resolve(model.parameters, model.variables.index).parameters
    assert (bounds[0].lower, bounds[0].upper) == tuple(
        model.parameters.loc["Freedom of association", ["lower", "upper"]]
    )


def test_time_resolved_indices_match_the_value_in_that_year(small_result):
    at_2035 = small_result.sel(output="social 2035")
    over_time = small_result.sel(trajectory="Social upgrading index", time=2035)
    np.testing.assert_array_equal(at_2035["ST"], over_time["ST_time"])
    np.testing.assert_array_equal(at_2035["S1_conf"], over_time["S1_time_conf"])


def test_output_untouched_by_the_parameters_is_reported_constant(small_result):
    assert bool(small_result["constant"].sel(output="world demand 2035"))
    assert not small_result["constant"].sel(output="social 2035")
    assert (small_result["ST"].sel(output="world demand 2035") == 0).all()
    assert np.isfinite(small_result["ST"]).all()


def test_model_evaluations_equal_pysd_runs_with_the_scenario(model):
    design = prepare_sobol(SMALL, model, n=2, seed=3)
    samples = design.sample(2)[:2]
    values = design.target.evaluate(samples)
    names = design.study.parameter_names
    for row, sample in zip(values, samples, strict=True):
        run = model.run(dict(zip(names, sample, strict=True)), scenario="csr")
        social = run["Social upgrading index"]
        wage = run["Temporary worker wage"].sel(time=slice(2030, 2035)).mean()
        expected = [float(social.sel(time=2035)), float(wage)]
        np.testing.assert_allclose(row[:2], expected, rtol=1e-9)
        np.testing.assert_allclose(row[3:], social.values, rtol=1e-9, atol=1e-12)


def test_model_study_errors(model):
    unknown = {**SMALL, "parameters": [{"name": "Freedom of assocation"}]}
    with pytest.raises(SpecError, match="unknown parameter 'Freedom of assocation'"):
        sobol(unknown, model, n=4)
    between = {**SMALL, "outputs": [{"variable": "Average wage", "year": 2030.5}]}
    with pytest.raises(SpecError, match="not a saved time"):
        sobol(between, model, n=4)
    unknown_output = {**SMALL, "outputs": [{"variable": "Wages", "year": 2030}]}
    with pytest.raises(SpecError, match="unknown variable 'Wages'"):
        sobol(unknown_output, model, n=4)
    no_outputs = {key: value for key, value in SMALL.items() if key != "outputs"}
    with pytest.raises(SpecError, match="at least one entry in 'outputs'"):
        sobol(no_outputs, model, n=4)


def test_default_study_fits_the_shipped_model(model):
    study = load_study(shipped_path("sensitivity", "studies", "default.toml"))
    resolved = study.resolve(
        model.parameters, model.variables.index, time_range=(model.initial_time, model.final_time)
    )
    assert 20 <= len(resolved.parameters) <= 30
    groups = resolved.groups()
    governance = {
        "private_cluster",
        "private_gvc",
        "social_cluster",
        "social_gvc",
        "public_cluster",
        "public_gvc",
    }
    assert governance <= set(groups)
    for name in resolved.parameter_names:
        assert (
            resolved.parameters[resolved.parameter_names.index(name)].group
            == (model.parameters.loc[name, "group"])
        )
    assert resolved.n == 4096 and resolved.second_order
    assert resolved.n * (2 * len(resolved.parameters) + 2) == 237_568  # 28 parameters


def test_grouped_model_study(model):
    result = sobol(SMALL, model, n=16, seed=3, groups=True)
    assert list(result["group"].values) == ["social_cluster", "public_cluster", "private_gvc"]
    assert result["S2"].dims == ("output", "group", "group_2")
    assert result.attrs["runs"] == 16 * 8
    assert isinstance(result, xr.Dataset)


def test_morris_screening_of_the_model(model, small_result):
    from gvc_upgrading.sensitivity import morris

    result = morris(SMALL, model, trajectories=10, seed=1, progress=False)
    assert result["mu_star"].dims == ("output", "parameter")
    assert result["mu_star_time"].dims == ("trajectory", "parameter", "time")
    assert result.attrs["runs"] == 10 * 4
    np.testing.assert_array_equal(
        result["mu_star"].sel(output="social 2035"),
        result["mu_star_time"].sel(trajectory="Social upgrading index", time=2035),
    )
    # the same leading lever as the Sobol' total index
    leading = str(result["mu_star"].sel(output="social 2035").idxmax("parameter").values)
    assert leading == str(small_result["ST"].sel(output="social 2035").idxmax("parameter").values)
    assert bool(result["constant"].sel(output="world demand 2035"))


def test_scheduler_splits_each_chunk_and_changes_no_result(small_result, model, monkeypatch):
    from gvc_upgrading.engine import batch as engine_batch

    engine_chunks = []
    original = engine_batch._execute

    def counting(job, chunks, scheduler, values):
        engine_chunks.append((scheduler, len(chunks)))
        return original(job, chunks, scheduler, values)

    monkeypatch.setattr(engine_batch, "_execute", counting)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    threaded = sobol(SMALL, model, n=32, seed=3, scheduler="threads")
    # every evaluation chunk reaches the scheduler as one engine chunk per core
    assert engine_chunks and all(s == "threads" and n == 2 for s, n in engine_chunks[1:])
    for name in ("S1", "ST", "S2_conf", "ST_time"):
        np.testing.assert_allclose(threaded[name], small_result[name], rtol=1e-12)
